#include "reduce/cpu_reducer.h"

#include <cstdint>
#include <cstring>

#include "reduce/op_functors.h"

// x86-64 builds (GCC or Clang) also compile AVX2 and F16C variants, chosen at run time.
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define CCB_CPU_REDUCER_X86 1
#else
#define CCB_CPU_REDUCER_X86 0
#endif

namespace ccb {
namespace {

// How the loops see a buffer: as an array of lanes, each holding kElements elements. For most types a lane
// is one element. The 16-bit floats are processed two per 32-bit word: computing on their uint16_t bits
// directly makes GCC narrow and widen between 16- and 32-bit vector lanes with long SSE2 shuffle chains
// (measured 2-4x slower than the word form). The arithmetic is the same: the word form calls the same
// conversions (half.h's *Bits functions) and the same functor as applyOp.
template <typename T>
struct Lanes {
  using Lane = T;
  static constexpr std::size_t kElements = 1;
  template <typename Op>
  CCB_FORCE_INLINE static Lane combine(Op op, Lane x, Lane y) {
    return applyOp(op, x, y);
  }
};

template <typename T>
struct HalfWordLanes {
  using Lane = std::uint32_t;
  static constexpr std::size_t kElements = 2;
  CCB_FORCE_INLINE static float toFloat(std::uint32_t bits) {
    if constexpr (std::is_same_v<T, Float16>) {
      return halfBitsToFloat(bits);
    } else {
      return bfloat16BitsToFloat(bits);
    }
  }
  CCB_FORCE_INLINE static std::uint32_t fromFloat(float value) {
    if constexpr (std::is_same_v<T, Float16>) {
      return floatToHalfBits(value);
    } else {
      return floatToBFloat16Bits(value);
    }
  }
  // The *BitsToFloat functions ignore bits above the low 16, so the low element needs no mask.
  template <typename Op>
  CCB_FORCE_INLINE static Lane combine(Op op, Lane x, Lane y) {
    const std::uint32_t low = fromFloat(op(toFloat(x), toFloat(y)));
    const std::uint32_t high = fromFloat(op(toFloat(x >> 16), toFloat(y >> 16)));
    return low | (high << 16);
  }
};

template <>
struct Lanes<Float16> : HalfWordLanes<Float16> {};
template <>
struct Lanes<BFloat16> : HalfWordLanes<BFloat16> {};

// Lane i of a byte buffer. memcpy, because a word of two 16-bit elements may be only 2-byte aligned; it
// compiles to a plain (vectorisable) load or store.
template <typename Lane>
CCB_FORCE_INLINE Lane loadLane(const unsigned char* base, std::size_t i) {
  Lane lane;
  std::memcpy(&lane, base + i * sizeof(Lane), sizeof(Lane));
  return lane;
}
template <typename Lane>
CCB_FORCE_INLINE void storeLane(unsigned char* base, std::size_t i, Lane lane) {
  std::memcpy(base + i * sizeof(Lane), &lane, sizeof(Lane));
}

// dst = op(a, b) for whole lanes, then the elements left over (an odd count of 16-bit floats) one by one.
// One function per aliasing case, each with __restrict on the pointers it may assume distinct: without it
// GCC vectorises behind a runtime overlap test that the in-place case (dst == a, the common one in an
// all-reduce) fails, and would then run its scalar fallback. In the in-place forms `inout` is both dst and
// one operand; kInoutFirst says which operand, because min/max with a NaN depend on the order and the CUDA
// reducer must give the same result.
template <typename T, typename Op>
CCB_FORCE_INLINE void reduceDisjoint(unsigned char* __restrict dst, const unsigned char* __restrict a,
                                     const unsigned char* __restrict b, std::size_t count, Op op) {
  using L = Lanes<T>;
  using Lane = typename L::Lane;
  const std::size_t lanes = count / L::kElements;
  for (std::size_t i = 0; i < lanes; ++i) {
    storeLane<Lane>(dst, i, L::combine(op, loadLane<Lane>(a, i), loadLane<Lane>(b, i)));
  }
  for (std::size_t i = lanes * L::kElements; i < count; ++i) {
    storeLane<T>(dst, i, applyOp(op, loadLane<T>(a, i), loadLane<T>(b, i)));
  }
}

template <bool kInoutFirst, typename T, typename Op>
CCB_FORCE_INLINE void reduceInPlace(unsigned char* __restrict inout, const unsigned char* __restrict other,
                                    std::size_t count, Op op) {
  using L = Lanes<T>;
  using Lane = typename L::Lane;
  const std::size_t lanes = count / L::kElements;
  for (std::size_t i = 0; i < lanes; ++i) {
    const Lane x = loadLane<Lane>(inout, i);
    const Lane y = loadLane<Lane>(other, i);
    storeLane<Lane>(inout, i, kInoutFirst ? L::combine(op, x, y) : L::combine(op, y, x));
  }
  for (std::size_t i = lanes * L::kElements; i < count; ++i) {
    const T x = loadLane<T>(inout, i);
    const T y = loadLane<T>(other, i);
    storeLane<T>(inout, i, kInoutFirst ? applyOp(op, x, y) : applyOp(op, y, x));
  }
}

template <typename T, typename Op>
CCB_FORCE_INLINE void reduceSelf(unsigned char* inout, std::size_t count, Op op) {
  using L = Lanes<T>;
  using Lane = typename L::Lane;
  const std::size_t lanes = count / L::kElements;
  for (std::size_t i = 0; i < lanes; ++i) {
    const Lane x = loadLane<Lane>(inout, i);
    storeLane<Lane>(inout, i, L::combine(op, x, x));
  }
  for (std::size_t i = lanes * L::kElements; i < count; ++i) {
    const T x = loadLane<T>(inout, i);
    storeLane<T>(inout, i, applyOp(op, x, x));
  }
}

// Picks the loop for the aliasing of dst with a and b. Inlined (with the loops) into each ISA variant below,
// so that each variant's copy of the loops is vectorised for its instruction set.
template <typename T, typename Op>
CCB_FORCE_INLINE void reduceAny(unsigned char* dst, const unsigned char* a, const unsigned char* b,
                                std::size_t count, Op op) {
  if (dst == a && dst == b) {
    reduceSelf<T>(dst, count, op);
  } else if (dst == a) {
    reduceInPlace<true, T>(dst, b, count, op);
  } else if (dst == b) {
    reduceInPlace<false, T>(dst, a, count, op);
  } else {
    reduceDisjoint<T>(dst, a, b, count, op);
  }
}

// SSE2 (baseline x86-64, or whatever the build flags allow).
template <typename T, typename Op>
void reduceBaseline(unsigned char* dst, const unsigned char* a, const unsigned char* b, std::size_t count,
                    Op op) {
  reduceAny<T>(dst, a, b, count, op);
}

#if CCB_CPU_REDUCER_X86
// The same loops compiled for AVX2: twice the vector width. Memory-bound types gain nothing, but the
// bit-exact 16-bit float conversions are compute-bound under SSE2 (bfloat16 reached about 0.6 of copy
// bandwidth with SSE2 here).
template <typename T, typename Op>
__attribute__((target("avx2"))) void reduceAvx2(unsigned char* dst, const unsigned char* a,
                                                const unsigned char* b, std::size_t count, Op op) {
  reduceAny<T>(dst, a, b, count, op);
}

// binary16 through the F16C conversion instructions, four elements per 128-bit vector, when the CPU has
// them (checked at run time; the rest of the build stays baseline x86-64). No portable formulation keeps
// up with memory for binary16: the bit-exact conversion costs tens of SSE2 instructions per four elements.
// The functor is the shared one, applied to a vector of floats (GCC vector extensions make its a + b and
// a < b ? a : b element-wise); vcvtps2ph with round-to-nearest-even gives the same bits as floatToHalfBits
// for every non-NaN float (NaN payloads may differ; a NaN is still a NaN). Each block is loaded before it
// is stored, so exact aliasing of dst with a or b is safe. Returns the number of elements done (a multiple
// of 4); the caller finishes the rest.
template <typename Op>
__attribute__((target("avx,f16c"))) std::size_t reduceHalfF16c(unsigned char* dst, const unsigned char* a,
                                                               const unsigned char* b, std::size_t count,
                                                               Op op) {
  std::size_t i = 0;
  for (; i + 4 <= count; i += 4) {
    const __m128 x = _mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(a + 2 * i)));
    const __m128 y = _mm_cvtph_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(b + 2 * i)));
    const __m128 r = op(x, y);
    _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + 2 * i),
                     _mm_cvtps_ph(r, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  return i;
}

