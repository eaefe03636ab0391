#include "kernels/cuda_stream.h"

#include "kernels/cuda_check.h"

namespace ccb {

CudaStream::CudaStream() { checkCuda(cudaStreamCreate(&stream_), "cudaStreamCreate"); }

CudaStream::~CudaStream() {
  // Work still queued may read or write buffers the owner frees next: let it finish first.
  cudaStreamSynchronize(stream_);
  cudaStreamDestroy(stream_);
}

void CudaStream::synchronize() const { checkCuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }

CudaEvent::CudaEvent(bool timing) {
  checkCuda(cudaEventCreateWithFlags(&event_, timing ? cudaEventDefault : cudaEventDisableTiming),
            "cudaEventCreateWithFlags");
}

CudaEvent::~CudaEvent() { cudaEventDestroy(event_); }

void CudaEvent::record(cudaStream_t stream) { checkCuda(cudaEventRecord(event_, stream), "cudaEventRecord"); }

bool CudaEvent::query() const {
  const cudaError_t code = cudaEventQuery(event_);
  if (code == cudaErrorNotReady) return false;
  checkCuda(code, "cudaEventQuery");
  return true;
}

void CudaEvent::synchronize() const { checkCuda(cudaEventSynchronize(event_), "cudaEventSynchronize"); }

double elapsedUs(const CudaEvent& start, const CudaEvent& stop) {
  float ms = 0;
  checkCuda(cudaEventElapsedTime(&ms, start.get(), stop.get()), "cudaEventElapsedTime");
  return static_cast<double>(ms) * 1000.0;
}

double EventTimer::elapsedUs() const {
  stop_.synchronize();
  return ccb::elapsedUs(start_, stop_);
}

}  // namespace ccb
