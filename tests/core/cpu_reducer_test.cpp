#include "reduce/cpu_reducer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.h"
#include "reduce/op_functors.h"

namespace ccb {
namespace {

template <typename T>
constexpr bool kIsInt = std::is_integral_v<T>;

// Random test values: integers over the full range (to exercise wrap-around), floats of mixed sign and
// magnitude, never zero (min/max of -0 and +0 legitimately differ between formulations) nor NaN.
template <typename T>
T randomValue(std::mt19937_64& rng) {
  if constexpr (kIsInt<T>) {
    return static_cast<T>(rng());
  } else {
    std::uniform_real_distribution<double> mantissa(0.5, 1.0);
    const double sign = (rng() & 1) != 0 ? -1.0 : 1.0;
    const double v = sign * std::ldexp(mantissa(rng), static_cast<int>(rng() % 12) - 6);
    return fromCompute<T>(static_cast<ComputeType<T>>(v));
  }
}

// The expected element, computed independently of op_functors.h: integers in uint64 (wrapping), floats in
// double and rounded to the storage type (double's 53 bits make that double rounding harmless).
template <typename T>
T reference(ReduceOp op, T a, T b) {
  if constexpr (kIsInt<T>) {
    const auto ua = static_cast<std::uint64_t>(a);
    const auto ub = static_cast<std::uint64_t>(b);
    switch (op) {
      case ReduceOp::kSum:
      case ReduceOp::kAvg:
        return static_cast<T>(ua + ub);
      case ReduceOp::kProd:
        return static_cast<T>(ua * ub);
      case ReduceOp::kMin:
        return std::min(a, b);
      case ReduceOp::kMax:
        return std::max(a, b);
    }
  } else {
    const double x = toCompute(a);
    const double y = toCompute(b);
    double r = 0;
    switch (op) {
      case ReduceOp::kSum:
      case ReduceOp::kAvg:
        r = x + y;
        break;
      case ReduceOp::kProd:
        r = x * y;
        break;
      case ReduceOp::kMin:
        r = std::min(x, y);
        break;
      case ReduceOp::kMax:
        r = std::max(x, y);
        break;
    }
    return fromCompute<T>(static_cast<ComputeType<T>>(r));
  }
  return T{};
}

template <typename T>
bool sameValue(T a, T b) {
  return toCompute(a) == toCompute(b);
}

enum class Aliasing { kDisjoint, kDstIsA, kDstIsB, kAllSame };

// Runs one reduce on buffers offset by `offset` elements from a vector's start (so not 16-byte aligned
// when offset is odd) and compares every element, plus guard elements around dst, with the reference.
template <typename T>
void checkReduce(CpuReducer& reducer, DType dtype, ReduceOp op, std::size_t count, std::size_t offset,
                 Aliasing aliasing, std::mt19937_64& rng) {
  const std::size_t guard = 4;
  std::vector<T> a(count + offset + guard), b(count + offset + guard), dst(count + offset + guard);
  for (auto* v : {&a, &b, &dst}) {
    for (T& x : *v) x = randomValue<T>(rng);
  }
  const std::vector<T> dstBefore = dst;
  T* pa = a.data() + offset;
  T* pb = b.data() + offset;
  T* pd = dst.data() + offset;
  std::vector<T> want(count);
  switch (aliasing) {
    case Aliasing::kDisjoint:
      for (std::size_t i = 0; i < count; ++i) want[i] = reference(op, pa[i], pb[i]);
      break;
    case Aliasing::kDstIsA:
      pa = pd;
      for (std::size_t i = 0; i < count; ++i) want[i] = reference(op, pd[i], pb[i]);
      break;
    case Aliasing::kDstIsB:
      pb = pd;
      for (std::size_t i = 0; i < count; ++i) want[i] = reference(op, pa[i], pd[i]);
      break;
    case Aliasing::kAllSame:
      pa = pb = pd;
      for (std::size_t i = 0; i < count; ++i) want[i] = reference(op, pd[i], pd[i]);
      break;
  }
  reducer.reduce(pd, pa, pb, count, dtype, op);
  for (std::size_t i = 0; i < count; ++i) {
    ASSERT_TRUE(sameValue(pd[i], want[i])) << "element " << i << " of " << count;
  }
  for (std::size_t i = 0; i < offset; ++i) ASSERT_TRUE(sameValue(dst[i], dstBefore[i])) << "wrote before dst";
  for (std::size_t i = offset + count; i < dst.size(); ++i) {
    ASSERT_TRUE(sameValue(dst[i], dstBefore[i])) << "wrote past dst";
  }
}

std::string caseName(DType dtype, ReduceOp op, std::size_t count, std::size_t offset, Aliasing aliasing) {
  return std::string(dtypeName(dtype)) + " " + std::string(opName(op)) + " count " + std::to_string(count) +
         " offset " + std::to_string(offset) + " aliasing " + std::to_string(static_cast<int>(aliasing));
}

// Both instruction-set variants (on a CPU without AVX2/F16C both are the baseline).
class CpuReducerIsa : public testing::TestWithParam<CpuReducer::Isa> {};
INSTANTIATE_TEST_SUITE_P(Isa, CpuReducerIsa,
                         testing::Values(CpuReducer::Isa::kBest, CpuReducer::Isa::kBaseline),
                         [](const auto& info) {
                           return info.param == CpuReducer::Isa::kBest ? "Best" : "Baseline";
                         });

TEST_P(CpuReducerIsa, EveryDTypeAndOpMatchesReference) {
  CpuReducer reducer(GetParam());
  std::mt19937_64 rng(2024);
  // 0, 1, odd counts, around vector widths (2..8 elements per 16 bytes) and a few larger ones.
  const std::size_t counts[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 1001, 4099};
  for (DType dtype : kAllDTypes) {
    for (ReduceOp op : kAllOps) {
      for (std::size_t count : counts) {
        for (std::size_t offset : {0, 1, 3}) {
          for (Aliasing aliasing :
               {Aliasing::kDisjoint, Aliasing::kDstIsA, Aliasing::kDstIsB, Aliasing::kAllSame}) {
            SCOPED_TRACE(caseName(dtype, op, count, offset, aliasing));
            dispatchDType(dtype, [&](auto tag) {
              checkReduce<typename decltype(tag)::type>(reducer, dtype, op, count, offset, aliasing, rng);
            });
            if (testing::Test::HasFatalFailure()) return;
          }
        }
      }
    }
  }
}

TEST_P(CpuReducerIsa, FloatSpecialValues) {
  CpuReducer reducer(GetParam());
  const float a[] = {INFINITY, -INFINITY, NAN, 1.0f, 3e38f};
  const float b[] = {1.0f, INFINITY, 2.0f, NAN, 3e38f};
  float out[5];
  reducer.reduce(out, a, b, 5, DType::kFloat32, ReduceOp::kSum);
  EXPECT_EQ(out[0], INFINITY);
  EXPECT_TRUE(std::isnan(out[1]));  // -Inf + Inf
  EXPECT_TRUE(std::isnan(out[2]));
  EXPECT_TRUE(std::isnan(out[3]));
  EXPECT_EQ(out[4], INFINITY);  // overflow

  // Five elements: four through a vector loop where there is one, the last through the scalar tail.
  const Float16 ha[] = {floatToHalf(60000.0f), floatToHalf(NAN), floatToHalf(1.0f), Float16{0x0001},
                        floatToHalf(-2.0f)};
  const Float16 hb[] = {floatToHalf(60000.0f), floatToHalf(1.0f), floatToHalf(std::ldexp(1.0f, -11)),
                        Float16{0x0001}, floatToHalf(2.0f)};
  Float16 hout[5];
  reducer.reduce(hout, ha, hb, 5, DType::kFloat16, ReduceOp::kSum);
  EXPECT_EQ(hout[0].bits, 0x7c00);  // 120000 overflows binary16 to Inf
  EXPECT_TRUE(std::isnan(halfToFloat(hout[1])));
  EXPECT_EQ(hout[2].bits, 0x3c00);  // 1 + 2^-11 ties to even
  EXPECT_EQ(hout[3].bits, 0x0002);  // subnormals add exactly
  EXPECT_EQ(hout[4].bits, 0x0000);  // -2 + 2 = +0
}

// The AVX2 and F16C variants must give the baseline's bits (NaN payloads aside): every binary16 value
// against a spread of second operands, and random data in every dtype.
TEST(CpuReducer, BestMatchesBaselineBitForBit) {
  CpuReducer best(CpuReducer::Isa::kBest);
  CpuReducer baseline(CpuReducer::Isa::kBaseline);
  std::vector<Float16> all(65536);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = Float16{static_cast<std::uint16_t>(i)};
  for (float other :
       {0.0f, -0.0f, 1.0f, -1.5f, 3.0e-8f, 6.1e-5f, 0.3333f, 1000.0f, -65504.0f, INFINITY, NAN}) {
    const std::vector<Float16> second(all.size(), floatToHalf(other));
    for (ReduceOp op : kAllOps) {
      std::vector<Float16> fast(all.size()), slow(all.size());
      best.reduce(fast.data(), all.data(), second.data(), all.size(), DType::kFloat16, op);
      baseline.reduce(slow.data(), all.data(), second.data(), all.size(), DType::kFloat16, op);
      for (std::size_t i = 0; i < all.size(); ++i) {
        const bool bothNan = std::isnan(halfToFloat(fast[i])) && std::isnan(halfToFloat(slow[i]));
        ASSERT_TRUE(bothNan || fast[i].bits == slow[i].bits)
            << opName(op) << " " << std::hex << i << " with " << other << ": " << fast[i].bits << " vs "
            << slow[i].bits;
      }
    }
  }
  std::mt19937_64 rng(99);
  for (DType dtype : kAllDTypes) {
    const std::size_t count = 1003;
    std::vector<unsigned char> a(count * dtypeSize(dtype)), b(a.size()), fast(a.size()), slow(a.size());
    for (auto* buf : {&a, &b}) {
      for (unsigned char& byte : *buf) byte = static_cast<unsigned char>(rng());
    }
    for (ReduceOp op : kAllOps) {
      best.reduce(fast.data(), a.data(), b.data(), count, dtype, op);
      baseline.reduce(slow.data(), a.data(), b.data(), count, dtype, op);
      if (dtype != DType::kFloat16) {  // random bits hold NaNs, whose payloads may differ only for float16
        EXPECT_EQ(fast, slow) << dtypeName(dtype) << " " << opName(op);
      }
    }
  }
}

TEST(CpuReducer, FinalizeAvgDividesOnce) {
  CpuReducer reducer;
  float f[] = {7.0f, -1.0f, 10.0f};
  reducer.finalize(f, 3, DType::kFloat32, ReduceOp::kAvg, 2);
  EXPECT_EQ(f[0], 3.5f);
  EXPECT_EQ(f[1], -0.5f);
  EXPECT_EQ(f[2], 5.0f);
  double d[] = {1.0};
  reducer.finalize(d, 1, DType::kFloat64, ReduceOp::kAvg, 3);
  EXPECT_EQ(d[0], 1.0 / 3.0);
  std::int32_t i32[] = {7, -7, 6, -1};
  reducer.finalize(i32, 4, DType::kInt32, ReduceOp::kAvg, 2);
  EXPECT_EQ(i32[0], 3);   // truncates
  EXPECT_EQ(i32[1], -3);  // toward zero
  EXPECT_EQ(i32[2], 3);
  EXPECT_EQ(i32[3], 0);
  std::int64_t i64[] = {INT64_MIN};
  reducer.finalize(i64, 1, DType::kInt64, ReduceOp::kAvg, 4);
  EXPECT_EQ(i64[0], INT64_MIN / 4);
  Float16 h[] = {floatToHalf(1.0f)};
  reducer.finalize(h, 1, DType::kFloat16, ReduceOp::kAvg, 3);
  EXPECT_EQ(h[0].bits, floatToHalf(1.0f / 3.0f).bits);
  BFloat16 bf[] = {floatToBFloat16(256.0f)};
  reducer.finalize(bf, 1, DType::kBFloat16, ReduceOp::kAvg, 3);
  EXPECT_EQ(bfloat16ToFloat(bf[0]), 85.5f);  // 85.33 to 8 significant bits

  // Every other op leaves the data alone.
  float g[] = {7.0f};
  for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kProd, ReduceOp::kMin, ReduceOp::kMax}) {
    reducer.finalize(g, 1, DType::kFloat32, op, 4);
    EXPECT_EQ(g[0], 7.0f);
  }
  EXPECT_THROW(reducer.finalize(g, 1, DType::kFloat32, ReduceOp::kAvg, 0), InvariantError);
}