#endif

template <typename T, typename Op>
void reduceLoops(bool avx2, unsigned char* dst, const unsigned char* a, const unsigned char* b,
                 std::size_t count, Op op) {
#if CCB_CPU_REDUCER_X86
  if (avx2) {
    reduceAvx2<T>(dst, a, b, count, op);
    return;
  }
#else
  (void)avx2;
#endif
  reduceBaseline<T>(dst, a, b, count, op);
}

template <typename T>
void divideAll(unsigned char* dst, std::size_t count, int ranks) {
  for (std::size_t i = 0; i < count; ++i) storeLane<T>(dst, i, divideByRanks(loadLane<T>(dst, i), ranks));
}

bool overlapsPartially(const void* x, const void* y, std::size_t bytes) {
  const auto px = reinterpret_cast<std::uintptr_t>(x);
  const auto py = reinterpret_cast<std::uintptr_t>(y);
  return px != py && px < py + bytes && py < px + bytes;
}

void checkAligned(const void* p, std::size_t alignment) {
  CCB_CHECK_EQ(reinterpret_cast<std::uintptr_t>(p) % alignment, std::uintptr_t{0});
}

}  // namespace

CpuReducer::CpuReducer(Isa isa) {
#if CCB_CPU_REDUCER_X86
  // __builtin_cpu_supports("avx") also checks that the OS saves the AVX registers; F16C and AVX2 need that.
  __builtin_cpu_init();
  const bool avx = isa == Isa::kBest && __builtin_cpu_supports("avx");
  useAvx2_ = avx && __builtin_cpu_supports("avx2");
  useF16c_ = avx && __builtin_cpu_supports("f16c");
#else
  (void)isa;
#endif
}

