// The accounting pattern, the wire header and the gather encoding of results.
#include "ps/pattern.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "core/error.h"
#include "ps/protocol.h"
#include "ps/summary.h"
#include "reduce/cpu_reducer.h"
#include "reduce/verify.h"

namespace ccb {
namespace {

TEST(Pattern, ExpectedIsInitialPlusAppliedUpdates) {
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kInt32, DType::kInt64}) {
    const std::size_t count = 1000, first = 37;
    CpuReducer reducer;
    std::vector<std::uint64_t> params(count), update(count), expected(count);
    fillInitialParams(params.data(), count, dtype, first);
    // Worker 0 applies attempts 0 and 1 (coefficients 1 + 2), worker 2 attempt 0 (1); worker 1 nothing.
    for (auto [worker, attempt] : {std::pair{0, 0}, {0, 1}, {2, 0}}) {
      fillDelta(update.data(), count, dtype, worker, attemptCoefficient(attempt), first);
      reducer.reduce(params.data(), params.data(), update.data(), count, dtype, ReduceOp::kSum);
    }
    fillExpectedParams(expected.data(), count, dtype, first, {3, 0, 1});
    EXPECT_EQ(countWrong(params.data(), expected.data(), count, dtype), 0u) << dtypeName(dtype);
    // A lost push shows.
    fillExpectedParams(expected.data(), count, dtype, first, {1, 0, 1});
    EXPECT_GT(countWrong(params.data(), expected.data(), count, dtype), count / 2) << dtypeName(dtype);
  }
}

TEST(Pattern, WorkersDirectionsDifferAndCoverMinusOneToOne) {
  const std::size_t count = 300;
  std::vector<float> a(count), b(count);
  fillDelta(a.data(), count, DType::kFloat32, 0, 1, 0);
  fillDelta(b.data(), count, DType::kFloat32, 1, 1, 0);
  int differ = 0, minus = 0, zero = 0, plus = 0;
  for (std::size_t i = 0; i < count; ++i) {
    differ += a[i] != b[i];
    minus += a[i] == -1;
    zero += a[i] == 0;
    plus += a[i] == 1;
  }
  EXPECT_GT(differ, 100);
  EXPECT_GT(minus, 50);
  EXPECT_GT(zero, 50);
  EXPECT_GT(plus, 50);
  EXPECT_EQ(minus + zero + plus, static_cast<int>(count));
}

TEST(Pattern, RejectsHalfPrecision) {
  EXPECT_THROW(checkPsDType(DType::kFloat16), UsageError);
  EXPECT_THROW(checkPsDType(DType::kBFloat16), UsageError);
  EXPECT_NO_THROW(checkPsDType(DType::kInt64));
}

TEST(Protocol, HeaderRoundTrips) {
  const PsHeader header{123456789012345LL, -7, PsHeader::kDone | PsHeader::kApplied};
  EXPECT_EQ(decodeHeader(encodeHeader(header)), header);
}

PsRankResult sampleResult() {
  PsRankResult result;
  result.worker.present = true;
  result.worker.rank = 3;
  result.worker.stepUs = {10, 20};
  result.worker.computeUs = {1, 2};
  result.worker.pushUs = {3, 4};
  result.worker.idleUs = {0, 0.5};
  result.worker.pullUs = {6, 7};
  result.worker.timedUs = 31;
  result.worker.attempts = 4;
  result.worker.pushMessages = 8;
  result.worker.appliedTimed = 2;
  result.worker.wrong = 0;
  result.server.present = true;
  result.server.server = 0;
  result.server.received = 12;
  result.server.applied = 10;
  result.server.appliedTimed = 6;
  result.server.dropped = 2;
  result.server.version = 5;
  result.server.staleness = {{0, 4}, {3, 6}};
  result.server.stepPushCounts = {2, 2, 3};
  result.server.maxLead = 2;
  result.server.failedWorkerRanks = {1, 4};
  result.server.wrong = 0;
  return result;
}

TEST(Summary, EncodingRoundTripsAndGathersByMax) {
  const int iters = 3, ranks = 5;
  const std::int64_t maxStaleness = 4;
  const PsRankResult original = sampleResult();
  const std::vector<double> slot = encodeRankResult(original, iters, maxStaleness, ranks);
  ASSERT_EQ(slot.size(), encodedSlotSize(iters, maxStaleness, ranks));
  for (double value : slot) EXPECT_GE(value, -1);
  const PsRankResult decoded = decodeRankResult(slot, iters, maxStaleness, ranks);
  EXPECT_EQ(decoded.worker.rank, 3);
  EXPECT_EQ(decoded.worker.stepUs, original.worker.stepUs);
  EXPECT_EQ(decoded.worker.idleUs, original.worker.idleUs);
  EXPECT_EQ(decoded.worker.pushMessages, 8);
  EXPECT_EQ(decoded.server.staleness, original.server.staleness);
  EXPECT_EQ(decoded.server.stepPushCounts, (std::vector<int>{2, 3}));
  EXPECT_EQ(decoded.server.failedWorkerRanks, original.server.failedWorkerRanks);
  EXPECT_EQ(decoded.server.dropped, 2);
  // An absent role stays absent.
  const PsRankResult empty = decodeRankResult(encodeRankResult(PsRankResult{}, iters, maxStaleness, ranks),
                                              iters, maxStaleness, ranks);
  EXPECT_FALSE(empty.worker.present);
  EXPECT_FALSE(empty.server.present);
}

TEST(Summary, PoolsWorkersAndChecksTheAccounting) {
  PsRankResult a = sampleResult();
  PsRankResult b;
  b.worker.present = true;
  b.worker.rank = 4;
  b.worker.stepUs = {30};
  b.worker.computeUs = b.worker.pushUs = b.worker.idleUs = b.worker.pullUs = {1};
  b.worker.timedUs = 62;
  b.worker.pushMessages = 4;
  b.worker.stopped = true;
  const PsSummary summary = summarizePs({a, b});
  EXPECT_DOUBLE_EQ(summary.step.median, 20);
  EXPECT_DOUBLE_EQ(summary.step.max, 30);
  EXPECT_EQ(summary.pushMessages, 12);
  EXPECT_EQ(summary.lostPushes, 0);  // 12 sent = 10 applied + 2 dropped
  EXPECT_EQ(summary.minStepPushes, 2);
  EXPECT_EQ(summary.maxStepPushes, 3);
  EXPECT_EQ(summary.failedWorkerRanks, (std::vector<int>{1, 4}));
  EXPECT_EQ(summary.stoppedWorkerRanks, (std::vector<int>{4}));
  EXPECT_EQ(summary.wrong, 0);
  // Worker a applied 2 timed pushes in 31 us, worker b none in 62 us.
  EXPECT_NEAR(summary.updatesPerS, 2 / 31e-6, 1e-6);
}

}  // namespace
}  // namespace ccb