TEST(CpuReducer, ContractViolationsThrow) {
  CpuReducer reducer;
  alignas(16) float buf[16] = {};
  // Partial overlap of dst with an operand.
  EXPECT_THROW(reducer.reduce(buf + 1, buf, buf + 8, 4, DType::kFloat32, ReduceOp::kSum), InvariantError);
  EXPECT_THROW(reducer.reduce(buf, buf + 8, buf + 2, 4, DType::kFloat32, ReduceOp::kSum), InvariantError);
  // Not aligned to the element size.
  auto* misaligned = reinterpret_cast<char*>(buf) + 1;
  EXPECT_THROW(reducer.reduce(misaligned, buf, buf + 8, 2, DType::kFloat32, ReduceOp::kSum), InvariantError);
  // Count 0 touches nothing, even through null pointers.
  reducer.reduce(nullptr, nullptr, nullptr, 0, DType::kInt64, ReduceOp::kProd);
  reducer.finalize(nullptr, 0, DType::kInt64, ReduceOp::kAvg, 3);
}

TEST(CpuReducer, Copy) {
  CpuReducer reducer;
  std::vector<std::uint8_t> src(1001), dst(1001, 0);
  for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<std::uint8_t>(i * 7);
  reducer.copy(dst.data() + 1, src.data() + 1, 999);
  EXPECT_EQ(dst[0], 0);
  EXPECT_TRUE(std::equal(src.begin() + 1, src.end() - 1, dst.begin() + 1));
  EXPECT_EQ(dst[1000], 0);
  reducer.copy(nullptr, nullptr, 0);
  reducer.copy(dst.data(), dst.data(), dst.size());  // same buffer: nothing to do
  EXPECT_THROW(reducer.copy(dst.data() + 1, dst.data(), 10), InvariantError);
}

}  // namespace
}  // namespace ccb
