// The distributed strategies with ranks as threads (suite 'loopback'): sync_ring and sync_ps reach the
// single worker's parameters, the async strategies converge, and the recorded staleness respects each
// mode's bound.
#include <gtest/gtest.h>

#include <cmath>

#include "comm/loopback_transport.h"
#include "reduce/cpu_reducer.h"
#include "train/trainer.h"
#include "train_test_util.h"

namespace ccb {
namespace {

using test::maxAbsDiff;
using test::tinyConfig;

struct Problem {
  explicit Problem(const DatasetSpec& spec)
      : data(generateDataset(spec)), model(ModelKind::kSoftmax, data.features, data.classes) {}
  Dataset data;
  LinearModel model;
};

TrainSummary runOnLoopback(const TrainConfig& config, int ranks) {
  const Problem problem(config.data);
  std::vector<TrainRankResult> results(static_cast<std::size_t>(ranks));
  runLoopback(ranks, [&](Transport& transport) {
    CpuReducer reducer;
    results[static_cast<std::size_t>(transport.rank())] =
        runDistributedTraining(transport, reducer, config, problem.model, problem.data);
  });
  TrainConfig merged = config;
  merged.workers = trainWorkers(config, ranks);
  return mergeTrainResults(merged, problem.model, problem.data, std::move(results));
}

TrainSummary runSingle(TrainConfig config) {
  const Problem problem(config.data);
  std::vector<TrainRankResult> results;
  results.push_back(runLocalTraining(config, problem.model, problem.data));
  return mergeTrainResults(config, problem.model, problem.data, std::move(results));
}

std::int64_t largestStaleness(const TrainSummary& summary) {
  return summary.staleness.empty() ? -1 : summary.staleness.rbegin()->first;
}

// Tolerance of the sync == single comparison. Both paths sum the same per-sample gradients in double; they
// differ only in float rounding: a sync worker rounds its share's sum to float (and sync_ps scales it,
// the server adds K floats and divides by K), where single rounds the whole sum once. That is a relative
// error of a few K * 2^-24 (6e-8) of each step's update; the parameter updates here are below 0.5 and the
// 40 steps of gradient descent on a convex loss at this rate do not amplify differences, so the parameters
// may drift apart by at most about 40 * 4 * 6e-8 * 0.5 = 5e-6 (measured: 6e-8 to 1.2e-7, one or two float
// ulps). 1e-5 is above that bound and still 100 times smaller than the change one step of other data
// makes (checked below), so a wrong split or order fails.
constexpr double kSyncTolerance = 1e-5;

TEST(TrainLoopback, SyncStrategiesReachTheSingleWorkersParameters) {
  for (int workers = 2; workers <= 4; ++workers) {
    const TrainSummary single = runSingle(tinyConfig(Strategy::kSingle, workers));
    const TrainSummary ring = runOnLoopback(tinyConfig(Strategy::kSyncRing, workers), workers);
    EXPECT_LE(maxAbsDiff(ring.params, single.params), kSyncTolerance) << "sync_ring K=" << workers;
    for (int servers : {1, 2}) {
      TrainConfig config = tinyConfig(Strategy::kSyncPs, workers);
      config.servers = servers;
      const TrainSummary ps = runOnLoopback(config, workers + servers);
      EXPECT_LE(maxAbsDiff(ps.params, single.params), kSyncTolerance)
          << "sync_ps K=" << workers << " M=" << servers;
      EXPECT_EQ(ps.workers.size(), static_cast<std::size_t>(workers));
    }
    EXPECT_EQ(ring.workers.size(), static_cast<std::size_t>(workers));
    EXPECT_EQ(ring.workers[0].steps, 40);
  }
  // The tolerance tells data orders apart: one step fewer moves the parameters by far more.
  TrainConfig shorter = tinyConfig(Strategy::kSingle, 2);
  shorter.maxSteps -= 1;
  EXPECT_GT(maxAbsDiff(runSingle(shorter).params, runSingle(tinyConfig(Strategy::kSingle, 2)).params),
            100 * kSyncTolerance);
}

TEST(TrainLoopback, AsyncStrategiesConverge) {
  const double target = 0.75;  // from log(3) = 1.10 at zero parameters; single reaches ~0.5 in 40 steps
  for (Strategy strategy : {Strategy::kAsyncPs, Strategy::kSspPs, Strategy::kBackupPs}) {
    TrainConfig config = tinyConfig(strategy, 3);
    config.staleness = 1;
    config.targetLoss = target;
    const TrainSummary summary = runOnLoopback(config, 4);
    EXPECT_EQ(summary.stop, StopReason::kMaxSteps) << strategyName(strategy);
    EXPECT_LT(summary.final.loss, target) << strategyName(strategy);
    EXPECT_TRUE(summary.stepsToTarget.has_value()) << strategyName(strategy);
    ASSERT_FALSE(summary.curve.empty());
    EXPECT_LT(summary.curve.back().loss, summary.curve.front().loss) << strategyName(strategy);
  }
}

// With worker rank 1 five times slower, async lets the others run ahead without limit; SSP holds every
// worker within s steps of the slowest (its lead, in steps) and so bounds the staleness in updates by
// (K - 1)(2s + 1): during one worker's step each other worker can go from s behind it to s + 1 ahead.
TEST(TrainLoopback, StalenessMatchesEachModesBound) {
  const int workers = 3;
  const int s = 1;
  for (Strategy strategy : {Strategy::kSyncPs, Strategy::kBackupPs, Strategy::kSyncRing, Strategy::kSspPs,
                            Strategy::kAsyncPs}) {
    TrainConfig config = tinyConfig(strategy, workers);
    config.staleness = s;
    config.maxSteps = 24;
    config.compute = parseComputeDist("fixed:2");
    config.stragglers = {{1, 5.0}};
    const int ranks = strategy == Strategy::kSyncRing ? workers : workers + 1;
    const TrainSummary summary = runOnLoopback(config, ranks);
    const std::string label(strategyName(strategy));
    std::int64_t total = 0;
    for (const auto& [stale, count] : summary.staleness) total += count;
    EXPECT_GT(total, 0) << label;
    switch (strategy) {
      case Strategy::kSyncPs:
      case Strategy::kBackupPs:
      case Strategy::kSyncRing:
        EXPECT_EQ(largestStaleness(summary), 0) << label;
        break;
      case Strategy::kSspPs:
        EXPECT_LE(summary.maxLead, s) << label;
        EXPECT_LE(largestStaleness(summary), (workers - 1) * (2 * s + 1)) << label;
        break;
      default:
        EXPECT_GT(summary.maxLead, s) << label;  // the bound above is SSP's doing
        EXPECT_GT(largestStaleness(summary), 0) << label;
        break;
    }
  }
}

TEST(TrainLoopback, DivergenceStopsEveryRank) {
  for (Strategy strategy : {Strategy::kSyncRing, Strategy::kAsyncPs}) {
    TrainConfig config = tinyConfig(strategy, 2);
    config.lr = 1e30;
    const TrainSummary summary = runOnLoopback(config, strategy == Strategy::kSyncRing ? 2 : 3);
    EXPECT_EQ(summary.stop, StopReason::kDiverged) << strategyName(strategy);
    // Worker 0 sees the loss explode and stops; sync_ring's vote stops every rank with it (async workers
    // stop once the parameters they pull are no longer finite, which a huge but finite loss is not).
    EXPECT_LT(summary.workers.at(0).steps, config.maxSteps) << strategyName(strategy);
    if (strategy == Strategy::kSyncRing) {
      EXPECT_EQ(summary.workers.at(1).steps, summary.workers.at(0).steps);
    }
  }
}

TEST(TrainLoopback, GatherBringsEveryRanksResultToRankZero) {
  std::vector<std::size_t> gathered(3, 99);
  runLoopback(3, [&](Transport& transport) {
    TrainRankResult mine;
    mine.paramsFirst = static_cast<std::size_t>(transport.rank());
    mine.params.assign(static_cast<std::size_t>(transport.rank()) + 1, 1.0f);
    const auto all = gatherTrainResults(transport, mine, std::chrono::seconds(20));
    gathered[static_cast<std::size_t>(transport.rank())] = all.size();
    if (transport.rank() == 0) {
      for (std::size_t r = 0; r < all.size(); ++r) EXPECT_EQ(all[r].paramsFirst, r);
    }
  });
  EXPECT_EQ(gathered, (std::vector<std::size_t>{3, 0, 0}));
}

}  // namespace
}  // namespace ccb
