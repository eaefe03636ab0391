#include "kernels/device_memory.h"

#include <cuda_runtime_api.h>

#include <utility>

#include "core/error.h"
#include "core/units.h"
#include "kernels/cuda_check.h"

namespace ccb {
namespace {

// The one line a user sees for a size the device cannot hold.
[[noreturn]] void throwDoesNotFit(std::size_t bytes) {
  cudaGetLastError();  // an allocation failure is not sticky, but leaves the last-error state set
  const DeviceInfo info = currentDeviceInfo();
  throw UsageError("device buffer of " + formatBytes(bytes) + " does not fit on GPU " +
                   std::to_string(info.index) + " (" + info.name + "): " + formatBytes(info.freeBytes) +
                   " free of " + formatBytes(info.totalBytes));
}

}  // namespace

DeviceBuffer::DeviceBuffer(std::size_t bytes) {
  if (bytes == 0) return;
  void* p = nullptr;
  const cudaError_t code = cudaMalloc(&p, bytes);
  if (code == cudaErrorMemoryAllocation) throwDoesNotFit(bytes);
  checkCuda(code, "cudaMalloc of " + formatBytes(bytes));
  data_ = static_cast<std::byte*>(p);
  bytes_ = bytes;
}

DeviceBuffer::~DeviceBuffer() {
  if (data_ != nullptr) cudaFree(data_);  // errors ignored: destructors must not throw
}

DeviceBuffer::DeviceBuffer(DeviceBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

DeviceBuffer& DeviceBuffer::operator=(DeviceBuffer&& other) noexcept {
  std::swap(data_, other.data_);
  std::swap(bytes_, other.bytes_);
  return *this;
}

PinnedBuffer::PinnedBuffer(std::size_t bytes) {
  if (bytes == 0) return;
  void* p = nullptr;
  checkCuda(cudaMallocHost(&p, bytes), "cudaMallocHost of " + formatBytes(bytes));
  data_ = static_cast<std::byte*>(p);
  bytes_ = bytes;
}

PinnedBuffer::~PinnedBuffer() {
  if (data_ != nullptr) cudaFreeHost(data_);
}

PinnedBuffer::PinnedBuffer(PinnedBuffer&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& other) noexcept {
  std::swap(data_, other.data_);
  std::swap(bytes_, other.bytes_);
  return *this;
}

}  // namespace ccb
