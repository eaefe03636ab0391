// The CUDA implementation of Reducer: the kernels of reduce_kernels.h on device memory of the current device.
#pragma once

#include <cstddef>

#include "kernels/cuda_stream.h"
#include "reduce/reducer.h"

namespace ccb {

class CudaReducer final : public Reducer {
 public:
  // Uses the current device (cudaSetDevice before constructing). Throws BackendError when the runtime fails.
  CudaReducer();

  // Same contract as CpuReducer on device pointers: dst[i] = op(a[i], b[i]); pointers aligned to the element
  // size (any 16-byte offset is fine) and dst equal to or disjoint from a and b, else InvariantError. Runs on
  // the reducer's stream and returns when the result is in memory, like the CPU reducer.
  void reduce(void* dst, const void* a, const void* b, std::size_t count, DType dtype, ReduceOp op) override;
  void finalize(void* dst, std::size_t count, DType dtype, ReduceOp op, int ranks) override;
  // cudaMemcpyAsync device to device, then waits.
  void copy(void* dst, const void* src, std::size_t bytes) override;

  // The asynchronous forms for callers that keep their own streams and completion events: same checks,
  // enqueued on `stream`, no wait.
  void enqueueReduce(void* dst, const void* a, const void* b, std::size_t count, DType dtype, ReduceOp op,
                     cudaStream_t stream) const;
  void enqueueFinalize(void* dst, std::size_t count, DType dtype, ReduceOp op, int ranks,
                       cudaStream_t stream) const;

  cudaStream_t stream() const { return stream_.get(); }
  int smCount() const { return smCount_; }

 private:
  CudaStream stream_;
  int smCount_ = 1;
};

}  // namespace ccb
