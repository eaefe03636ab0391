// The host implementation of Reducer: plain loops over host memory that the compiler vectorises (SSE2 at
// baseline x86-64 flags), using the shared functors of op_functors.h; AVX2 and F16C variants where the
// CPU has them (see Isa).
#pragma once

#include <cstddef>

#include "reduce/reducer.h"

namespace ccb {

class CpuReducer final : public Reducer {
 public:
  // Which instructions beyond baseline x86-64 the reducer may pick at run time. kBest runs the same loops
  // compiled for AVX2 and converts float16 with F16C, where the CPU has them; results are bit-identical
  // to kBaseline's except for NaN payloads. kBaseline keeps to the build's flags (SSE2 by default). Tests
  // compare the two; reducer_bench times both.
  enum class Isa { kBest, kBaseline };

  explicit CpuReducer(Isa isa = Isa::kBest);

  // dst[i] = op(a[i], b[i]). Pointers must be aligned to the element size; dst may equal a and/or b but
  // must not overlap them partially (both are checked: InvariantError). count 0 does nothing.
  void reduce(void* dst, const void* a, const void* b, std::size_t count, DType dtype, ReduceOp op) override;

  // For kAvg: dst[i] = dst[i] / ranks in the compute type (integers truncate toward zero). ranks >= 1.
  void finalize(void* dst, std::size_t count, DType dtype, ReduceOp op, int ranks) override;

  // memcpy; dst == src does nothing, a partial overlap is an InvariantError.
  void copy(void* dst, const void* src, std::size_t bytes) override;

  // What reduce() picked at construction.
  bool usesAvx2() const { return useAvx2_; }
  bool usesF16c() const { return useF16c_; }

 private:
  bool useAvx2_ = false;
  bool useF16c_ = false;
};

}  // namespace ccb
