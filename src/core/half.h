// 16-bit floating-point storage types (IEEE binary16 and bfloat16) with conversions to and from float.
//
// They are plain structs holding the bits, not arithmetic types: arithmetic happens in float (see
// reduce/op_functors.h). The conversions avoid _Float16, F16C and CUDA's __half so that the same code runs
// on baseline x86-64, in CUDA device code and under sanitizers, and they are branch-free (selects, not
// jumps) so that loops calling them vectorise with SSE2.
//
// Rounding: float -> 16-bit rounds to nearest, ties to even; overflow gives +-Inf; NaN stays NaN (quiet,
// sign kept). 16-bit -> float is exact.
#pragma once

#include <cstdint>

#if !defined(__CUDA_ARCH__)
#include <bit>
#endif

#include "core/host_device.h"

namespace ccb {

struct Float16 {
  std::uint16_t bits;
};

struct BFloat16 {
  std::uint16_t bits;
};

namespace half_detail {

CCB_HD CCB_FORCE_INLINE std::uint32_t floatBits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  return std::bit_cast<std::uint32_t>(f);
#endif
}

CCB_HD CCB_FORCE_INLINE float floatFromBits(std::uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  return std::bit_cast<float>(u);
#endif
}

// Branch-free select: x where cond, y elsewhere, as bit masks. A ternary would do the same job, but GCC
// then sinks the float arithmetic feeding only one arm into a branch (it may not speculate a possibly
// trapping float operation), and the branch stops the loop from vectorising.
CCB_HD CCB_FORCE_INLINE std::uint32_t select(bool cond, std::uint32_t x, std::uint32_t y) {
  const std::uint32_t mask = 0u - static_cast<std::uint32_t>(cond);
  return (x & mask) | (y & ~mask);
}

// Comparisons below are on the magnitude bits (< 2^31) cast to int32: SSE2 only has signed vector compares,
// and the cast keeps the compiler from having to prove the values non-negative.
CCB_HD CCB_FORCE_INLINE std::int32_t asSigned(std::uint32_t u) { return static_cast<std::int32_t>(u); }

}  // namespace half_detail

// Exact. Normal and special values are re-biased bit fields; binary16 subnormals (m * 2^-24, m < 1024)
// go through an int -> float conversion, which is exact and avoids a count-leading-zeros that SSE2 lacks.
//
// The *Bits forms take and return the 16-bit pattern in the low half of a uint32: loops that hold two
// elements per 32-bit word (cpu_reducer.cpp) use them so that no operation narrows to 16-bit lanes, which
// SSE2 can only do with long shuffle sequences.
CCB_HD CCB_FORCE_INLINE float halfBitsToFloat(std::uint32_t bits) {
  using namespace half_detail;
  const std::uint32_t sign = (bits & 0x8000u) << 16;
  const std::uint32_t exponent = (bits >> 10) & 0x1fu;
  const std::uint32_t mantissa = bits & 0x3ffu;
  // Normal: exponent bias 15 -> 127, i.e. + 112.
  const std::uint32_t normal = ((exponent + 112u) << 23) | (mantissa << 13);
  // Inf and NaN: all-ones exponent, mantissa (NaN payload) kept.
  const std::uint32_t special = 0x7f800000u | (mantissa << 13);
  const std::uint32_t subnormal = floatBits(static_cast<float>(asSigned(mantissa)) * 0x1p-24f);
  const std::uint32_t magnitude = select(exponent == 0, subnormal, select(exponent == 31, special, normal));
  return floatFromBits(sign | magnitude);
}

CCB_HD CCB_FORCE_INLINE float halfToFloat(Float16 h) { return halfBitsToFloat(h.bits); }

// Round to nearest even. Three ranges of |f|, each computed without branches and then selected:
//  - below 2^-14 (binary16 subnormals and zero): adding 0.5f, whose ulp is 2^-24 = one binary16 subnormal
//    step, makes the FPU round |f| to a multiple of 2^-24 (ties to even); the low bits of the sum are the
//    result. Float subnormal inputs round to 0 either way, so flush-to-zero modes cannot change the answer;
//    the rounding mode must be the default (to nearest), as it is unless a program changes it.
//  - normal: re-bias the exponent (127 -> 15), then add half an ulp of the 10-bit mantissa (minus one when
//    the kept bit is even, which is ties-to-even) and drop 13 bits; a carry rounds up into the exponent,
//    which also turns values >= 65520 into Inf.
//  - NaN: a quiet NaN with the sign kept.
CCB_HD CCB_FORCE_INLINE std::uint32_t floatToHalfBits(float f) {
  using namespace half_detail;
  const std::uint32_t u = floatBits(f);
  const std::uint32_t sign = (u >> 16) & 0x8000u;
  const std::uint32_t magnitude = u & 0x7fffffffu;
  const std::uint32_t subnormal = floatBits(floatFromBits(magnitude) + 0.5f) - 0x3f000000u;
  const std::uint32_t rebiased = magnitude - 0x38000000u;  // wraps for small values, which are not selected
  const std::uint32_t normal = (rebiased + 0xfffu + ((rebiased >> 13) & 1u)) >> 13;
  const std::int32_t m = asSigned(magnitude);
  std::uint32_t result = select(m < 0x38800000, subnormal, normal);  // 0x38800000 = 2^-14
  result = select(m >= 0x477ff000, 0x7c00u, result);                 // rounds to Inf: 65520 and above, Inf
  result = select(m > 0x7f800000, 0x7e00u, result);                  // NaN
  return sign | result;
}

CCB_HD CCB_FORCE_INLINE Float16 floatToHalf(float f) {
  return Float16{static_cast<std::uint16_t>(floatToHalfBits(f))};
}

// Exact: bfloat16 is the top half of a float. `bits` holds the pattern in its low 16 bits.
CCB_HD CCB_FORCE_INLINE float bfloat16BitsToFloat(std::uint32_t bits) {
  return half_detail::floatFromBits(bits << 16);
}

CCB_HD CCB_FORCE_INLINE float bfloat16ToFloat(BFloat16 h) { return bfloat16BitsToFloat(h.bits); }

// Round to nearest even by adding 0x7fff (plus one when the kept low bit is odd) before dropping 16 bits;
// a carry into the exponent rounds up correctly, including to Inf. NaN becomes a quiet NaN with its sign.
CCB_HD CCB_FORCE_INLINE std::uint32_t floatToBFloat16Bits(float f) {
  using namespace half_detail;
  const std::uint32_t u = floatBits(f);
  const std::uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  const std::uint32_t quietNan = (u >> 16) | 0x0040u;
  const bool isNan = asSigned(u & 0x7fffffffu) > 0x7f800000;
  return select(isNan, quietNan, rounded);
}

CCB_HD CCB_FORCE_INLINE BFloat16 floatToBFloat16(float f) {
  return BFloat16{static_cast<std::uint16_t>(floatToBFloat16Bits(f))};
}

}  // namespace ccb