void CpuReducer::reduce(void* dst, const void* a, const void* b, std::size_t count, DType dtype,
                        ReduceOp op) {
  if (count == 0) return;
  const std::size_t size = dtypeSize(dtype);
  CCB_CHECK(!overlapsPartially(dst, a, count * size));
  CCB_CHECK(!overlapsPartially(dst, b, count * size));
  // Element alignment is the Reducer contract (a CUDA kernel needs it); the loops here would not.
  for (const void* p : {static_cast<const void*>(dst), a, b}) checkAligned(p, size);
  auto* d = static_cast<unsigned char*>(dst);
  const auto* x = static_cast<const unsigned char*>(a);
  const auto* y = static_cast<const unsigned char*>(b);
  dispatchDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    dispatchOp(op, [&](auto functor) {
      std::size_t done = 0;  // elements already reduced by the F16C loop
#if CCB_CPU_REDUCER_X86
      if constexpr (std::is_same_v<T, Float16>) {
        if (useF16c_) done = reduceHalfF16c(d, x, y, count, functor);
      }
#endif
      const std::size_t offset = done * sizeof(T);
      reduceLoops<T>(useAvx2_, d + offset, x + offset, y + offset, count - done, functor);
    });
  });
}

void CpuReducer::finalize(void* dst, std::size_t count, DType dtype, ReduceOp op, int ranks) {
  if (op != ReduceOp::kAvg || count == 0) return;
  CCB_CHECK_LE(1, ranks);
  checkAligned(dst, dtypeSize(dtype));
  dispatchDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    divideAll<T>(static_cast<unsigned char*>(dst), count, ranks);
  });
}

void CpuReducer::copy(void* dst, const void* src, std::size_t bytes) {
  // Nothing to move; also avoids memcpy with a null pointer or with dst == src, both undefined.
  if (bytes == 0 || dst == src) return;
  CCB_CHECK(!overlapsPartially(dst, src, bytes));
  std::memcpy(dst, src, bytes);
}

}  // namespace ccb
