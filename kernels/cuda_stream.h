// CUDA streams and events (RAII, move-only), and event-based timing of device work.
#pragma once

#include <cuda_runtime_api.h>

namespace ccb {

// A stream on the current device. It is a blocking stream: it waits for work issued earlier on the legacy
// default stream (plain cudaMemcpy, kernels launched without a stream), so data a caller prepared that way
// is ready for whatever we enqueue here.
class CudaStream {
 public:
  // Throws BackendError when the runtime fails.
  CudaStream();
  // Waits for the stream's work, then destroys it (errors ignored).
  ~CudaStream();
  CudaStream(const CudaStream&) = delete;
  CudaStream& operator=(const CudaStream&) = delete;

  cudaStream_t get() const { return stream_; }
  // Blocks until everything enqueued so far has run. Throws BackendError on a device error.
  void synchronize() const;

 private:
  cudaStream_t stream_ = nullptr;
};

class CudaEvent {
 public:
  // timing = false creates a lighter event that cannot be used with elapsedUs.
  explicit CudaEvent(bool timing = false);
  ~CudaEvent();
  CudaEvent(const CudaEvent&) = delete;
  CudaEvent& operator=(const CudaEvent&) = delete;

  cudaEvent_t get() const { return event_; }
  void record(cudaStream_t stream);
  // Non-blocking: true once the work before record() has run. Throws BackendError on a device error.
  bool query() const;
  void synchronize() const;

 private:
  cudaEvent_t event_ = nullptr;
};

// Device time between two recorded, completed timing events, in microseconds (resolution about 0.5 us).
double elapsedUs(const CudaEvent& start, const CudaEvent& stop);

// Times device work on one stream with a pair of events: start(), enqueue work, stop(), then elapsedUs()
// (which waits for the work).
class EventTimer {
 public:
  EventTimer() : start_(true), stop_(true) {}
  void start(cudaStream_t stream) { start_.record(stream); }
  void stop(cudaStream_t stream) { stop_.record(stream); }
  double elapsedUs() const;

 private:
  CudaEvent start_;
  CudaEvent stop_;
};

}  // namespace ccb
