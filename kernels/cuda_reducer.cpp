#include "kernels/cuda_reducer.h"

#include <cstdint>

#include "core/error.h"
#include "kernels/cuda_check.h"
#include "kernels/reduce_kernels.h"

namespace ccb {
namespace {

// A misaligned element access is a sticky device fault that ends the CUDA context, so the contract is
// checked on the host first.
void checkElementAligned(const void* p, std::size_t elementBytes) {
  CCB_CHECK_EQ(reinterpret_cast<std::uintptr_t>(p) % elementBytes, std::uintptr_t{0});
}

void checkEqualOrDisjoint(const void* x, const void* y, std::size_t bytes) {
  const auto px = reinterpret_cast<std::uintptr_t>(x);
  const auto py = reinterpret_cast<std::uintptr_t>(y);
  CCB_CHECK(px == py || px + bytes <= py || py + bytes <= px);
}

}  // namespace

CudaReducer::CudaReducer() {
  int device = 0;
  checkCuda(cudaGetDevice(&device), "cudaGetDevice");
  checkCuda(cudaDeviceGetAttribute(&smCount_, cudaDevAttrMultiProcessorCount, device),
            "cudaDeviceGetAttribute");
}

void CudaReducer::enqueueReduce(void* dst, const void* a, const void* b, std::size_t count, DType dtype,
                                ReduceOp op, cudaStream_t stream) const {
  if (count == 0) return;
  const std::size_t elementBytes = dtypeSize(dtype);
  for (const void* p : {static_cast<const void*>(dst), a, b}) checkElementAligned(p, elementBytes);
  checkEqualOrDisjoint(dst, a, count * elementBytes);
  checkEqualOrDisjoint(dst, b, count * elementBytes);
  launchReduce(dst, a, b, count, dtype, op, smCount_, stream);
}

void CudaReducer::enqueueFinalize(void* dst, std::size_t count, DType dtype, ReduceOp op, int ranks,
                                  cudaStream_t stream) const {
  if (op != ReduceOp::kAvg || count == 0) return;
  CCB_CHECK_LE(1, ranks);
  checkElementAligned(dst, dtypeSize(dtype));
  launchFinalize(dst, count, dtype, op, ranks, smCount_, stream);
}

void CudaReducer::reduce(void* dst, const void* a, const void* b, std::size_t count, DType dtype,
                         ReduceOp op) {
  enqueueReduce(dst, a, b, count, dtype, op, stream_.get());
  stream_.synchronize();
}

void CudaReducer::finalize(void* dst, std::size_t count, DType dtype, ReduceOp op, int ranks) {
  enqueueFinalize(dst, count, dtype, op, ranks, stream_.get());
  stream_.synchronize();
}

void CudaReducer::copy(void* dst, const void* src, std::size_t bytes) {
  if (bytes == 0 || dst == src) return;
  checkEqualOrDisjoint(dst, src, bytes);
  checkCuda(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream_.get()), "cudaMemcpyAsync");
  stream_.synchronize();
}

}  // namespace ccb
