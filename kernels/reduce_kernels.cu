// The reduction kernels: one template, instantiated for every (dtype, functor) by the dispatch of
// op_functors.h. All the element logic is in reduce_body.h, shared with the CPU tests.
#include <cuda_runtime.h>

#include "kernels/cuda_check.h"
#include "kernels/launch_geometry.h"
#include "kernels/reduce_body.h"
#include "kernels/reduce_kernels.h"
#include "reduce/op_functors.h"

namespace ccb {
namespace {

template <typename T, typename F>
__global__ void mapKernel(T* out, const T* x, const T* y, VectorSplit split, F f) {
  const std::size_t thread = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const std::size_t threads = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  mapElements(out, x, y, split, thread, threads, f);
}

template <typename T, typename F>
void launchMap(void* out, const void* x, const void* y, std::size_t count, F f, int smCount,
               cudaStream_t stream) {
  const auto addr = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p); };
  const VectorSplit split = splitForPacks(addr(out), addr(x), addr(y), count, sizeof(T));
  const LaunchGeometry geometry = launchGeometry(workItems(split), smCount);
  if (geometry.blocks == 0) return;
  mapKernel<<<geometry.blocks, geometry.threadsPerBlock, 0, stream>>>(
      static_cast<T*>(out), static_cast<const T*>(x), static_cast<const T*>(y), split, f);
  checkCuda(cudaGetLastError(), "reduction kernel launch");
}

}  // namespace

void launchReduce(void* dst, const void* a, const void* b, std::size_t count, DType dtype, ReduceOp op,
                  int smCount, cudaStream_t stream) {
  dispatchDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    dispatchOp(op, [&](auto functor) {
      launchMap<T>(dst, a, b, count, ReduceElements<decltype(functor)>{functor}, smCount, stream);
    });
  });
}

void launchFinalize(void* dst, std::size_t count, DType dtype, ReduceOp op, int ranks, int smCount,
                    cudaStream_t stream) {
  if (op != ReduceOp::kAvg) return;
  dispatchDType(dtype, [&](auto tag) {
    using T = typename decltype(tag)::type;
    launchMap<T>(dst, dst, dst, count, DivideElements{ranks}, smCount, stream);
  });
}

}  // namespace ccb
