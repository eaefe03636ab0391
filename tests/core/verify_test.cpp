#include "reduce/verify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "reduce/cpu_reducer.h"

namespace ccb {
namespace {

using Bytes = std::vector<unsigned char>;

// The order in which K contributions are combined; the patterns must give the same exact result in all.
enum class Order { kForward, kBackward, kTree, kShuffled };

Bytes makeInput(std::size_t count, DType dtype, ReduceOp op, int rank, int ranks) {
  Bytes buf(count * dtypeSize(dtype) + 1);  // +1: never a zero-sized buffer
  fillInput(buf.data(), count, dtype, op, rank, ranks);
  return buf;
}

// Reduces inputs[order[0]], inputs[order[1]], ... into one buffer in the given shape, then finalises.
Bytes reduceAll(std::vector<Bytes> inputs, std::size_t count, DType dtype, ReduceOp op, Order order,
                std::mt19937& rng) {
  CpuReducer reducer;
  const int ranks = static_cast<int>(inputs.size());
  std::vector<int> sequence(inputs.size());
  std::iota(sequence.begin(), sequence.end(), 0);
  if (order == Order::kBackward) std::reverse(sequence.begin(), sequence.end());
  if (order == Order::kShuffled) std::shuffle(sequence.begin(), sequence.end(), rng);
  if (order == Order::kTree) {
    // Pairwise, like recursive halving: partial results of partial results.
    for (std::size_t stride = 1; stride < inputs.size(); stride *= 2) {
      for (std::size_t i = 0; i + stride < inputs.size(); i += 2 * stride) {
        reducer.reduce(inputs[i].data(), inputs[i].data(), inputs[i + stride].data(), count, dtype, op);
      }
    }
  } else {
    // A chain, each step into a fresh buffer or in place, alternately.
    Bytes acc = inputs[static_cast<std::size_t>(sequence[0])];
    for (std::size_t k = 1; k < sequence.size(); ++k) {
      const Bytes& next = inputs[static_cast<std::size_t>(sequence[k])];
      if (k % 2 == 0) {
        reducer.reduce(acc.data(), next.data(), acc.data(), count, dtype, op);
      } else {
        Bytes out(acc.size());
        reducer.reduce(out.data(), acc.data(), next.data(), count, dtype, op);
        acc = std::move(out);
      }
    }
    inputs[0] = std::move(acc);
  }
  reducer.finalize(inputs[0].data(), count, dtype, op, ranks);
  return inputs[0];
}

TEST(Verify, ExactInEveryOrderDTypeAndOp) {
  std::mt19937 rng(7);
  const std::size_t count = 777;
  for (DType dtype : kAllDTypes) {
    for (ReduceOp op : kAllOps) {
      for (int ranks = 1; ranks <= 16; ++ranks) {
        std::vector<Bytes> inputs;
        for (int rank = 0; rank < ranks; ++rank) inputs.push_back(makeInput(count, dtype, op, rank, ranks));
        Bytes expected(count * dtypeSize(dtype) + 1);
        fillExpected(expected.data(), count, dtype, op, ranks);
        for (Order order : {Order::kForward, Order::kBackward, Order::kTree, Order::kShuffled}) {
          const Bytes result = reduceAll(inputs, count, dtype, op, order, rng);
          ASSERT_EQ(countWrong(result.data(), expected.data(), count, dtype), 0u)
              << dtypeName(dtype) << " " << opName(op) << " ranks " << ranks << " order "
              << static_cast<int>(order);
        }
      }
    }
  }
}

// At the documented limit the worst partial sums reach +-256 and must still be exact in bfloat16.
TEST(Verify, ExactAtSixtyFourRanks) {
  std::mt19937 rng(8);
  const std::size_t count = 4096;
  for (ReduceOp op : kAllOps) {
    std::vector<Bytes> inputs;
    for (int rank = 0; rank < kMaxVerifiableRanks; ++rank) {
      inputs.push_back(makeInput(count, DType::kBFloat16, op, rank, kMaxVerifiableRanks));
    }
    Bytes expected(count * 2);
    fillExpected(expected.data(), count, DType::kBFloat16, op, kMaxVerifiableRanks);
    for (Order order : {Order::kForward, Order::kTree, Order::kShuffled}) {
      const Bytes result = reduceAll(inputs, count, DType::kBFloat16, op, order, rng);
      EXPECT_EQ(countWrong(result.data(), expected.data(), count, DType::kBFloat16), 0u) << opName(op);
    }
  }
}

// The patterns are only useful if mistakes change the result: a chunk shifted by one element, a missing
// or doubled contribution, and data from the wrong rank must all show up as many wrong elements.
TEST(Verify, MistakesAreCaught) {
  const std::size_t count = 1000;
  const DType dtype = DType::kFloat32;
  const int ranks = 4;
  CpuReducer reducer;
  for (ReduceOp op : kAllOps) {
    SCOPED_TRACE(std::string(opName(op)));
    std::vector<std::vector<float>> in(ranks, std::vector<float>(count + 1));
    for (int r = 0; r < ranks; ++r)
      fillInput(in[static_cast<std::size_t>(r)].data(), count + 1, dtype, op, r, ranks);
    std::vector<float> expected(count);
    fillExpected(expected.data(), count, dtype, op, ranks);
    auto reduceWith = [&](const float* rank1Data, int repeatRank0) {
      std::vector<float> acc(in[0].begin(), in[0].begin() + count);
      for (int k = 0; k < repeatRank0; ++k)
        reducer.reduce(acc.data(), acc.data(), in[0].data(), count, dtype, op);
      reducer.reduce(acc.data(), acc.data(), rank1Data, count, dtype, op);
      for (int r = 2; r < ranks; ++r) {
        reducer.reduce(acc.data(), acc.data(), in[static_cast<std::size_t>(r)].data(), count, dtype, op);
      }
      reducer.finalize(acc.data(), count, dtype, op, ranks);
      return countWrong(acc.data(), expected.data(), count, dtype);
    };
    EXPECT_EQ(reduceWith(in[1].data(), 0), 0u);
    if (op != ReduceOp::kMin && op != ReduceOp::kMax) {
      // Counting rank 0 twice cannot be seen by min/max (idempotent ops).
      EXPECT_GT(reduceWith(in[1].data(), 1), count / 2);
    }
    // For min/max only elements where rank 1 held the extreme change (about 1 in 4 here), hence the bound.
    EXPECT_GT(reduceWith(in[1].data() + 1, 0), count / 8);  // rank 1's chunk shifted by one element
    EXPECT_GT(reduceWith(in[2].data(), 0), count / 8);      // rank 2's data where rank 1's belongs
  }
}

TEST(Verify, ValuesDependOnRankAndIndex) {
  const std::size_t count = 1000;
  std::vector<std::int32_t> r0(count), r1(count);
  fillInput(r0.data(), count, DType::kInt32, ReduceOp::kSum, 0, 8);
  fillInput(r1.data(), count, DType::kInt32, ReduceOp::kSum, 1, 8);
  EXPECT_GT(countWrong(r0.data(), r1.data(), count, DType::kInt32), count / 2);
  EXPECT_GT(countWrong(r0.data(), r0.data() + 1, count - 1, DType::kInt32), count / 2);
  // Values stay within the documented amplitude 256 / ranks.
  for (std::int32_t v : r0) {
    EXPECT_LE(v, 32);
    EXPECT_GE(v, -32);
  }
}

TEST(Verify, PoisonIsAlwaysWrong) {
  const std::size_t count = 100;
  for (DType dtype : kAllDTypes) {
    Bytes expected(count * dtypeSize(dtype)), poison(count * dtypeSize(dtype));
    fillExpected(expected.data(), count, dtype, ReduceOp::kSum, 3);
    fillPoison(poison.data(), count, dtype);
    EXPECT_EQ(countWrong(poison.data(), expected.data(), count, dtype), count) << dtypeName(dtype);
    EXPECT_EQ(countWrong(poison.data(), poison.data(), count, dtype), isFloating(dtype) ? count : 0u)
        << "NaN must never compare equal";
  }
}

TEST(Verify, RankLimitsAreUsageErrors) {
  float buf[4];
  EXPECT_THROW(fillInput(buf, 4, DType::kFloat32, ReduceOp::kSum, 0, kMaxVerifiableRanks + 1), UsageError);
  EXPECT_THROW(fillExpected(buf, 4, DType::kFloat32, ReduceOp::kSum, kMaxVerifiableRanks + 1), UsageError);
  EXPECT_THROW(fillInput(buf, 4, DType::kFloat32, ReduceOp::kSum, 0, 0), UsageError);
  EXPECT_THROW(fillInput(buf, 4, DType::kFloat32, ReduceOp::kSum, 4, 4), UsageError);
  EXPECT_THROW(fillInput(buf, 4, DType::kFloat32, ReduceOp::kSum, -1, 4), UsageError);
  EXPECT_NO_THROW(fillInput(buf, 4, DType::kFloat32, ReduceOp::kSum, 63, kMaxVerifiableRanks));
}

}  // namespace
}  // namespace ccb
