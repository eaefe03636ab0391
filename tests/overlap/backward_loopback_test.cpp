// The emulated iteration over the loopback transport (ranks as threads) with the ring: every gradient is
// reduced exactly once (in place, so a bucket reduced twice or never shows up as wrong elements), buckets
// start in order after they are ready, and the timings add up.
#include <gtest/gtest.h>

#include <vector>

#include "comm/loopback_transport.h"
#include "overlap/backward_pass.h"
#include "reduce/cpu_reducer.h"
#include "reduce/verify.h"

namespace ccb {
namespace {

struct Outcome {
  std::size_t wrong = 0;
  IterationTiming timing;
};

// Runs `iterations` iterations of `mode` on `ranks` loopback ranks; returns rank 0's last timing and the wrong
// elements summed over ranks and iterations.
Outcome runIterations(int ranks, OverlapMode mode, int iterations, double sliceUs) {
  LayerProfile profile = parseLayerList("4K,12K,8K,40K,4K,20", "--layers");
  setBackwardTotal(profile, 400);
  const std::vector<BucketPlan> buckets = assignBuckets(profile, 4 * 1024, 16 * 1024);
  const std::size_t count = profile.totalBytes() / 4;
  std::vector<Outcome> outcomes(static_cast<std::size_t>(ranks));
  runLoopback(ranks, [&](Transport& transport) {
    CpuReducer reducer;
    ComputeKernel kernel;
    const double rate = calibrateUnitsPerUs(kernel, 200, 3);
    auto comm = makeAsyncAllReduce("ring", transport, reducer, AllReduceOptions{4096, 2});
    BackwardPass pass(profile, buckets, *comm, kernel, PassSettings{rate, sliceUs, 20, std::chrono::seconds(30)});
    std::vector<float> gradients(count), expected(count);
    fillExpected(expected.data(), count, DType::kFloat32, ReduceOp::kSum, ranks);
    Outcome& out = outcomes[static_cast<std::size_t>(transport.rank())];
    for (int i = 0; i < iterations; ++i) {
      fillInput(gradients.data(), count, DType::kFloat32, ReduceOp::kSum, transport.rank(), ranks);
      out.timing = pass.run(gradients.data(), mode, "test iteration");
      if (mode != OverlapMode::kComputeOnly) out.wrong += countWrong(gradients.data(), expected.data(), count, DType::kFloat32);
    }
  });
  Outcome total = outcomes[0];
  for (std::size_t r = 1; r < outcomes.size(); ++r) total.wrong += outcomes[r].wrong;
  return total;
}

TEST(BackwardPass, BucketedReducesEveryGradientOnce) {
  for (int ranks : {1, 2, 3}) {
    const Outcome o = runIterations(ranks, OverlapMode::kBucketed, 3, 20);
    EXPECT_EQ(o.wrong, 0u) << ranks << " ranks";
    // Buckets: [20 + 4K] [40K] [8K + 12K] [4K] -> four all-reduces, each started after it was ready and after
    // the previous one finished.
    ASSERT_EQ(o.timing.readyUs.size(), 4u);
    ASSERT_EQ(o.timing.startUs.size(), 4u);
    ASSERT_EQ(o.timing.finishUs.size(), 4u);
    for (std::size_t j = 0; j < 4; ++j) {
      EXPECT_GE(o.timing.startUs[j], o.timing.readyUs[j]);
      EXPECT_GE(o.timing.finishUs[j], o.timing.startUs[j]);
      if (j > 0) {
        EXPECT_GE(o.timing.startUs[j], o.timing.finishUs[j - 1]);
      }
    }
    EXPECT_LE(o.timing.finishUs.back(), o.timing.totalUs);
    EXPECT_GT(o.timing.computeUs, 0);
    EXPECT_NEAR(o.timing.exposedUs, o.timing.totalUs - o.timing.computeUs, 1e-9);
  }
}

TEST(BackwardPass, NoOverlapIsOneAllReduceAfterCompute) {
  const Outcome o = runIterations(2, OverlapMode::kNoOverlap, 2, 20);
  EXPECT_EQ(o.wrong, 0u);
  ASSERT_EQ(o.timing.finishUs.size(), 1u);
  EXPECT_GE(o.timing.startUs[0], o.timing.computeUs);  // compute ends before the all-reduce starts
  EXPECT_EQ(o.timing.progressUs, 0);
}

TEST(BackwardPass, ComputeOnlyCommunicatesNothing) {
  const Outcome o = runIterations(2, OverlapMode::kComputeOnly, 1, 20);
  EXPECT_TRUE(o.timing.finishUs.empty());
  EXPECT_EQ(o.timing.commUs, 0);
  // ~420 us of work asked for (20 forward + 400 backward); the calibration is coarse, the bound loose.
  EXPECT_GT(o.timing.computeUs, 100);
}

}  // namespace
}  // namespace ccb
