// The Reducer is the seam that hides where element arithmetic runs (CPU here, CUDA in kernels/).
// Algorithms only ever combine buffers through it.
#pragma once

#include <cstddef>

#include "core/dtype.h"

namespace ccb {

class Reducer {
 public:
  virtual ~Reducer() = default;

  // dst[i] = op(a[i], b[i]) for i < count. dst may alias a or b exactly (in place), never partially.
  // For ReduceOp::kAvg this adds (the division happens once, in finalize()).
  virtual void reduce(void* dst, const void* a, const void* b, std::size_t count, DType dtype,
                      ReduceOp op) = 0;

  // Completes a reduction of `ranks` contributions: for kAvg divides every element by `ranks`
  // (computed in the dtype's compute type, rounded once); for every other op does nothing.
  virtual void finalize(void* dst, std::size_t count, DType dtype, ReduceOp op, int ranks) = 0;

  // Plain byte copy between two buffers of this reducer's memory kind.
  virtual void copy(void* dst, const void* src, std::size_t bytes) = 0;
};

}  // namespace ccb
