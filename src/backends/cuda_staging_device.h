// StagingDevice on the current CUDA device: copies to host on one stream and copies to the device plus
// reductions on another, so copy-out and landing overlap (the two directions use separate copy engines).
// Completion is a CUDA event per operation. Hazards between the streams need no device-side waits: the
// staging pipeline starts an operation only after the host has seen the events it depends on complete.
// Compiled only when CUDA is.
#pragma once

#include "backends/staged_ring.h"
#include "kernels/cuda_reducer.h"
#include "kernels/cuda_stream.h"
#include "kernels/device_memory.h"

namespace ccb {

class CudaStagingDevice final : public StagingDevice {
 public:
  // Uses the current device. Throws BackendError when the runtime fails.
  CudaStagingDevice() = default;
  // Lets queued work finish before the slots it uses are freed.
  ~CudaStagingDevice() override;

  std::span<std::byte> hostSlots(std::size_t bytes) override;
  std::span<std::byte> deviceScratch(std::size_t bytes) override;
  Request copyToHost(std::byte* host, const std::byte* device, std::size_t bytes) override;
  Request copyFromHost(std::byte* device, const std::byte* host, std::size_t bytes) override;
  Request reduceFromHost(const ReduceLanding& landing) override;
  Reducer& reducer() override { return reducer_; }

 private:
  void synchronize();

  CudaReducer reducer_;
  CudaStream toHost_;
  CudaStream toDevice_;
  PinnedBuffer host_;
  DeviceBuffer scratch_;
};

}  // namespace ccb
