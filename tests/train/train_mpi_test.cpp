// The training strategies under mpiexec -n 2..4 (suite 'mpi') over MpiTransport: results are gathered on
// rank 0 the way ccbench train does it, and rank 0 checks them: sync_ring and sync_ps reach the single
// worker's parameters, async_ps and ssp_ps converge, SSP keeps its bound.
#include <gtest/gtest.h>
#include <mpi.h>

#include <optional>

#include "comm/mpi_transport.h"
#include "reduce/cpu_reducer.h"
#include "train/trainer.h"
#include "train_test_util.h"

namespace ccb {
namespace {

using test::maxAbsDiff;
using test::tinyConfig;

// As in train_loopback_test.cpp: float rounding of K partial sums stays below 5e-6 over 40 steps.
constexpr double kSyncTolerance = 1e-5;

struct Problem {
  explicit Problem(const DatasetSpec& spec)
      : data(generateDataset(spec)), model(ModelKind::kSoftmax, data.features, data.classes) {}
  Dataset data;
  LinearModel model;
};

// Runs on every rank; rank 0 gets the merged summary, the others nothing.
std::optional<TrainSummary> runOnMpi(TrainConfig config) {
  MpiTransport transport(MPI_COMM_WORLD);
  CpuReducer reducer;
  const Problem problem(config.data);
  const TrainRankResult mine = runDistributedTraining(transport, reducer, config, problem.model, problem.data);
  std::vector<TrainRankResult> all = gatherTrainResults(transport, mine, std::chrono::seconds(30));
  if (transport.rank() != 0) return std::nullopt;
  config.workers = trainWorkers(config, transport.size());
  return mergeTrainResults(config, problem.model, problem.data, std::move(all));
}

std::vector<float> singleParams(int workers) {
  const TrainConfig config = tinyConfig(Strategy::kSingle, workers);
  const Problem problem(config.data);
  std::vector<TrainRankResult> results;
  results.push_back(runLocalTraining(config, problem.model, problem.data));
  return mergeTrainResults(config, problem.model, problem.data, std::move(results)).params;
}

int worldSize() {
  int size = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return size;
}

TEST(TrainMpi, SyncRingReachesTheSingleWorkersParameters) {
  const auto summary = runOnMpi(tinyConfig(Strategy::kSyncRing, worldSize()));
  if (!summary) return;
  EXPECT_EQ(summary->workers.size(), static_cast<std::size_t>(worldSize()));
  EXPECT_LE(maxAbsDiff(summary->params, singleParams(worldSize())), kSyncTolerance);
}

TEST(TrainMpi, SyncPsReachesTheSingleWorkersParameters) {
  const auto summary = runOnMpi(tinyConfig(Strategy::kSyncPs, worldSize() - 1));
  if (!summary) return;
  EXPECT_EQ(summary->workers.size(), static_cast<std::size_t>(worldSize() - 1));
  EXPECT_LE(maxAbsDiff(summary->params, singleParams(worldSize() - 1)), kSyncTolerance);
  EXPECT_EQ(summary->staleness.rbegin()->first, 0);
}

TEST(TrainMpi, AsyncAndSspConvergeWithinTheirBound) {
  for (Strategy strategy : {Strategy::kAsyncPs, Strategy::kSspPs}) {
    TrainConfig config = tinyConfig(strategy, worldSize() - 1);
    config.staleness = 1;
    config.targetLoss = 0.75;
    const auto summary = runOnMpi(config);
    if (!summary) continue;
    EXPECT_LT(summary->final.loss, 0.75) << strategyName(strategy);
    EXPECT_TRUE(summary->stepsToTarget.has_value()) << strategyName(strategy);
    if (strategy == Strategy::kSspPs) {
      const std::int64_t workers = worldSize() - 1;
      EXPECT_LE(summary->maxLead, 1);
      EXPECT_LE(summary->staleness.rbegin()->first, (workers - 1) * 3);
    }
  }
}

}  // namespace
}  // namespace ccb

int main(int argc, char** argv) {
  ccb::MpiSession session(&argc, &argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
