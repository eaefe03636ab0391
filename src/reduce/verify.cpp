#include "reduce/verify.h"

#include <cstdint>
#include <limits>
#include <string>

#include "core/error.h"
#include "reduce/cpu_reducer.h"
#include "reduce/op_functors.h"

namespace ccb {
namespace {

// Every partial sum of the patterns stays within this magnitude: bfloat16's largest run of exact integers.
constexpr std::int64_t kPartialSumBound = 256;

void checkRanks(int ranks) {
  if (ranks < 1 || ranks > kMaxVerifiableRanks) {
    throw UsageError("verifiable patterns need 1 to " + std::to_string(kMaxVerifiableRanks) + " ranks, got " +
                     std::to_string(ranks) + " (beyond that sums are no longer exact in bfloat16)");
  }
}

// A well-mixed 32-bit value of (rank, index) (splitmix64's finaliser over a combination of both).
std::uint32_t mix(int rank, std::size_t index) {
  std::uint64_t x = static_cast<std::uint64_t>(index) * 0x9e3779b97f4a7c15ull +
                    static_cast<std::uint64_t>(rank + 1) * 0xd1b54a32d192ed03ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return static_cast<std::uint32_t>((x ^ (x >> 31)) >> 32);
}

// Rank `rank`'s value at `index` (see verify.h).
std::int64_t inputValue(ReduceOp op, int rank, int ranks, std::size_t index) {
  const std::uint32_t h = mix(rank, index);
  if (op == ReduceOp::kProd) {
    const std::int64_t sign = (h & 1u) != 0 ? -1 : 1;
    const bool holdsTheTwo = index % static_cast<std::size_t>(ranks) == static_cast<std::size_t>(rank);
    return holdsTheTwo ? 2 * sign : sign;
  }
  const std::int64_t amplitude = kPartialSumBound / ranks;
  const auto levels = static_cast<std::uint64_t>(2 * amplitude + 1);
  // Multiply-shift maps h uniformly onto [0, levels) without a division.
  return static_cast<std::int64_t>((static_cast<std::uint64_t>(h) * levels) >> 32) - amplitude;
}

// The reduction of all ranks' inputs at `index`, in exact integer arithmetic (kAvg: the sum).
std::int64_t expectedValue(ReduceOp op, int ranks, std::size_t index) {
  std::int64_t result = inputValue(op, 0, ranks, index);
  for (int rank = 1; rank < ranks; ++rank) {
    const std::int64_t v = inputValue(op, rank, ranks, index);
    switch (op) {
      case ReduceOp::kSum:
      case ReduceOp::kAvg:
        result += v;
        break;
      case ReduceOp::kProd:
        result *= v;
        break;
      case ReduceOp::kMin:
        result = v < result ? v : result;
        break;
      case ReduceOp::kMax:
        result = v > result ? v : result;
        break;
    }
  }
  return result;
}

// Stores small integers (exact in every dtype) as `dtype`.
template <typename ValueOf>
void store(void* buf, std::size_t count, DType dtype, ValueOf valueOf) {
  dispatchDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto* out = static_cast<T*>(buf);
    for (std::size_t i = 0; i < count; ++i) {
      out[i] = fromCompute<T>(static_cast<ComputeType<T>>(valueOf(i)));
    }
  });
}

}  // namespace

void fillInput(void* buf, std::size_t count, DType dtype, ReduceOp op, int rank, int ranks) {
  checkRanks(ranks);
  if (rank < 0 || rank >= ranks) {
    throw UsageError("rank " + std::to_string(rank) + " out of range for " + std::to_string(ranks) +
                     " ranks");
  }
  store(buf, count, dtype, [&](std::size_t i) { return inputValue(op, rank, ranks, i); });
}

void fillExpected(void* buf, std::size_t count, DType dtype, ReduceOp op, int ranks) {
  checkRanks(ranks);
  store(buf, count, dtype, [&](std::size_t i) { return expectedValue(op, ranks, i); });
  CpuReducer().finalize(buf, count, dtype, op, ranks);
}

std::size_t countWrong(const void* actual, const void* expected, std::size_t count, DType dtype) {
  return dispatchDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const auto* got = static_cast<const T*>(actual);
    const auto* want = static_cast<const T*>(expected);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < count; ++i) {
      wrong += toCompute(got[i]) == toCompute(want[i]) ? 0 : 1;  // NaN compares unequal to everything
    }
    return wrong;
  });
}

void fillPoison(void* buf, std::size_t count, DType dtype) {
  dispatchDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using C = ComputeType<T>;
    const C poison = std::numeric_limits<C>::has_quiet_NaN ? std::numeric_limits<C>::quiet_NaN()
                                                           : std::numeric_limits<C>::lowest();
    auto* out = static_cast<T*>(buf);
    for (std::size_t i = 0; i < count; ++i) out[i] = fromCompute<T>(poison);
  });
}

}  // namespace ccb
