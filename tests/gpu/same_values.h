// Comparison of reduction results across implementations (test helper).
#pragma once

#include <cstddef>
#include <cstring>

#include "reduce/op_functors.h"

namespace ccb {

// Index of the first of `count` elements that differ, or -1: bit for bit, except that any NaN equals any NaN.
// IEEE leaves the payload and sign of a NaN result open, and they do differ in practice: GCC commutes the
// operands of + and * when it vectorises, and GPU arithmetic returns the canonical NaN.
inline long firstMismatch(const void* actual, const void* expected, std::size_t count, DType dtype) {
  return dispatchDType(dtype, [&](auto tag) -> long {
    using T = typename decltype(tag)::type;
    for (std::size_t i = 0; i < count; ++i) {
      T a, e;
      std::memcpy(&a, static_cast<const std::byte*>(actual) + i * sizeof(T), sizeof(T));
      std::memcpy(&e, static_cast<const std::byte*>(expected) + i * sizeof(T), sizeof(T));
      const auto ca = toCompute(a), ce = toCompute(e);
      if (ca != ca && ce != ce) continue;
      if (std::memcmp(&a, &e, sizeof(T)) != 0) return static_cast<long>(i);
    }
    return -1;
  });
}

}  // namespace ccb
