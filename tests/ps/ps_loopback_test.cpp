// The parameter server end to end with ranks as threads (suite 'loopback'): every mode's accounting
// identity over several layouts, SSP's bound, backup with a straggler, stopped workers, and sync == ring.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "algo/allreduce.h"
#include "comm/loopback_transport.h"
#include "core/error.h"
#include "ps/pattern.h"
#include "ps/ps.h"
#include "ps/summary.h"
#include "reduce/cpu_reducer.h"
#include "reduce/verify.h"

namespace ccb {
namespace {

using namespace std::chrono_literals;

struct Layout {
  int ranks;
  int servers;
  bool colocated;
};

PsSetup makeSetup(const Layout& layout, PsMode mode, std::size_t bytes, std::size_t partitionBytes,
                  std::int64_t steps) {
  PsSetup setup(PsLayout(layout.ranks, layout.servers, layout.colocated),
                planPartitions(bytes, partitionBytes, 4, layout.servers));
  setup.mode = mode;
  setup.warmupSteps = 1;
  setup.timedSteps = steps - 1;
  setup.timeout = 20s;
  setup.what = "ps " + std::string(psModeName(mode));
  return setup;
}

std::vector<PsRankResult> runAll(const PsSetup& setup, const PsHooks& hooks = {}) {
  std::vector<PsRankResult> results(static_cast<std::size_t>(setup.layout.ranks()));
  runLoopback(setup.layout.ranks(), [&](Transport& transport) {
    CpuReducer reducer;
    results[static_cast<std::size_t>(transport.rank())] = runPs(transport, reducer, setup, hooks);
  });
  return results;
}

std::string describe(const Layout& layout) {
  return std::to_string(layout.ranks) + " ranks, " + std::to_string(layout.servers) + " server(s)" +
         (layout.colocated ? " co-located" : "");
}

// The layouts every mode runs on: dedicated and co-located, one server and several, shards of unequal size.
std::vector<Layout> layouts() {
  return {{2, 1, false}, {3, 1, false}, {4, 2, false}, {5, 3, false},
          {2, 1, true},  {3, 3, true},  {4, 1, true},  {5, 2, true}};
}

// Identities every finished run without failures satisfies.
void expectAccounting(const PsSetup& setup, const std::vector<PsRankResult>& results,
                      const std::string& label) {
  const PsSummary summary = summarizePs(results);
  EXPECT_EQ(summary.wrong, 0) << label;
  EXPECT_EQ(summary.lostPushes, 0) << label;
  EXPECT_EQ(summary.received, summary.pushMessages) << label;
  EXPECT_TRUE(summary.failedWorkerRanks.empty()) << label;
  EXPECT_GT(summary.updatesPerS, 0) << label;
  const std::int64_t workers = setup.layout.workers();
  for (const PsRankResult& rank : results) {
    if (!rank.server.present) continue;
    EXPECT_EQ(rank.server.received, rank.server.applied + rank.server.dropped) << label;
    if (setup.mode != PsMode::kBackup) {
      // Nothing is dropped: each server applies every push of every worker.
      EXPECT_EQ(rank.server.applied, workers * setup.totalSteps()) << label;
      EXPECT_EQ(rank.server.dropped, 0) << label;
    }
    std::int64_t histogramTotal = 0;
    for (const auto& [staleness, count] : rank.server.staleness) histogramTotal += count;
    EXPECT_EQ(histogramTotal, rank.server.applied) << label;
  }
  for (const PsRankResult& rank : results) {
    if (!rank.worker.present) continue;
    EXPECT_EQ(rank.worker.stepUs.size(), rank.worker.pushUs.size()) << label;
    if (setup.mode != PsMode::kBackup) {
      EXPECT_EQ(static_cast<std::int64_t>(rank.worker.stepUs.size()), setup.timedSteps) << label;
    } else {
      EXPECT_LE(static_cast<std::int64_t>(rank.worker.stepUs.size()), setup.timedSteps) << label;
    }
  }
}

TEST(PsLoopback, SyncEveryWorkerHoldsTheSameParameters) {
  for (const Layout& layout : layouts()) {
    const PsSetup setup = makeSetup(layout, PsMode::kSync, 4096 + 512, 1024, 4);
    const std::vector<PsRankResult> results = runAll(setup);
    expectAccounting(setup, results, describe(layout));
    const std::vector<std::byte>* first = nullptr;
    for (const PsRankResult& rank : results) {
      if (!rank.worker.present) continue;
      EXPECT_EQ(rank.worker.wrong, 0) << describe(layout);
      if (first == nullptr) first = &rank.worker.params;
      EXPECT_EQ(rank.worker.params, *first) << describe(layout);
    }
    for (const PsRankResult& rank : results) {
      if (rank.server.present) {
        EXPECT_EQ(rank.server.version, setup.totalSteps());
      }
      for (int count : rank.server.stepPushCounts) EXPECT_EQ(count, setup.layout.workers());
    }
  }
}

TEST(PsLoopback, AsyncAppliesEveryPush) {
  for (const Layout& layout : layouts()) {
    PsSetup setup = makeSetup(layout, PsMode::kAsync, 4096, 1024, 5);
    setup.compute = parseComputeDist("uniform:0,0.3");
    const std::vector<PsRankResult> results = runAll(setup);
    expectAccounting(setup, results, describe(layout));
    for (const PsRankResult& rank : results) {
      if (rank.server.present) {
        EXPECT_EQ(rank.server.version, setup.layout.workers() * setup.totalSteps());
      }
    }
  }
}

TEST(PsLoopback, SspAppliesEveryPushAndKeepsItsBound) {
  for (int staleness : {0, 1, 3}) {
    for (const Layout& layout : {Layout{4, 1, false}, Layout{4, 2, true}}) {
      PsSetup setup = makeSetup(layout, PsMode::kSsp, 2048, 512, 10);
      setup.staleness = staleness;
      setup.compute = parseComputeDist("fixed:0.2");
      setup.stragglers = {{layout.ranks - 1, 5.0}};  // the last worker is five times slower
      // Independent of the server's own count: when a worker starts attempt a, every worker u has started
      // attempt >= a - s - 1 (it has had >= a - s pushes applied, and started the last of them).
      std::vector<std::atomic<std::int64_t>> started(static_cast<std::size_t>(setup.layout.workers()));
      std::atomic<std::int64_t> worstLead{0};
      PsHooks hooks;
      hooks.onComputeStart = [&](int worker, std::int64_t attempt) {
        started[static_cast<std::size_t>(worker)].store(attempt);
        std::int64_t slowest = attempt;
        for (const auto& other : started) slowest = std::min(slowest, other.load());
        std::int64_t seen = worstLead.load();
        while (attempt - slowest > seen && !worstLead.compare_exchange_weak(seen, attempt - slowest)) {
        }
      };
      const std::string label = describe(layout) + ", s = " + std::to_string(staleness);
      const std::vector<PsRankResult> results = runAll(setup, hooks);
      expectAccounting(setup, results, label);
      const PsSummary summary = summarizePs(results);
      EXPECT_LE(summary.maxLead, staleness) << label;
      EXPECT_LE(worstLead.load(), staleness + 1) << label;
    }
  }
}

TEST(PsLoopback, AsyncWithAStragglerRunsAheadUnbounded) {
  // The same straggler as above without the SSP gate: fast workers run far ahead (the bound above is real).
  PsSetup setup = makeSetup({4, 1, false}, PsMode::kAsync, 2048, 512, 10);
  setup.compute = parseComputeDist("fixed:0.5");
  setup.stragglers = {{3, 8.0}};
  const std::vector<PsRankResult> results = runAll(setup);
  expectAccounting(setup, results, "async straggler");
  EXPECT_GE(summarizePs(results).maxLead, 3);
}

TEST(PsLoopback, BackupWithAStragglerCompletesEveryStepWithKMinusBPushes) {
  for (const Layout& layout : {Layout{4, 1, false}, Layout{5, 2, false}, Layout{4, 2, true}}) {
    PsSetup setup = makeSetup(layout, PsMode::kBackup, 4096, 1024, 8);
    setup.backup = 1;
    setup.compute = parseComputeDist("fixed:0.3");
    setup.stragglers = {{layout.ranks - 1, 10.0}};
    const std::string label = describe(layout);
    const std::vector<PsRankResult> results = runAll(setup);
    expectAccounting(setup, results, label);
    const PsSummary summary = summarizePs(results);
    const int quorum = setup.layout.workers() - setup.backup;
    EXPECT_EQ(summary.minStepPushes, quorum) << label;
    EXPECT_EQ(summary.maxStepPushes, quorum) << label;
    EXPECT_GT(summary.dropped, 0) << label << ": the straggler's pushes arrive late";
    for (const PsRankResult& rank : results) {
      if (!rank.server.present) continue;
      EXPECT_EQ(rank.server.version, setup.totalSteps()) << label;
      EXPECT_EQ(rank.server.applied, quorum * setup.totalSteps()) << label;
      EXPECT_EQ(static_cast<std::int64_t>(rank.server.stepPushCounts.size()), setup.totalSteps()) << label;
    }
  }
}

TEST(PsLoopback, MoreServersThanPartitions) {
  // Four servers, two partitions: two shards are empty and still count pushes and versions.
  for (PsMode mode : {PsMode::kSync, PsMode::kAsync}) {
    const PsSetup setup = makeSetup({6, 4, false}, mode, 2048, 1024, 3);
    const std::vector<PsRankResult> results = runAll(setup);
    expectAccounting(setup, results, std::string(psModeName(mode)));
  }
}

TEST(PsLoopback, Int64AndFloat64Pattern) {
  for (DType dtype : {DType::kInt64, DType::kFloat64, DType::kInt32}) {
    PsSetup setup = makeSetup({4, 1, true}, PsMode::kSync, 4096, 1024, 3);
    setup.dtype = dtype;
    setup.plan = planPartitions(4096, 1024, dtypeSize(dtype), 1);
    expectAccounting(setup, runAll(setup), std::string(dtypeName(dtype)));
  }
}

// Fault injection: worker rank `failRank` stops before step `failStep`.
PsSetup failingSetup(const Layout& layout, PsMode mode, int failRank, std::int64_t failStep = 2) {
  PsSetup setup = makeSetup(layout, mode, 2048, 1024, 6);
  setup.fail = FailPoint{failRank, failStep};
  setup.timeout = 1s;
  setup.backup = 1;
  setup.staleness = 0;
  return setup;
}

TEST(PsLoopback, AStoppedWorkerDoesNotHangAsyncSspOrBackup) {
  for (PsMode mode : {PsMode::kAsync, PsMode::kSsp, PsMode::kBackup}) {
    for (const Layout& layout : {Layout{4, 1, false}, Layout{3, 3, true}}) {
      const int failRank = layout.ranks - 1;
      // Backup steps complete without the slowest worker, so the others may finish every step before the
      // doomed one reaches step 2; stopping it before step 0 makes the fault certain to happen.
      const std::int64_t failStep = mode == PsMode::kBackup ? 0 : 2;
      const PsSetup setup = failingSetup(layout, mode, failRank, failStep);
      const std::string label = std::string(psModeName(mode)) + ", " + describe(layout);
      const std::vector<PsRankResult> results = runAll(setup);
      const PsSummary summary = summarizePs(results);
      EXPECT_EQ(summary.failedWorkerRanks, (std::vector<int>{failRank})) << label;
      EXPECT_EQ(summary.stoppedWorkerRanks, (std::vector<int>{failRank})) << label;
      // Nothing the stopped worker sent is lost, and everything applied is in the parameters.
      EXPECT_EQ(summary.lostPushes, 0) << label;
      EXPECT_EQ(summary.wrong, 0) << label;
      EXPECT_EQ(results[static_cast<std::size_t>(failRank)].worker.pushMessages,
                failStep * setup.layout.servers())
          << label;
      for (const PsRankResult& rank : results) {
        if (rank.worker.present && !rank.worker.stopped) {
          EXPECT_GE(static_cast<std::int64_t>(rank.worker.stepUs.size()), 1) << label;
        }
      }
    }
  }
}

TEST(PsLoopback, AStoppedWorkerEndsSyncWithAMessageNamingIt) {
  const PsSetup setup = failingSetup({4, 1, false}, PsMode::kSync, 2);
  try {
    runAll(setup);
    FAIL() << "sync with a stopped worker must fail";
  } catch (const TimeoutError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("worker rank 2"), std::string::npos) << message;
    EXPECT_NE(message.find("--timeout"), std::string::npos) << message;
  }
}

TEST(PsLoopback, BackupFailsWhenTooFewWorkersRemain) {
  // K = 2, b = 1: a step needs one push; with one worker stopped it still completes.
  PsSetup setup = failingSetup({3, 1, false}, PsMode::kBackup, 2);
  EXPECT_NO_THROW(runAll(setup));
  // K = 3, b = 1, but the only stop leaves 2 >= 2: fine; a quorum of 3 (b = 0) would not be.
  setup = failingSetup({4, 1, false}, PsMode::kBackup, 3);
  setup.backup = 0;
  EXPECT_THROW(runAll(setup), TimeoutError);
}

TEST(PsLoopback, SyncResultEqualsRingAllReduceAverage) {
  // Same inputs to a one-step sync PS and to ring all-reduce (avg): the PS's parameters move by exactly
  // the ring's result.
  const int workers = 4;
  const std::size_t count = 1000;
  const DType dtype = DType::kFloat32;
  std::vector<std::vector<float>> inputs(workers, std::vector<float>(count));
  for (int worker = 0; worker < workers; ++worker) {
    fillInput(inputs[static_cast<std::size_t>(worker)].data(), count, dtype, ReduceOp::kAvg, worker, workers);
  }
  std::vector<float> ringAverage(count);
  std::mutex mutex;
  runLoopback(workers, [&](Transport& transport) {
    CpuReducer reducer;
    auto ring = makeAllReduce("ring", transport, reducer, AllReduceOptions{});
    std::vector<float> output(count);
    ring->run({inputs[static_cast<std::size_t>(transport.rank())].data(), output.data(), count, dtype,
               ReduceOp::kAvg},
              Clock::now() + 20s, "ring");
    std::lock_guard<std::mutex> lock(mutex);
    if (transport.rank() == 0) ringAverage = output;
  });
  for (const Layout& layout : {Layout{workers, 2, true}, Layout{workers + 2, 2, false}}) {
    PsSetup setup = makeSetup(layout, PsMode::kSync, count * 4, 256, 1);
    setup.warmupSteps = 0;
    setup.timedSteps = 1;
    PsHooks hooks;
    hooks.update = [&](int worker, std::int64_t) {
      return reinterpret_cast<const std::byte*>(inputs[static_cast<std::size_t>(worker)].data());
    };
    std::vector<float> expected(count);
    fillInitialParams(expected.data(), count, dtype, 0);
    CpuReducer reducer;
    reducer.reduce(expected.data(), expected.data(), ringAverage.data(), count, dtype, ReduceOp::kSum);
    for (const PsRankResult& rank : runAll(setup, hooks)) {
      if (!rank.worker.present) continue;
      ASSERT_EQ(rank.worker.params.size(), count * 4);
      EXPECT_EQ(countWrong(rank.worker.params.data(), expected.data(), count, dtype), 0u) << describe(layout);
    }
  }
}

TEST(PsLoopback, BadSetupsAreUsageErrors) {
  PsSetup setup = makeSetup({3, 1, false}, PsMode::kBackup, 1024, 1024, 2);
  setup.backup = 2;  // K = 2
  EXPECT_THROW(runAll(setup), UsageError);
  setup.backup = 1;
  setup.fail = FailPoint{0, 0};  // rank 0 is the server
  EXPECT_THROW(runAll(setup), UsageError);
  setup.fail = FailPoint{1, 2};  // past the two steps
  EXPECT_THROW(runAll(setup), UsageError);
  setup.fail.reset();
  setup.stragglers = {{7, 2.0}};
  EXPECT_THROW(runAll(setup), UsageError);
  setup.stragglers.clear();
  setup.dtype = DType::kFloat16;
  EXPECT_THROW(runAll(setup), UsageError);
}

}  // namespace
}  // namespace ccb
