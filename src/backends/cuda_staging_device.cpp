#include "backends/cuda_staging_device.h"

#include "kernels/cuda_check.h"

namespace ccb {
namespace {

// Completes when the work enqueued on `stream` before it has run.
class EventRequest final : public PendingOp {
 public:
  explicit EventRequest(cudaStream_t stream) { event_.record(stream); }
  bool test() override { return event_.query(); }

 private:
  CudaEvent event_;
};

Request completionOf(const CudaStream& stream) { return std::make_unique<EventRequest>(stream.get()); }

}  // namespace

CudaStagingDevice::~CudaStagingDevice() {
  // The streams' destructors wait too, but members die after this body: wait before anything is freed.
  cudaStreamSynchronize(toHost_.get());
  cudaStreamSynchronize(toDevice_.get());
}

void CudaStagingDevice::synchronize() {
  toHost_.synchronize();
  toDevice_.synchronize();
}

std::span<std::byte> CudaStagingDevice::hostSlots(std::size_t bytes) {
  if (host_.bytes() < bytes) {
    synchronize();  // an abandoned run may still have copies queued into the old slots
    host_ = PinnedBuffer(bytes);
  }
  return {host_.data(), host_.bytes()};
}

std::span<std::byte> CudaStagingDevice::deviceScratch(std::size_t bytes) {
  if (scratch_.bytes() < bytes) {
    synchronize();
    scratch_ = DeviceBuffer(bytes);
  }
  return {scratch_.data(), scratch_.bytes()};
}

Request CudaStagingDevice::copyToHost(std::byte* host, const std::byte* device, std::size_t bytes) {
  checkCuda(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, toHost_.get()),
            "cudaMemcpyAsync to host");
  return completionOf(toHost_);
}

Request CudaStagingDevice::copyFromHost(std::byte* device, const std::byte* host, std::size_t bytes) {
  checkCuda(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, toDevice_.get()),
            "cudaMemcpyAsync to device");
  return completionOf(toDevice_);
}

Request CudaStagingDevice::reduceFromHost(const ReduceLanding& landing) {
  const std::size_t bytes = landing.count * dtypeSize(landing.dtype);
  checkCuda(cudaMemcpyAsync(landing.scratch, landing.host, bytes, cudaMemcpyHostToDevice, toDevice_.get()),
            "cudaMemcpyAsync to device");
  reducer_.enqueueReduce(landing.output, landing.input, landing.scratch, landing.count, landing.dtype,
                         landing.op, toDevice_.get());
  if (landing.finalizeRanks > 0) {
    reducer_.enqueueFinalize(landing.output, landing.count, landing.dtype, landing.op, landing.finalizeRanks,
                             toDevice_.get());
  }
  return completionOf(toDevice_);
}

}  // namespace ccb
