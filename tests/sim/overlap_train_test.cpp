// The models behind `ccsim predict overlap` (layer profiles, src/overlap's buckets) and `ccsim predict train`
// (order statistics with a straggler, the strategies' step times), on hand-worked numbers; their CLI paths
// and bad inputs; and compare's joins of overlap and train records (per bucket, per metric, per straggler).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/error.h"
#include "overlap/buckets.h"
#include "overlap/profile.h"
#include "sim/cli.h"
#include "sim/cli_common.h"
#include "sim/compare.h"
#include "sim/overlap_model.h"
#include "sim/readers.h"
#include "sim/straggler_model.h"
#include "sim/train_model.h"
#include "sim_test_util.h"

namespace ccb::sim {
namespace {

namespace fs = std::filesystem;

// Forward order: L0 4K 100 us, L1 8K 200 us, L2 4K 300 us. Backward meets L2, L1, L0; with a 4K first
// bucket and 8K buckets: {L2}, {L1}, {L0}.
LayerProfile threeLayers() {
  LayerProfile p = parseLayerList("4K,8K,4K", "--layers");
  p.layers[0].backwardUs = 100;
  p.layers[1].backwardUs = 200;
  p.layers[2].backwardUs = 300;
  return p;
}

const BucketCommUs kThousandUs = [](std::size_t, double) { return 1000.0; };

TEST(ProfileOverlap, BucketRecurrenceByHand) {
  const LayerProfile p = threeLayers();
  const std::vector<BucketPlan> plan = assignBuckets(p, 4096, 8192);
  ASSERT_EQ(plan.size(), 3u);
  // forward 50; ready 50+300 = 350, 550, 650; e_0 = 350+1000 = 1350, e_1 = max(550, 1350)+1000 = 2350,
  // e_2 = 3350.
  const ProfilePassResult r = bucketedPass(p, plan, {50, 1}, kThousandUs);
  ASSERT_EQ(r.buckets.size(), 3u);
  EXPECT_DOUBLE_EQ(r.buckets[0].readyUs, 350);
  EXPECT_DOUBLE_EQ(r.buckets[1].readyUs, 550);
  EXPECT_DOUBLE_EQ(r.buckets[2].readyUs, 650);
  EXPECT_DOUBLE_EQ(r.buckets[1].startUs, 1350);
  EXPECT_DOUBLE_EQ(r.buckets[2].endUs, 3350);
  EXPECT_DOUBLE_EQ(r.stepUs, 3350);
  EXPECT_DOUBLE_EQ(r.computeUs, 650);
  EXPECT_DOUBLE_EQ(r.exposedUs, 2700);
  EXPECT_DOUBLE_EQ(r.commUs, 3000);
  EXPECT_DOUBLE_EQ(r.buckets[1].bytes, 8192);
}

TEST(ProfileOverlap, SlowdownStretchesBackwardOnly) {
  const LayerProfile p = threeLayers();
  const std::vector<BucketPlan> plan = assignBuckets(p, 4096, 8192);
  // x2: ready 50+600 = 650, 1050, 1250; e = 1650, 2650, 3650. Forward is not slowed.
  const ProfilePassResult r = bucketedPass(p, plan, {50, 2}, kThousandUs);
  EXPECT_DOUBLE_EQ(r.buckets[0].readyUs, 650);
  EXPECT_DOUBLE_EQ(r.buckets[2].readyUs, 1250);
  EXPECT_DOUBLE_EQ(r.stepUs, 3650);
  EXPECT_DOUBLE_EQ(r.computeUs, 1250);
  EXPECT_DOUBLE_EQ(r.computeAloneUs, 650);
  // Compute longer than communication: the step is backward's end.
  const ProfilePassResult fast = bucketedPass(p, plan, {50, 2}, [](std::size_t, double) { return 10.0; });
  EXPECT_DOUBLE_EQ(fast.stepUs, 1260);  // e_2 = max(1250, e_1) + 10
}

TEST(ProfileOverlap, NoOverlapIsComputeThenOneAllReduce) {
  const ProfilePassResult r = noOverlapPass(threeLayers(), {50, 3}, [](std::size_t, double bytes) { return bytes / 16; });
  ASSERT_EQ(r.buckets.size(), 1u);
  EXPECT_DOUBLE_EQ(r.computeUs, 650);  // the slowdown does not apply: nothing is in flight
  EXPECT_DOUBLE_EQ(r.commUs, 16384.0 / 16);
  EXPECT_DOUBLE_EQ(r.stepUs, 650 + 1024);
}

TEST(ProfileOverlap, BadInputs) {
  const LayerProfile p = threeLayers();
  const std::vector<BucketPlan> plan = assignBuckets(p, 4096, 8192);
  EXPECT_THROW(bucketedPass(p, plan, {50, 0}, kThousandUs), UsageError);
  EXPECT_THROW(bucketedPass(p, plan, {-1, 1}, kThousandUs), UsageError);
  EXPECT_THROW(bucketedPass(LayerProfile{}, {}, {0, 1}, kThousandUs), UsageError);
  LayerProfile unset = p;
  unset.layers[1].backwardUs = -1;
  EXPECT_THROW(bucketedPass(unset, plan, {0, 1}, kThousandUs), UsageError);
  std::vector<BucketPlan> foreign = plan;
  foreign[0].layers = {7};
  EXPECT_THROW(bucketedPass(p, foreign, {0, 1}, kThousandUs), UsageError);
}

TEST(OrderStatistics, ScaledByHand) {
  // U ~ uniform(0,1) and 2V: P(min > x) = (1-x)(1-x/2) on [0,1]: E[min] = 1 - 3/4 + 1/6 = 5/12;
  // E[max] = E[U] + E[2V] - E[min] = 13/12.
  const ComputeDistribution u = ComputeDistribution::uniform(0, 1);
  EXPECT_NEAR(expectedOrderStatisticScaled(u, {1, 2}, 1), 5.0 / 12, 1e-6);
  EXPECT_NEAR(expectedOrderStatisticScaled(u, {1, 2}, 2), 13.0 / 12, 1e-6);
  // Equal factors: the plain order statistic; uniform k/(n+1).
  EXPECT_NEAR(expectedOrderStatisticScaled(u, {1, 1, 1}, 2), 0.5, 1e-12);
  // A fixed time: the k-th smallest of f x value.
  EXPECT_DOUBLE_EQ(expectedOrderStatisticScaled(ComputeDistribution::normal(10, 0), {1, 3, 2}, 2), 20);
  EXPECT_DOUBLE_EQ(expectedOrderStatisticScaled(ComputeDistribution::normal(10, 0), {1, 3, 2}, 3), 30);
  // Empirical {1, 2} x factors {1, 2}: pairs (1,2) (1,4) (2,2) (2,4) equally likely; min 1,1,2,2.
  EXPECT_NEAR(expectedOrderStatisticScaled(ComputeDistribution::empirical({1, 2}), {1, 2}, 1), 1.5, 1e-12);
  // The scaled maximum agrees with expectedMaxScaled (normal, a 3x straggler).
  const ComputeDistribution n = ComputeDistribution::normal(1000, 100);
  EXPECT_NEAR(expectedOrderStatisticScaled(n, {1, 1, 3}, 3), expectedMaxScaled(n, {1, 1, 3}), 1e-6);
  // One 3x straggler among 4: the 3rd of 4 is the largest of the three others (normal e_3 = 0.8463).
  EXPECT_NEAR(expectedOrderStatisticScaled(n, {1, 1, 1, 3}, 3), 1000 + 100 * 0.846284, 0.5);
  EXPECT_THROW(expectedOrderStatisticScaled(n, {1, 1}, 3), UsageError);
  EXPECT_THROW(expectedOrderStatisticScaled(n, {1, 0}, 1), UsageError);
  EXPECT_NEAR(variance(ComputeDistribution::uniform(0, 12)), 12, 1e-12);
  EXPECT_NEAR(variance(ComputeDistribution::shiftedExponential(5, 0.5)), 4, 1e-12);
  EXPECT_NEAR(variance(ComputeDistribution::empirical({1, 3})), 1, 1e-12);
}

// K = 3, compute fixed 1000 us, worker 2 three times slower; ring 100 us; PS: 1000 bytes, alpha 10 us,
// beta 0.01 us/B. Sync push/pull max(1000 x 0.01, 3 x 1000 x 0.01) + 10 = 40 each (80); alone 20 each (40).
TrainSetup handSetup() {
  TrainSetup s;
  s.compute = ComputeDistribution::normal(1000, 0);
  s.workerFactors = {1, 1, 3};
  s.ringUs = 100;
  const AlphaBetaGamma link{10, 0.01, 0};
  s.ps = PsConfig{3, 1, 1000, link, link};
  s.backups = 1;
  s.staleness = 2;
  return s;
}

TEST(TrainModel, StrategiesByHand) {
  const TrainSetup s = handSetup();
  auto step = [&](TrainStrategy t) { return predictTrainStep(t, s); };
  EXPECT_DOUBLE_EQ(step(TrainStrategy::kSingle).stepUs, 3000);  // K draws of worker 0 (factor 1)
  EXPECT_NEAR(step(TrainStrategy::kSingle).updatesPerS, 1e6 / 3000, 1e-9);
  EXPECT_DOUBLE_EQ(step(TrainStrategy::kSyncRing).stepUs, 3100);
  EXPECT_NEAR(step(TrainStrategy::kSyncRing).updatesPerS, 3e6 / 3100, 1e-9);
  EXPECT_DOUBLE_EQ(step(TrainStrategy::kSyncPs).stepUs, 3080);
  EXPECT_DOUBLE_EQ(step(TrainStrategy::kSyncPs).commUs, 80);
  EXPECT_DOUBLE_EQ(step(TrainStrategy::kBackupPs).stepUs, 1080);  // the 2nd of {1000, 1000, 3000}
  EXPECT_NEAR(step(TrainStrategy::kBackupPs).updatesPerS, 2e6 / 1080, 1e-9);
  // Async: cycles 1040, 1040, 3040; the median worker's; rates summed.
  EXPECT_DOUBLE_EQ(step(TrainStrategy::kAsyncPs).stepUs, 1040);
  EXPECT_NEAR(step(TrainStrategy::kAsyncPs).updatesPerS, 2e6 / 1040 + 1e6 / 3040, 1e-9);
  // SSP with a fixed time: the straggler paces everyone: 3000 + 40.
  EXPECT_DOUBLE_EQ(step(TrainStrategy::kSspPs).stepUs, 3040);
  EXPECT_DOUBLE_EQ(step(TrainStrategy::kHogwild).stepUs, 1000);
  EXPECT_NEAR(step(TrainStrategy::kHogwild).updatesPerS, 2e3 + 1e6 / 3000, 1e-9);
}

TEST(TrainModel, SspLiesBetweenSyncAndAsync) {
  TrainSetup s = handSetup();
  s.compute = ComputeDistribution::normal(1000, 200);
  s.workerFactors = {1, 1, 1, 1};
  s.ps.workers = 4;
  s.staleness = 0;
  const double ssp0 = predictTrainStep(TrainStrategy::kSspPs, s).computeUs;
  s.staleness = 8;
  const double ssp8 = predictTrainStep(TrainStrategy::kSspPs, s).computeUs;
  const double sync = predictTrainStep(TrainStrategy::kSyncPs, s).computeUs;
  EXPECT_NEAR(ssp0, sync, 1e-3);  // s = 0: the normal E[max of 4] = 1000 + 200 x 1.0294
  EXPECT_NEAR(sync, 1000 + 200 * 1.029375, 0.05);
  EXPECT_NEAR(ssp8, 1000 + 200 * 1.029375 / 3, 0.05);  // sd / sqrt(9)
  EXPECT_GT(ssp8, 1000.0);
}

TEST(TrainModel, BadSetups) {
  TrainSetup s = handSetup();
  s.backups = 3;
  EXPECT_THROW(predictTrainStep(TrainStrategy::kBackupPs, s), UsageError);
  s = handSetup();
  s.compute = ComputeDistribution::normal(0, 0);
  EXPECT_THROW(predictTrainStep(TrainStrategy::kHogwild, s), UsageError);
  s = handSetup();
  s.workerFactors = {};
  EXPECT_THROW(predictTrainStep(TrainStrategy::kSingle, s), UsageError);
  EXPECT_THROW(parseTrainStrategy("allreduce"), UsageError);
  EXPECT_EQ(trainStrategyName(parseTrainStrategy("ssp_ps")), "ssp_ps");
}

std::vector<Record> fixtureRecords(const std::string& name) {
  return recordsFromSchemaDocument(parseJsonText(cli::readTextFile(test::fixture(name)), name), name);
}

TEST(CompareJoins, OverlapPerBucketAndFractions) {
  const Comparison c = compareRecords(fixtureRecords("measured_overlap.json"), fixtureRecords("predicted_overlap.json"), {});
  ASSERT_EQ(c.points.size(), 3u);  // compute_only, ddp_ring, no_overlap_ring
  EXPECT_EQ(c.points[0].algo, "compute_only");
  EXPECT_NEAR(c.points[0].relError, 0.10, 1e-12);
  EXPECT_TRUE(c.points[0].buckets.empty());
  const ComparedPoint& ddp = c.points[1];
  EXPECT_EQ(ddp.algo, "ddp_ring");
  EXPECT_NEAR(ddp.relError, -0.20, 1e-12);
  ASSERT_EQ(ddp.buckets.size(), 2u);
  EXPECT_NEAR(ddp.buckets[0].relError, (1000.0 - 1200) / 1200, 1e-12);
  EXPECT_NEAR(ddp.buckets[1].relError, -0.20, 1e-12);
  ASSERT_EQ(ddp.metrics.size(), 2u);
  EXPECT_EQ(ddp.metrics[0].name, "exposed_fraction");
  EXPECT_NEAR(ddp.metrics[0].relError, -0.20, 1e-12);
  EXPECT_NEAR(ddp.metrics[1].relError, -1.0 / 3, 1e-12);
  ASSERT_EQ(c.points[2].buckets.size(), 1u);
  EXPECT_NEAR(c.points[2].buckets[0].relError, 0.10, 1e-12);
  // Buckets pooled: |-1/6|, 0.2, 0.1 -> median 1/6, max 0.2.
  EXPECT_EQ(c.bucketFinish.points, 3u);
  EXPECT_NEAR(c.bucketFinish.medianApe, 1.0 / 6, 1e-12);
  EXPECT_NEAR(c.bucketFinish.maxApe, 0.2, 1e-12);
  const nlohmann::json summary = summaryJson(c);
  ASSERT_EQ(summary["overlap_fractions"].size(), 2u);
  EXPECT_EQ(summary["overlap_fractions"][0]["measured"], 0.5);
  EXPECT_EQ(summary["overlap_fractions"][0]["predicted"], 0.4);
  EXPECT_EQ(toJson(ddp)["buckets"].size(), 2u);
  EXPECT_NE(comparisonTable(c).find("bucket 1 finish_us"), std::string::npos);
}

TEST(CompareJoins, TrainByStragglerAndSettings) {
  const Comparison c = compareRecords(fixtureRecords("measured_train.json"), fixtureRecords("predicted_train.json"), {});
  // async_ps, sync_ring, sync_ring with the straggler; backup_ps differs in its backup count.
  ASSERT_EQ(c.points.size(), 3u);
  EXPECT_EQ(c.mismatchedSettings, 1u);
  EXPECT_EQ(c.points[0].algo, "async_ps");
  EXPECT_NEAR(c.points[0].relError, 0, 1e-12);
  EXPECT_EQ(c.points[1].variant, "");
  EXPECT_NEAR(c.points[1].relError, 0.10, 1e-12);
  ASSERT_EQ(c.points[1].metrics.size(), 1u);
  EXPECT_EQ(c.points[1].metrics[0].name, "updates_per_s");
  EXPECT_NEAR(c.points[1].metrics[0].relError, -0.10, 1e-12);
  EXPECT_EQ(c.points[2].variant, "straggler x3");
  EXPECT_NEAR(c.points[2].relError, -0.10, 1e-12);
  EXPECT_NEAR(c.points[2].metrics[0].relError, 0.20, 1e-12);  // 60 vs 50
  EXPECT_EQ(c.byMetric.at("updates_per_s").points, 3u);
  EXPECT_EQ(summaryJson(c)["mismatched_settings"], 1);
}

// ---- the command line ----

struct CliResult {
  int status = 0;
  std::string out, err;
};

CliResult ccsim(std::vector<std::string> args) {
  args.insert(args.begin(), "ccsim");
  std::ostringstream out, err;
  CliResult r;
  r.status = runCcsim(args, out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

class PredictCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ccsim-ot-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  void expectRejected(std::vector<std::string> args, const std::string& mentions) {
    SCOPED_TRACE(::testing::PrintToString(args));
    args.push_back("-J");
    args.push_back(path("out.json"));
    const CliResult r = ccsim(args);
    EXPECT_NE(r.status, 0);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_NE(r.err.find(mentions), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(path("out.json")));
  }
  fs::path dir_;
};

TEST_F(PredictCli, OverlapProfileRecordsKeyedLikeCcbench) {
  const std::string out = path("pred.json");
  const CliResult r = ccsim({"predict", "overlap", "--cluster", test::clusterFile("local-2ranks.json"), "--layers", "resnet50",
                       "--compute-us", "40000", "--algo", "ring,mpi", "-J", out});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto records = recordsFromSchemaDocument(readDocument(out), out);
  ASSERT_EQ(records.size(), 5u);  // compute_only, then no_overlap and ddp for ring and mpi
  const LayerProfile resnet = presetProfile("resnet50");
  const std::size_t buckets = assignBuckets(resnet, kDdpFirstBucketBytes, kDdpBucketBytes).size();
  for (const Record& rec : records) {
    EXPECT_EQ(rec.collective, "overlap");
    EXPECT_EQ(rec.bytes, resnet.totalBytes());
    EXPECT_EQ(rec.ranks, 2);
  }
  EXPECT_EQ(records[0].algo, "compute_only");
  EXPECT_DOUBLE_EQ(records[0].time.median, 40000);
  EXPECT_EQ(records[2].algo, "ddp_ring");
  EXPECT_EQ(records[2].extra["buckets"].size(), buckets);
  EXPECT_GE(records[2].time.median, 40000);
  EXPECT_TRUE(records[2].extra.contains("exposed_fraction"));
}

TEST_F(PredictCli, OverlapInputsFromAMeasurement) {
  // Two 8K layers, 500 us each; buckets {L1}, {L0}. From the fixture: slowdown 1.5 (effective) -> ready 750,
  // 1500; measured C = 600, 1000 -> e = 1350, 2500. No overlap: 1000 + the measured 2000. Exposed counts
  // compute at the compute-only factor 1.2: (2500 - 1200) / 2000.
  const std::string m = test::fixture("measured_overlap.json");
  const std::string out = path("pred.json");
  const CliResult r = ccsim({"predict", "overlap", "--ranks", "2", "--layers", "8K,8K", "--compute-us", "1000",
                       "--first-bucket", "8K", "--bucket", "8K", "--algo", "ring", "--slowdown-from", m,
                       "--comm-from", m, "--compute-from", m, "-J", out});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto records = recordsFromSchemaDocument(readDocument(out), out);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_DOUBLE_EQ(records[1].time.median, 3000);  // no_overlap_ring
  const Record& ddp = records[2];
  EXPECT_DOUBLE_EQ(ddp.time.median, 2500);
  EXPECT_DOUBLE_EQ(ddp.extra["buckets"][0]["finish_us"]["median"].get<double>(), 1350);
  EXPECT_DOUBLE_EQ(ddp.extra["exposed_fraction"].get<double>(), 0.65);
  EXPECT_DOUBLE_EQ(ddp.extra["overhead_fraction"].get<double>(), 0.75);
  // And it joins the measurement bucket by bucket.
  const CliResult cmp = ccsim({"compare", "-m", m, "-p", out});
  ASSERT_EQ(cmp.status, 0) << cmp.err;
  EXPECT_NE(cmp.out.find("bucket 1 finish_us"), std::string::npos);
}

TEST_F(PredictCli, OverlapBadInput) {
  const std::string c = test::clusterFile("local-2ranks.json");
  expectRejected({"predict", "overlap", "--cluster", c, "--layers", "", "--compute-us", "10"}, "empty layer list");
  expectRejected({"predict", "overlap", "--cluster", c, "--layers", "4K", "--compute-us", "10", "--bucket", "0"},
                 "--bucket must be at least 1 byte");
  expectRejected({"predict", "overlap", "--cluster", c, "--layers", "4K", "--compute-us=-5"}, "--compute-us must be >= 0");
  expectRejected({"predict", "overlap", "--cluster", c, "--profile", test::fixture("bad_profile.json")}, "bad_profile.json");
  expectRejected({"predict", "overlap", "--cluster", c, "--layers", "4K", "--compute-us", "10", "--compute-slowdown", "0"},
                 "--compute-slowdown must be > 0");
  expectRejected({"predict", "overlap", "--cluster", c, "--layers", "4K", "--compute-us", "10", "--slowdown-from",
                  test::fixture("measured_small.json")},
                 "no overlap record 'ddp_ring'");
  expectRejected({"predict", "overlap", "--cluster", c, "--layers", "4K"}, "backward time");
}

TEST_F(PredictCli, TrainRecordsFollowTheContract) {
  const std::string out = path("train.json");
  const CliResult r = ccsim({"predict", "train", "--cluster", test::clusterFile("local-2ranks.json"), "--compute", "fixed:10",
                       "--params", "1000", "--straggler", "1:3", "-J", out});
  ASSERT_EQ(r.status, 0) << r.err;
  const auto records = recordsFromSchemaDocument(readDocument(out), out);
  ASSERT_EQ(records.size(), 7u);  // every strategy, K = 2, b = 1
  for (const Record& rec : records) {
    EXPECT_EQ(rec.collective, "train");
    EXPECT_EQ(rec.ranks, 2);
    EXPECT_EQ(rec.bytes, 4000u);
    EXPECT_EQ(rec.count, 1000u);
    EXPECT_EQ(rec.nwrong, -1);
    EXPECT_DOUBLE_EQ(rec.extra["step_time_us"].get<double>(), rec.time.median);
    EXPECT_GT(rec.extra["updates_per_s"].get<double>(), 0);
    EXPECT_EQ(rec.extra["straggler"]["factor"], 3.0);
  }
  EXPECT_EQ(records[0].algo, "single");
  EXPECT_DOUBLE_EQ(records[0].time.median, 20000);  // 2 x 10 ms on worker 0
  EXPECT_EQ(records[5].algo, "backup_ps");
  EXPECT_EQ(records[5].extra["backup"], 1);
  EXPECT_EQ(records[4].extra["staleness_bound"], 2);
  EXPECT_EQ(records[6].algo, "hogwild");
  EXPECT_EQ(records[6].op, ReduceOp::kSum);
  EXPECT_EQ(records[1].op, ReduceOp::kAvg);
}

TEST_F(PredictCli, TrainBadInput) {
  const std::string c = test::clusterFile("local-2ranks.json");
  expectRejected({"predict", "train", "--cluster", c, "--params", "10"}, "--compute (ms) or --dist (us) is required");
  expectRejected({"predict", "train", "--cluster", c, "--compute", "fixed:-1", "--params", "10"}, "--compute");
  expectRejected({"predict", "train", "--cluster", c, "--compute", "fixed:1", "--strategy", "gossip"}, "unknown training strategy");
  expectRejected({"predict", "train", "--cluster", c, "--compute", "fixed:1", "--straggler", "9:3", "--params", "10"},
                 "no worker");
  expectRejected({"predict", "train", "--cluster", c, "--compute", "fixed:1", "--strategy", "backup_ps", "--backup", "2",
                  "--params", "10"},
                 "backup_ps needs K > b");
}

}  // namespace
}  // namespace ccb::sim
