// Closed forms against values computed by hand (the arithmetic is written next to each expectation).
#include <gtest/gtest.h>

#include "core/error.h"
#include "sim/closed_form.h"
#include "sim/mpich_selection.h"

namespace ccb::sim {
namespace {

// alpha = 10 us, B = 1 GB/s -> beta = 0.001 us/byte, reduce 4 GB/s -> gamma = 0.00025 us/byte.
constexpr AlphaBetaGamma kP{10.0, 0.001, 0.00025};
constexpr double kS = 1048576;  // 1 MiB
// Per full-buffer message: alpha + S beta = 10 + 1048.576 = 1058.576; with a reduction add S gamma = 262.144
// -> 1320.72.

TEST(ClosedForm, Ring) {
  // K = 4: 2*3*10 + 2*(3/4)*1048.576 + (3/4)*262.144 = 60 + 1572.864 + 196.608 = 1829.472
  EXPECT_NEAR(ringTerms(4, kS).timeUs(kP), 1829.472, 1e-9);
  // K = 2: 2*10 + 1048.576 + 131.072 = 1199.648
  EXPECT_NEAR(ringTerms(2, kS).timeUs(kP), 1199.648, 1e-9);
}

TEST(ClosedForm, RecursiveDoubling) {
  // K = 4: lg 4 = 2 steps of 1320.72 = 2641.44
  EXPECT_NEAR(recursiveDoublingTerms(4, kS).timeUs(kP), 2641.44, 1e-9);
  // K = 6 = 4 + 2: 2641.44 + fold-in 1320.72 + hand-back 1058.576 = 5020.736
  EXPECT_NEAR(recursiveDoublingTerms(6, kS).timeUs(kP), 5020.736, 1e-9);
}

TEST(ClosedForm, Rabenseifner) {
  // K = 4: 2*2*10 + 2*(3/4)*1048.576 + (3/4)*262.144 = 40 + 1572.864 + 196.608 = 1809.472
  EXPECT_NEAR(rabenseifnerTerms(4, kS).timeUs(kP), 1809.472, 1e-9);
  // K = 6: 1809.472 + 1320.72 + 1058.576 = 4188.768
  EXPECT_NEAR(rabenseifnerTerms(6, kS).timeUs(kP), 4188.768, 1e-9);
  // K = 8: 2*3*10 + 2*(7/8)*1048.576 + (7/8)*262.144 = 60 + 1835.008 + 229.376 = 2124.384
  EXPECT_NEAR(rabenseifnerTerms(8, kS).timeUs(kP), 2124.384, 1e-9);
}

TEST(ClosedForm, Binomial) {
  // K = 5: ceil(lg 5) = 3 levels: reduce 3*1320.72 = 3962.16, broadcast 3*1058.576 = 3175.728; 7137.888
  EXPECT_NEAR(binomialTerms(5, kS).timeUs(kP), 7137.888, 1e-9);
  EXPECT_NEAR(binomialTerms(1, kS).timeUs(kP), 0.0, 1e-12);
}

TEST(ClosedForm, KaryTrees) {
  // K = 6, radix 4: root has children 1..4 (fan-in 4), node 1 has child 5 (fan-in 1): two levels,
  // 2 messages, 2 S on the wire, (4 + 1) S reduced.
  const CostTerms reduce = karyReduceTerms(6, 4, kS);
  EXPECT_DOUBLE_EQ(reduce.messages, 2);
  EXPECT_DOUBLE_EQ(reduce.wireBytes, 2 * kS);
  EXPECT_DOUBLE_EQ(reduce.reducedBytes, 5 * kS);
  // Radix 64 with 6 ranks: one level.
  const CostTerms bcast = karyBroadcastTerms(6, 64, kS);
  EXPECT_DOUBLE_EQ(bcast.messages, 1);
  EXPECT_DOUBLE_EQ(bcast.wireBytes, kS);
  EXPECT_DOUBLE_EQ(bcast.reducedBytes, 0);
  // Radix 4 with 21 ranks: levels of 1, 4, 16 -> two parent levels, each fan-in 4.
  EXPECT_DOUBLE_EQ(karyReduceTerms(21, 4, kS).reducedBytes, 8 * kS);
  EXPECT_DOUBLE_EQ(karyReduceTerms(1, 4, kS).messages, 0);
}

TEST(ClosedForm, NaiveSeedFormula) {
  // 2 (K-1) S / (K B) with K = 4, S = 1 MiB, B = 1 GB/s = 1e3 bytes/us: 6 * 1048576 / 4000 = 1572.864 us
  EXPECT_NEAR(naiveRingUs(4, kS, 1.0), 1572.864, 1e-9);
}

TEST(ClosedForm, IntegerHelpers) {
  EXPECT_EQ(floorPow2(1), 1);
  EXPECT_EQ(floorPow2(6), 4);
  EXPECT_EQ(floorPow2(8), 8);
  EXPECT_EQ(ceilLog2(1), 0);
  EXPECT_EQ(ceilLog2(5), 3);
  EXPECT_EQ(ceilLog2(8), 3);
  EXPECT_EQ(exactLog2(1024), 10);
}

ClusterDescription oneHost(int ranks) {
  ClusterDescription c;
  c.ranks = ranks;
  c.ranksPerHost = ranks;
  c.intraHost = {10.0, 1.0};
  c.interHost = {100.0, 0.1};
  c.reduceGBps = 4.0;
  return c;
}

ClusterDescription onePerHost(int ranks) {
  ClusterDescription c = oneHost(ranks);
  c.ranksPerHost = 1;
  c.interHost = {10.0, 1.0};
  c.intraHost = {1.0, 100.0};
  return c;
}

TEST(ClosedForm, ClusterPredictionUsesTheRightLinkClass) {
  // On one host the intra-host link (10 us, 1 GB/s) is the only one: the flat ring value above.
  const ClosedFormCluster local = closedFormView(oneHost(4));
  EXPECT_NEAR(predictAllReduce(local, AllReduceAlgo::kRing, 1048576, 4).timeUs(), 1829.472, 1e-9);
  // One rank per host: the host links (again 10 us, 1 GB/s).
  const ClosedFormCluster spread = closedFormView(onePerHost(4));
  EXPECT_NEAR(predictAllReduce(spread, AllReduceAlgo::kRing, 1048576, 4).timeUs(), 1829.472, 1e-9);
  // The split says why: 60 us of latency, 1572.864 us on the wire, 196.608 us reducing.
  const TimeSplit split = predictAllReduce(spread, AllReduceAlgo::kRing, 1048576, 4).split;
  EXPECT_NEAR(split.latencyUs, 60, 1e-9);
  EXPECT_NEAR(split.bandwidthUs, 1572.864, 1e-9);
  EXPECT_NEAR(split.reduceUs, 196.608, 1e-9);
  EXPECT_FALSE(split.latencyBound());
  EXPECT_TRUE(predictAllReduce(spread, AllReduceAlgo::kRing, 4, 4).split.latencyBound());
}

TEST(ClosedForm, SlowLinkPacesTheRing) {
  ClusterDescription c = onePerHost(4);
  c.hostOverrides.push_back(HostOverride{2, 20.0, 0.5});
  // 6*20 + 1.5 MiB at 0.5 GB/s (3145.728) + 196.608 = 3462.336
  EXPECT_NEAR(predictAllReduce(closedFormView(c), AllReduceAlgo::kRing, 1048576, 4).timeUs(), 3462.336, 1e-9);
}

TEST(ClosedForm, HierarchicalOnTwoLevels) {
  // 2 hosts x 2 ranks. intra: 1 us, 100 GB/s; inter: 10 us, 1 GB/s; gamma 0.00025 us/B; S = 1 MiB.
  ClusterDescription c = onePerHost(4);
  c.ranksPerHost = 2;
  // intra ring K=2: 2*1 + 1048576*0.00001 + 0.5*262.144 = 2 + 10.48576 + 131.072 = 143.55776
  // inter ring K=2: 2*10 + 1048.576 + 131.072 = 1199.648
  // intra binomial broadcast K=2: 1 + 10.48576 = 11.48576
  EXPECT_NEAR(predictAllReduce(closedFormView(c), AllReduceAlgo::kHierarchical, 1048576, 4).timeUs(),
              143.55776 + 1199.648 + 11.48576, 1e-9);
}

TEST(ClosedForm, NaiveRingIgnoresLatencyAndReduction) {
  EXPECT_NEAR(predictAllReduce(closedFormView(onePerHost(4)), AllReduceAlgo::kNaiveRing, 1048576, 4).timeUs(),
              1572.864, 1e-9);
}

TEST(MpichSelection, FollowsTheCompiledInDecisionTrees) {
  // MPIR level: <= 8 bytes or count < pof2 -> recursive doubling, otherwise Rabenseifner.
  EXPECT_TRUE(mpirPicksRecursiveDoubling(4, 8, 2));
  EXPECT_TRUE(mpirPicksRecursiveDoubling(16, 40, 10));  // 10 elements < pof2 = 16
  EXPECT_FALSE(mpirPicksRecursiveDoubling(4, 16, 4));
  EXPECT_FALSE(mpirPicksRecursiveDoubling(2, 1 << 20, 1 << 18));
  EXPECT_EQ(mpichPath(1, 2), MpichAllReducePath::kShmReleaseGather);
  EXPECT_EQ(mpichPath(4, 1), MpichAllReducePath::kFlat);
  EXPECT_EQ(mpichPath(2, 2), MpichAllReducePath::kSmpComposition);
}

TEST(MpichSelection, PredictionNamesWhatRuns) {
  const ClosedFormCluster spread = closedFormView(onePerHost(4));
  EXPECT_EQ(predictAllReduce(spread, AllReduceAlgo::kMpi, 4, 4).runs, "recursive_doubling");
  EXPECT_EQ(predictAllReduce(spread, AllReduceAlgo::kMpi, 1 << 20, 4).runs, "rabenseifner");
  // Rabenseifner at 1 MiB, K = 4: the flat value 1809.472 from above.
  EXPECT_NEAR(predictAllReduce(spread, AllReduceAlgo::kMpi, 1 << 20, 4).timeUs(), 1809.472, 1e-9);
  const ClosedFormCluster local = closedFormView(oneHost(2));
  EXPECT_EQ(predictAllReduce(local, AllReduceAlgo::kMpi, 1 << 20, 4).runs, "shm_release_gather");
  // Two ranks on one host: gather level alpha + S beta + S gamma, release level alpha + S beta:
  // 1320.72 + 1058.576 = 2379.296
  EXPECT_NEAR(predictAllReduce(local, AllReduceAlgo::kMpi, 1 << 20, 4).timeUs(), 2379.296, 1e-9);
}

TEST(ClosedForm, AlgoNamesRoundTrip) {
  for (AllReduceAlgo algo : allAlgos()) EXPECT_EQ(parseAlgo(algoName(algo)), algo);
  EXPECT_THROW(parseAlgo("tree"), UsageError);
}

}  // namespace
}  // namespace ccb::sim
