// Owned device and page-locked host allocations (RAII, move-only).
#pragma once

#include <cstddef>

namespace ccb {

// cudaMalloc'd memory on the current device. 0 bytes allocates nothing (data() is null).
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  // Throws UsageError("... does not fit ...", naming the size and the device's free memory) when the device
  // has not that much free, BackendError for any other runtime failure.
  explicit DeviceBuffer(std::size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& other) noexcept;
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  std::byte* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t bytes_ = 0;
};

// cudaMallocHost'd (page-locked) host memory: the only host memory cudaMemcpyAsync copies truly
// asynchronously. 0 bytes allocates nothing.
class PinnedBuffer {
 public:
  PinnedBuffer() = default;
  // Throws BackendError when the runtime cannot pin that much.
  explicit PinnedBuffer(std::size_t bytes);
  ~PinnedBuffer();
  PinnedBuffer(PinnedBuffer&& other) noexcept;
  PinnedBuffer& operator=(PinnedBuffer&& other) noexcept;
  PinnedBuffer(const PinnedBuffer&) = delete;
  PinnedBuffer& operator=(const PinnedBuffer&) = delete;

  std::byte* data() const { return data_; }
  std::size_t bytes() const { return bytes_; }

 private:
  std::byte* data_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace ccb
