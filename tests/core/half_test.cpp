#include "core/half.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <random>

namespace ccb {
namespace {

std::uint32_t bitsOf(float f) { return std::bit_cast<std::uint32_t>(f); }
float floatOf(std::uint32_t u) { return std::bit_cast<float>(u); }

// An independent binary16 decoder, by the definition of the format.
double referenceHalfValue(std::uint16_t h) {
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  const double sign = (h & 0x8000) != 0 ? -1.0 : 1.0;
  if (exponent == 31) return mantissa == 0 ? sign * INFINITY : NAN;
  if (exponent == 0) return sign * std::ldexp(mantissa, -24);
  return sign * std::ldexp(1024 + mantissa, exponent - 25);
}

bool isHalfNan(Float16 h) { return (h.bits & 0x7c00) == 0x7c00 && (h.bits & 0x3ff) != 0; }
bool isBFloat16Nan(BFloat16 h) { return (h.bits & 0x7f80) == 0x7f80 && (h.bits & 0x7f) != 0; }

TEST(Half, EveryHalfDecodesExactly) {
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const Float16 h{static_cast<std::uint16_t>(bits)};
    const float f = halfToFloat(h);
    const double want = referenceHalfValue(h.bits);
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(f)) << std::hex << bits;
      EXPECT_EQ(std::signbit(f), (bits & 0x8000) != 0) << std::hex << bits;
      EXPECT_TRUE(isHalfNan(floatToHalf(f))) << std::hex << bits;
    } else {
      ASSERT_EQ(static_cast<double>(f), want) << std::hex << bits;
      EXPECT_EQ(std::signbit(f), (bits & 0x8000) != 0) << std::hex << bits;  // -0 stays -0
      ASSERT_EQ(floatToHalf(f).bits, bits) << std::hex << bits;              // round trip
    }
  }
}

// Between two neighbouring halves, values round to the nearer one and the exact midpoint to the one with
// an even mantissa; checked for every finite neighbour pair, both signs (subnormals included).
TEST(Half, RoundsToNearestEvenEverywhere) {
  for (std::uint16_t lo = 0; lo < 0x7bff; ++lo) {
    const auto hi = static_cast<std::uint16_t>(lo + 1);
    const float mid = (halfToFloat(Float16{lo}) + halfToFloat(Float16{hi})) / 2;  // exact in float
    const std::uint16_t even = (lo & 1) == 0 ? lo : hi;
    for (std::uint16_t sign : {std::uint16_t{0}, std::uint16_t{0x8000}}) {
      const float s = sign != 0 ? -1.0f : 1.0f;
      ASSERT_EQ(floatToHalf(s * mid).bits, even | sign) << std::hex << lo;
      ASSERT_EQ(floatToHalf(s * std::nextafter(mid, 0.0f)).bits, lo | sign) << std::hex << lo;
      ASSERT_EQ(floatToHalf(s * std::nextafter(mid, INFINITY)).bits, hi | sign) << std::hex << lo;
    }
  }
}

TEST(Half, EdgeCases) {
  EXPECT_EQ(floatToHalf(65504.0f).bits, 0x7bff);                        // largest finite
  EXPECT_EQ(floatToHalf(std::nextafter(65520.0f, 0.0f)).bits, 0x7bff);  // just below the Inf midpoint
  EXPECT_EQ(floatToHalf(65520.0f).bits, 0x7c00);                        // midpoint ties to even: Inf
  EXPECT_EQ(floatToHalf(-1e9f).bits, 0xfc00);
  EXPECT_EQ(floatToHalf(INFINITY).bits, 0x7c00);
  EXPECT_EQ(floatToHalf(-INFINITY).bits, 0xfc00);
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -25)).bits, 0x0000);  // half the smallest subnormal
  EXPECT_EQ(floatToHalf(std::nextafter(std::ldexp(1.0f, -25), 1.0f)).bits, 0x0001);
  EXPECT_EQ(floatToHalf(std::ldexp(3.0f, -25)).bits, 0x0002);                        // 1.5 ulp ties to even 2
  EXPECT_EQ(floatToHalf(std::ldexp(1.0f, -14)).bits, 0x0400);                        // smallest normal
  EXPECT_EQ(floatToHalf(std::nextafter(std::ldexp(1.0f, -14), 0.0f)).bits, 0x0400);  // rounds up into it
  EXPECT_EQ(floatToHalf(1e-40f).bits, 0x0000);                                       // float subnormal
  EXPECT_EQ(floatToHalf(-1e-40f).bits, 0x8000);
  EXPECT_EQ(floatToHalf(-0.0f).bits, 0x8000);
  EXPECT_EQ(floatToHalf(1.0f).bits, 0x3c00);
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(1.0f, -11)).bits, 0x3c00);  // tie, 0x3c00 is even
  EXPECT_EQ(floatToHalf(1.0f + std::ldexp(3.0f, -11)).bits, 0x3c02);  // tie, 0x3c02 is even
  const Float16 nan = floatToHalf(NAN);
  EXPECT_TRUE(isHalfNan(nan));
  EXPECT_TRUE(isHalfNan(floatToHalf(floatOf(0x7f800001u))));  // payload only in bits that are dropped
  EXPECT_EQ(floatToHalf(floatOf(0xff800001u)).bits & 0x8000, 0x8000);
  EXPECT_TRUE(std::isinf(halfToFloat(Float16{0x7c00})));
}

