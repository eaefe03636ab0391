// The parameter server under mpiexec -n 3..6 (suite 'mpi'): every mode on dedicated and co-located layouts
// over MpiTransport, with the accounting identities checked on the gathered results of all ranks. Sizes and
// step counts are small: oversubscribed ranks on two cores are slow.
#include <gtest/gtest.h>
#include <mpi.h>

#include <string>
#include <vector>

#include "comm/mpi_transport.h"
#include "core/error.h"
#include "ps/ps.h"
#include "ps/summary.h"
#include "reduce/cpu_reducer.h"

namespace ccb {
namespace {

using namespace std::chrono_literals;

int worldSize() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

PsSetup makeSetup(int servers, bool colocated, PsMode mode) {
  PsSetup setup(PsLayout(worldSize(), servers, colocated), planPartitions(8192, 2048, 4, servers));
  setup.mode = mode;
  setup.warmupSteps = 1;
  setup.timedSteps = 3;
  setup.staleness = 1;
  setup.backup = 1;
  setup.timeout = 30s;
  setup.what = "ps " + std::string(psModeName(mode));
  return setup;
}

// Runs on every rank and gathers every rank's result (each fills its slot of a -1 vector; max over ranks).
std::vector<PsRankResult> runAndGather(const PsSetup& setup) {
  MpiTransport transport(MPI_COMM_WORLD);
  CpuReducer reducer;
  const PsRankResult mine = runPs(transport, reducer, setup);
  const int ranks = transport.size();
  const int iters = static_cast<int>(setup.timedSteps);
  std::int64_t maxStaleness = 0;
  for (const auto& [staleness, count] : mine.server.staleness)
    maxStaleness = std::max(maxStaleness, staleness);
  EXPECT_EQ(MPI_Allreduce(MPI_IN_PLACE, &maxStaleness, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD), MPI_SUCCESS);
  const std::size_t slot = encodedSlotSize(iters, maxStaleness, ranks);
  std::vector<double> all(slot * static_cast<std::size_t>(ranks), -1.0);
  const std::vector<double> encoded = encodeRankResult(mine, iters, maxStaleness, ranks);
  std::copy(encoded.begin(), encoded.end(),
            all.begin() + static_cast<std::ptrdiff_t>(slot * transport.rank()));
  EXPECT_EQ(MPI_Allreduce(MPI_IN_PLACE, all.data(), static_cast<int>(all.size()), MPI_DOUBLE, MPI_MAX,
                          MPI_COMM_WORLD),
            MPI_SUCCESS);
  std::vector<PsRankResult> results;
  for (int rank = 0; rank < ranks; ++rank) {
    results.push_back(decodeRankResult(std::span<const double>(all).subspan(slot * rank, slot), iters,
                                       maxStaleness, ranks));
  }
  return results;
}

struct LayoutCase {
  int servers;
  bool colocated;
};

std::vector<LayoutCase> layoutCases() {
  const int ranks = worldSize();
  return {{1, false}, {2, false}, {1, true}, {ranks, true}};
}

std::string label(PsMode mode, const LayoutCase& layout) {
  return std::string(psModeName(mode)) + " with " + std::to_string(layout.servers) + " server(s)" +
         (layout.colocated ? " co-located" : "") + " on " + std::to_string(worldSize()) + " ranks";
}

TEST(PsMpi, EveryModeKeepsItsAccounting) {
  for (PsMode mode : {PsMode::kSync, PsMode::kAsync, PsMode::kSsp, PsMode::kBackup}) {
    for (const LayoutCase& layout : layoutCases()) {
      PsSetup setup = makeSetup(layout.servers, layout.colocated, mode);
      const int workers = setup.layout.workers();
      if (mode == PsMode::kBackup && workers < 2) continue;
      if (mode == PsMode::kBackup || mode == PsMode::kSsp) {
        // A slow last worker: backup drops its late pushes, ssp holds the others back.
        setup.compute = parseComputeDist("fixed:0.5");
        setup.stragglers = {{worldSize() - 1, 8.0}};
      }
      const std::string what = label(mode, layout);
      const PsSummary summary = summarizePs(runAndGather(setup));
      EXPECT_EQ(summary.wrong, 0) << what;
      EXPECT_EQ(summary.lostPushes, 0) << what;
      EXPECT_TRUE(summary.failedWorkerRanks.empty()) << what;
      const std::int64_t servers = layout.servers;
      if (mode == PsMode::kBackup) {
        EXPECT_EQ(summary.minStepPushes, workers - 1) << what;
        EXPECT_EQ(summary.maxStepPushes, workers - 1) << what;
        EXPECT_EQ(summary.applied, servers * (workers - 1) * setup.totalSteps()) << what;
      } else {
        EXPECT_EQ(summary.applied, servers * workers * setup.totalSteps()) << what;
        EXPECT_EQ(summary.dropped, 0) << what;
      }
      if (mode == PsMode::kSsp) {
        EXPECT_LE(summary.maxLead, setup.staleness) << what;
      }
      if (mode == PsMode::kSync) {
        EXPECT_EQ(summary.staleness.size(), 1u) << what;  // all 0
      }
      EXPECT_GT(summary.step.median, 0) << what;
    }
  }
}

TEST(PsMpi, AStoppedWorkerDoesNotHangAsync) {
  PsSetup setup = makeSetup(1, false, PsMode::kAsync);
  const int failRank = worldSize() - 1;
  setup.fail = FailPoint{failRank, 1};
  setup.timeout = 1s;
  const PsSummary summary = summarizePs(runAndGather(setup));
  EXPECT_EQ(summary.failedWorkerRanks, (std::vector<int>{failRank}));
  EXPECT_EQ(summary.stoppedWorkerRanks, (std::vector<int>{failRank}));
  EXPECT_EQ(summary.lostPushes, 0);
  EXPECT_EQ(summary.wrong, 0);
}

}  // namespace
}  // namespace ccb

int main(int argc, char** argv) {
  ccb::MpiSession session(&argc, &argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
