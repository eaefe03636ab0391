// Parameter server, overlap and straggler models against hand-computed values and known constants.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.h"
#include "sim/overlap_model.h"
#include "sim/ps_model.h"
#include "sim/straggler_model.h"

namespace ccb::sim {
namespace {

TEST(Stragglers, NormalMaximumMatchesTabulatedConstants) {
  // E[max of K standard normals]: e_2 = 1/sqrt(pi) = 0.5641896 exactly; DESIGN.md's e_8 = 1.424 and
  // e_64 = 2.344 are rounded; an independent integration (Python, step 1e-4 over [-12, 12]) gives
  // e_8 = 1.4236003, e_64 = 2.3437335.
  const ComputeDistribution n01 = ComputeDistribution::normal(0, 1);
  EXPECT_NEAR(expectedMax(n01, 2), 1 / std::sqrt(M_PI), 1e-7);
  EXPECT_NEAR(expectedMax(n01, 8), 1.4236003, 1e-6);
  EXPECT_NEAR(expectedMax(n01, 64), 2.3437335, 1e-6);
  EXPECT_NEAR(expectedMax(n01, 64), 2.344, 5e-4);
  // mu + sigma e_K: 1000 us +- 50 us over 8 workers: 1000 + 50 * 1.4236003 = 1071.18
  EXPECT_NEAR(expectedMax(ComputeDistribution::normal(1000, 50), 8), 1071.18, 0.01);
  // The median of 3 normals is the mean.
  EXPECT_NEAR(expectedOrderStatistic(n01, 2, 3), 0.0, 1e-9);
}

TEST(Stragglers, ShiftedExponentialAndUniform) {
  // c + H_K / lambda: 100 + (1 + 1/2 + 1/3 + 1/4) / 0.01 = 100 + 208.333... = 308.333...
  EXPECT_NEAR(expectedMax(ComputeDistribution::shiftedExponential(100, 0.01), 4), 100 + 2500.0 / 12, 1e-9);
  // Second smallest of 4: c + (1/4 + 1/3) / lambda = 100 + 58.333...
  EXPECT_NEAR(expectedOrderStatistic(ComputeDistribution::shiftedExponential(100, 0.01), 2, 4), 100 + 175.0 / 3,
              1e-9);
  // Uniform(0, 10): k / (n + 1) of the range: max of 4 = 8.
  EXPECT_NEAR(expectedMax(ComputeDistribution::uniform(0, 10), 4), 8.0, 1e-12);
}

TEST(Stragglers, EmpiricalSampleIsExact) {
  // Two equally likely values 1 and 3; max of two draws is 1 only if both are 1 (p = 1/4): E = 1/4 + 3 * 3/4.
  const ComputeDistribution d = ComputeDistribution::empirical({3, 1});
  EXPECT_NEAR(expectedMax(d, 2), 2.5, 1e-12);
  // Min of two draws: 3 only if both are 3: E = 1 * 3/4 + 3 * 1/4 = 1.5.
  EXPECT_NEAR(expectedOrderStatistic(d, 1, 2), 1.5, 1e-12);
}

TEST(Stragglers, SlowWorkerAndBackups) {
  const ComputeDistribution d = ComputeDistribution::normal(1000, 50);
  // Equal factors give the plain maximum.
  EXPECT_NEAR(expectedMaxScaled(d, std::vector<double>(8, 1.0)), expectedMax(d, 8), 1e-6);
  // One worker 3x slower dominates: about 3000 us (its mean), plus a little from the others' chance to win.
  const double withSlow = expectedMaxScaled(d, {1, 1, 1, 3});
  EXPECT_NEAR(withSlow, 3000, 1.0);
  // A deterministic slow worker on an empirical sample: max(3 * x) is 3 * E[x] when it always wins.
  EXPECT_NEAR(expectedMaxScaled(ComputeDistribution::empirical({10, 12}), {1, 5}), 5 * 11, 1e-12);
  // Backups: the first 8 of 10 finish earlier than all 8 of 8.
  EXPECT_LT(backupStepUs(d, 8, 2, 100), syncStepUs(d, std::vector<double>(8, 1.0), 100));
  EXPECT_NEAR(backupStepUs(d, 8, 0, 100), syncStepUs(d, std::vector<double>(8, 1.0), 100), 1e-6);
  // Async: 8 workers of mean 1000 us + 100 us comm: 8 / 1100 us = 7272.7 updates/s.
  EXPECT_NEAR(asyncUpdatesPerSecond(d, std::vector<double>(8, 1.0), 100), 8e6 / 1100, 1e-6);
}

TEST(Stragglers, BadParametersAreRejected) {
  EXPECT_THROW(expectedMax(ComputeDistribution::normal(0, -1), 2), UsageError);
  EXPECT_THROW(expectedMax(ComputeDistribution::shiftedExponential(0, 0), 2), UsageError);
  EXPECT_THROW(expectedMax(ComputeDistribution::uniform(2, 1), 2), UsageError);
  EXPECT_THROW(expectedMax(ComputeDistribution::empirical({}), 2), UsageError);
  EXPECT_THROW(expectedMax(ComputeDistribution::normal(0, 1), 0), UsageError);
  EXPECT_THROW(expectedOrderStatistic(ComputeDistribution::normal(0, 1), 3, 2), UsageError);
}

TEST(ParameterServer, IncastOnTheServerLinks) {
  // K = 8 workers, M = 2 shards, S = 1e6 bytes, every link 10 us and 1 GB/s (1e3 bytes/us), gamma 0.0002.
  PsConfig c;
  c.workers = 8;
  c.servers = 2;
  c.modelBytes = 1e6;
  c.workerLink = {10, 0.001, 0.0002};
  c.serverLink = {10, 0.001, 0.0002};
  const PsTimes t = psCommunication(c);
  // Push: 10 + max(1e6 * 0.001, 8 * 1e6 / 2 * 0.001) = 10 + 4000 = 4010 (each shard takes in 4 MB).
  EXPECT_NEAR(t.pushUs, 4010, 1e-9);
  // Aggregate: 7 * 5e5 * 0.0002 = 700; pull mirrors push.
  EXPECT_NEAR(t.aggregateUs, 700, 1e-9);
  EXPECT_NEAR(t.pullUs, 4010, 1e-9);
  EXPECT_NEAR(psSyncStepUs(c, 5000), 5000 + 8720, 1e-9);
  // With 8 shards the worker link is the bottleneck: 10 + 1000.
  c.servers = 8;
  EXPECT_NEAR(psCommunication(c).pushUs, 1010, 1e-9);
  // Async, 2 shards: each worker cycles 5000 + 2 * 1010 = 7020 us -> 8 / 7020 us = 1139.6/s; the shards' links
  // allow 1 / (5e5 * 0.001 us) = 2000/s: the workers are the limit.
  c.servers = 2;
  EXPECT_NEAR(psAsyncUpdatesPerSecond(c, std::vector<double>(8, 5000)), 8e6 / 7020, 1e-6);
  // With no compute the links cap it at 2000/s.
  EXPECT_NEAR(psAsyncUpdatesPerSecond(c, std::vector<double>(8, 0)), 2000, 1e-6);
  // The seed formula: 25e6 params * 4 bytes / 1 GB/s = 1e5 us.
  EXPECT_NEAR(naivePsSyncUs(25e6, 1.0), 1e5, 1e-6);
  c.servers = 0;
  EXPECT_THROW(psCommunication(c), UsageError);
}

TEST(Overlap, BucketRecurrence) {
  // 4 layers of 1 MiB, backward 100 us each; first bucket 1 MiB, then 2 MiB buckets; all-reduce 150 us/MiB.
  OverlapConfig c = uniformLayers(4, 4.0 * (1 << 20), 300, 400);
  c.firstBucketBytes = 1 << 20;
  c.bucketBytes = 2 << 20;
  auto comm = [](double bytes) { return 150 * bytes / (1 << 20); };
  const OverlapResult r = overlapStep(c, comm);
  ASSERT_EQ(r.buckets.size(), 3u);  // {layer 1}, {layers 2, 3}, {layer 4}
  // Bucket 0 ready at 100, runs 100..250. Bucket 1 ready at 300, runs 300..600. Bucket 2 ready at 400,
  // waits for bucket 1, runs 600..750.
  EXPECT_DOUBLE_EQ(r.buckets[0].endUs, 250);
  EXPECT_DOUBLE_EQ(r.buckets[1].startUs, 300);
  EXPECT_DOUBLE_EQ(r.buckets[2].startUs, 600);
  EXPECT_DOUBLE_EQ(r.buckets[2].endUs, 750);
  // Step: forward 300 + max(backward 400, 750) = 1050. Bound: max(700, 600) = 700. No overlap: 700 + 600.
  EXPECT_DOUBLE_EQ(r.stepUs, 1050);
  EXPECT_DOUBLE_EQ(r.lowerBoundUs, 700);
  EXPECT_DOUBLE_EQ(r.noOverlapUs, 1300);
  EXPECT_THROW(overlapStep(OverlapConfig{}, comm), UsageError);
  EXPECT_THROW(uniformLayers(0, 1, 1, 1), UsageError);
}

}  // namespace
}  // namespace ccb::sim