#if defined(__FLT16_MANT_DIG__)
// The compiler's own _Float16 conversion (libgcc's, correctly rounded) as an oracle for random floats.
TEST(Half, MatchesCompilerFloat16OnRandomFloats) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 1'000'000; ++i) {
    // Random bit patterns favour huge and tiny magnitudes; also draw from around the half range.
    const float f = i % 2 == 0
                        ? floatOf(static_cast<std::uint32_t>(rng()))
                        : std::ldexp(static_cast<float>(rng() >> 8), static_cast<int>(rng() % 48) - 50);
    const auto want = std::bit_cast<std::uint16_t>(static_cast<_Float16>(f));
    const Float16 got = floatToHalf(f);
    if (std::isnan(f)) {
      ASSERT_TRUE(isHalfNan(got)) << std::hex << bitsOf(f);
    } else {
      ASSERT_EQ(got.bits, want) << std::hex << bitsOf(f);
    }
  }
}
#endif

TEST(BFloat16, EveryValueRoundTrips) {
  for (std::uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const BFloat16 h{static_cast<std::uint16_t>(bits)};
    const float f = bfloat16ToFloat(h);
    ASSERT_EQ(bitsOf(f), bits << 16);
    if (std::isnan(f)) {
      EXPECT_TRUE(isBFloat16Nan(floatToBFloat16(f))) << std::hex << bits;
    } else {
      ASSERT_EQ(floatToBFloat16(f).bits, bits) << std::hex << bits;
    }
  }
}

TEST(BFloat16, RoundsToNearestEvenEverywhere) {
  for (std::uint16_t lo = 0; lo < 0x7f7f; ++lo) {
    const auto hi = static_cast<std::uint16_t>(lo + 1);
    const float mid = floatOf((static_cast<std::uint32_t>(lo) << 16) | 0x8000u);  // exact midpoint
    const std::uint16_t even = (lo & 1) == 0 ? lo : hi;
    for (std::uint16_t sign : {std::uint16_t{0}, std::uint16_t{0x8000}}) {
      const float s = sign != 0 ? -1.0f : 1.0f;
      ASSERT_EQ(floatToBFloat16(s * mid).bits, even | sign) << std::hex << lo;
      ASSERT_EQ(floatToBFloat16(s * std::nextafter(mid, 0.0f)).bits, lo | sign) << std::hex << lo;
      ASSERT_EQ(floatToBFloat16(s * std::nextafter(mid, INFINITY)).bits, hi | sign) << std::hex << lo;
    }
  }
}

TEST(BFloat16, EdgeCases) {
  EXPECT_EQ(floatToBFloat16(1.0f).bits, 0x3f80);
  EXPECT_EQ(floatToBFloat16(-0.0f).bits, 0x8000);
  EXPECT_EQ(floatToBFloat16(257.0f).bits, floatToBFloat16(256.0f).bits);  // 8 significant bits, tie to even
  EXPECT_EQ(floatToBFloat16(259.0f).bits, floatToBFloat16(260.0f).bits);
  EXPECT_EQ(floatToBFloat16(floatOf(0x7f7fffffu)).bits, 0x7f80);  // FLT_MAX rounds to Inf
  EXPECT_EQ(floatToBFloat16(INFINITY).bits, 0x7f80);
  EXPECT_EQ(floatToBFloat16(-INFINITY).bits, 0xff80);
  // A NaN whose payload is only in the low 16 bits must not truncate to Inf.
  EXPECT_TRUE(isBFloat16Nan(floatToBFloat16(floatOf(0x7f800001u))));
  EXPECT_TRUE(isBFloat16Nan(floatToBFloat16(floatOf(0x7fffffffu))));  // and must not carry into the sign
  EXPECT_EQ(floatToBFloat16(floatOf(0xff800001u)).bits & 0x8000, 0x8000);
  EXPECT_EQ(floatToBFloat16(1e-40f).bits, 0x0001);  // float subnormals are bfloat16 subnormals
}

}  // namespace
}  // namespace ccb
