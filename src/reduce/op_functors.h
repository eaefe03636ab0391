// The element arithmetic of every reducer, written once: operator functors on a compute type, conversions
// between storage and compute types, and dispatch from the runtime (DType, ReduceOp) pair to those
// templates. The CPU reducer (cpu_reducer.cpp) and the CUDA reducer (kernels/) both instantiate these, so
// their results agree bit for bit.
#pragma once

#include <cstdint>
#include <type_traits>

#include "core/dtype.h"
#include "core/error.h"
#include "core/half.h"
#include "core/host_device.h"

namespace ccb {

// The type arithmetic happens in: float for the 16-bit floats, the storage type itself otherwise.
// float is wide enough that one float operation followed by rounding to 16 bits equals the correctly
// rounded 16-bit result for +, *, / (float's 24-bit significand is >= 2p + 2 for p = 11 and p = 8), so
// nothing is lost by not having native 16-bit arithmetic.
template <typename T>
struct ComputeTypeOf {
  using type = T;
};
template <>
struct ComputeTypeOf<Float16> {
  using type = float;
};
template <>
struct ComputeTypeOf<BFloat16> {
  using type = float;
};
template <typename T>
using ComputeType = typename ComputeTypeOf<T>::type;

// Storage -> compute (exact).
template <typename T>
CCB_HD CCB_FORCE_INLINE ComputeType<T> toCompute(T value) {
  if constexpr (std::is_same_v<T, Float16>) {
    return halfToFloat(value);
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return bfloat16ToFloat(value);
  } else {
    return value;
  }
}

// Compute -> storage (rounds to nearest even for the 16-bit floats, exact otherwise).
template <typename T>
CCB_HD CCB_FORCE_INLINE T fromCompute(ComputeType<T> value) {
  if constexpr (std::is_same_v<T, Float16>) {
    return floatToHalf(value);
  } else if constexpr (std::is_same_v<T, BFloat16>) {
    return floatToBFloat16(value);
  } else {
    return value;
  }
}

// Integer sum and product wrap (two's complement) instead of overflowing, which would be undefined
// behaviour: computed in the unsigned type of the same width, converted back (well defined since C++20).
struct SumOp {
  template <typename C>
  CCB_HD CCB_FORCE_INLINE C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      using U = std::make_unsigned_t<C>;
      return static_cast<C>(static_cast<U>(a) + static_cast<U>(b));
    } else {
      return a + b;
    }
  }
};

struct ProdOp {
  template <typename C>
  CCB_HD CCB_FORCE_INLINE C operator()(C a, C b) const {
    if constexpr (std::is_integral_v<C>) {
      using U = std::make_unsigned_t<C>;
      return static_cast<C>(static_cast<U>(a) * static_cast<U>(b));
    } else {
      return a * b;
    }
  }
};

// Written as a select on one comparison so that float min/max vectorise (minps/maxps); std::min's
// reference-returning form does not. With a NaN operand the result is the second operand.
struct MinOp {
  template <typename C>
  CCB_HD CCB_FORCE_INLINE C operator()(C a, C b) const {
    return a < b ? a : b;
  }
};

struct MaxOp {
  template <typename C>
  CCB_HD CCB_FORCE_INLINE C operator()(C a, C b) const {
    return a > b ? a : b;
  }
};

// One element of a reduction: op applied in the compute type, rounded once to the storage type.
template <typename T, typename Op>
CCB_HD CCB_FORCE_INLINE T applyOp(Op op, T a, T b) {
  return fromCompute<T>(op(toCompute(a), toCompute(b)));
}

// The final step of ReduceOp::kAvg: sum / ranks in the compute type, rounded once. For integers this is
// C++ division, which truncates toward zero.
template <typename T>
CCB_HD CCB_FORCE_INLINE T divideByRanks(T sum, int ranks) {
  using C = ComputeType<T>;
  return fromCompute<T>(toCompute(sum) / static_cast<C>(ranks));
}

// A value that names a type, for passing a storage type to a generic lambda: f(TypeTag<float>{}).
template <typename T>
struct TypeTag {
  using type = T;
};

// Calls f(TypeTag<T>{}) with T the storage type of `dtype` (Float16, BFloat16 for the 16-bit floats) and
// returns its result. Host-only: it is where a runtime dtype becomes a template instantiation.
template <typename F>
decltype(auto) dispatchDType(DType dtype, F&& f) {
  switch (dtype) {
    case DType::kFloat32:
      return f(TypeTag<float>{});
    case DType::kFloat64:
      return f(TypeTag<double>{});
    case DType::kFloat16:
      return f(TypeTag<Float16>{});
    case DType::kBFloat16:
      return f(TypeTag<BFloat16>{});
    case DType::kInt32:
      return f(TypeTag<std::int32_t>{});
    case DType::kInt64:
      return f(TypeTag<std::int64_t>{});
  }
  throw InvariantError("dispatchDType: DType value out of range");
}

// Calls f(Op{}) with the functor that reduce() applies for `op` and returns its result. kAvg gives SumOp:
// an average is a sum until Reducer::finalize divides it (see divideByRanks).
template <typename F>
decltype(auto) dispatchOp(ReduceOp op, F&& f) {
  switch (op) {
    case ReduceOp::kSum:
    case ReduceOp::kAvg:
      return f(SumOp{});
    case ReduceOp::kProd:
      return f(ProdOp{});
    case ReduceOp::kMin:
      return f(MinOp{});
    case ReduceOp::kMax:
      return f(MaxOp{});
  }
  throw InvariantError("dispatchOp: ReduceOp value out of range");
}

}  // namespace ccb
