// Launchers of the CUDA reduction kernels: every DType and ReduceOp of the CPU Reducer, on the shared
// functors of reduce/op_functors.h through the kernel body of reduce_body.h (16-byte loads where the pointers
// allow, a grid-stride loop, any count and any element-aligned pointers).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>

#include "core/dtype.h"

namespace ccb {

// Enqueues dst[i] = op(a[i], b[i]), i < count, on `stream` (kAvg adds; finalize divides). dst may equal a
// and/or b; partial overlap is not allowed (the caller checks). `smCount` sizes the grid (launch_geometry.h).
// count 0 enqueues nothing. Throws BackendError when the launch fails.
void launchReduce(void* dst, const void* a, const void* b, std::size_t count, DType dtype, ReduceOp op,
                  int smCount, cudaStream_t stream);

// Enqueues the finalize of kAvg: dst[i] = dst[i] / ranks in the compute type. Other ops enqueue nothing.
void launchFinalize(void* dst, std::size_t count, DType dtype, ReduceOp op, int ranks, int smCount,
                    cudaStream_t stream);

}  // namespace ccb
