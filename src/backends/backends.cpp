// The one file that tests CCB_HAVE_CUDA and CCB_HAVE_NCCL (DESIGN.md, "Optional backends"): each function
// below either forwards to kernels/ and the CUDA/NCCL pieces of this folder, or says what is missing.
#include "backends/backends.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>

#include "backends/device_binding.h"
#include "ccb_config.h"
#include "comm/mpi_transport.h"
#include "core/error.h"
#include "reduce/cpu_reducer.h"

#if CCB_HAVE_CUDA
#include <cuda_runtime_api.h>

#include "backends/cuda_staging_device.h"
#include "backends/staged_ring.h"
#include "kernels/cuda_check.h"
#include "kernels/cuda_reducer.h"
#include "kernels/device_memory.h"
#endif
#if CCB_HAVE_NCCL
#include "backends/nccl_allreduce.h"
#endif

namespace ccb {
namespace {

// Configured with -Dcuda=disabled or without nvcc; NCCL also needs CUDA, libnccl and nccl.h.
constexpr std::string_view kNoCuda =
    "this build has no CUDA (configured without nvcc or with -Dcuda=disabled)";
constexpr std::string_view kNoNccl =
    "this build has no NCCL (configured without CUDA, libnccl or nccl.h, or with -Dnccl=disabled)";

class HostBuffer final : public Buffer {
 public:
  explicit HostBuffer(std::size_t bytes) : data_(new std::byte[bytes]()), bytes_(bytes) {}
  std::byte* data() const override { return data_.get(); }
  std::size_t bytes() const override { return bytes_; }
  MemKind kind() const override { return MemKind::kHost; }

 private:
  std::unique_ptr<std::byte[]> data_;
  std::size_t bytes_;
};

#if CCB_HAVE_CUDA
class DeviceMemory final : public Buffer {
 public:
  explicit DeviceMemory(std::size_t bytes) : buffer_(bytes) {
    if (bytes > 0) checkCuda(cudaMemset(buffer_.data(), 0, bytes), "cudaMemset");
  }
  std::byte* data() const override { return buffer_.data(); }
  std::size_t bytes() const override { return buffer_.bytes(); }
  MemKind kind() const override { return MemKind::kDevice; }

 private:
  DeviceBuffer buffer_;
};
#endif

// Why this process cannot use device memory, or "" when it can.
std::string deviceProblem() {
#if CCB_HAVE_CUDA
  std::string why;
  return cudaDevicesAnswering(&why) > 0 ? "" : "no CUDA device answers (" + why + ")";
#else
  return std::string(kNoCuda);
#endif
}

// "78.4 GiB": memory sizes are rarely round numbers, so formatBytes' exact form would not read.
std::string approxBytes(std::size_t bytes) {
  constexpr struct {
    int shift;
    const char* unit;
  } kUnits[] = {{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}};
  char text[48];
  for (const auto& unit : kUnits) {
    if (bytes >= (std::size_t{1} << unit.shift)) {
      const double units = static_cast<double>(bytes) / static_cast<double>(std::size_t{1} << unit.shift);
      std::snprintf(text, sizeof text, "%.1f %s", units, unit.unit);
      return text;
    }
  }
  return std::to_string(bytes) + " bytes";
}

std::size_t saturatingMultiply(std::size_t a, int b) {
  const auto factor = static_cast<std::size_t>(std::max(b, 0));
  if (factor != 0 && a > std::numeric_limits<std::size_t>::max() / factor) {
    return std::numeric_limits<std::size_t>::max();
  }
  return a * factor;
}

std::unique_ptr<AllReduce> makeStagedRing(Transport& transport, const AllReduceOptions& options) {
  requireDevice();
#if CCB_HAVE_CUDA
  return std::make_unique<StagedRingAllReduce>(transport, std::make_unique<CudaStagingDevice>(), options);
#else
  (void)transport;
  (void)options;
  CCB_CHECK(false);  // requireDevice() threw
#endif
}

std::unique_ptr<AllReduce> makeNccl(Transport& transport, Clock::duration timeout) {
#if CCB_HAVE_NCCL
  auto* mpi = dynamic_cast<MpiTransport*>(&transport);
  if (mpi == nullptr) throw UsageError("--algo nccl needs the MPI transport, not '" + transport.name() + "'");
  bindDevice(mpi->comm(), /*exclusive=*/true, timeout);
  return makeNcclAllReduce(*mpi, timeout);
#else
  (void)transport;
  (void)timeout;
  throw UsageError("--algo nccl: " + std::string(kNoNccl));
#endif
}

}  // namespace

bool cudaCompiledIn() { return CCB_HAVE_CUDA != 0; }
bool ncclCompiledIn() { return CCB_HAVE_NCCL != 0; }

int cudaDeviceCount() {
#if CCB_HAVE_CUDA
  return cudaDevicesAnswering();
#else
  return 0;
#endif
}

std::string cudaVersionText() {
#if CCB_HAVE_CUDA
  return "runtime " + cudaRuntimeVersion() + ", driver " + cudaDriverVersion();
#else
  return "not compiled in";
#endif
}

std::string ncclVersionText() {
#if CCB_HAVE_NCCL
  return ncclLibraryVersion();
#else
  return "";
#endif
}

MemKind parseMemKind(std::string_view name) {
  if (name == "host") return MemKind::kHost;
  if (name == "device") return MemKind::kDevice;
  throw UsageError("--mem: unknown memory '" + std::string(name) + "' (expected host or device)");
}

std::string_view memKindName(MemKind kind) { return kind == MemKind::kHost ? "host" : "device"; }

void requireDevice() {
  const std::string problem = deviceProblem();
  if (!problem.empty()) throw UsageError("--mem device: " + problem);
}

int bindDevice(MPI_Comm comm, bool exclusive, Clock::duration timeout) {
  const HostPlacement placement = hostPlacement(comm);
  const int devices = cudaDeviceCount();
  std::string problem = deviceProblem();
  if (problem.empty()) problem = placementProblem(placement, devices, exclusive);
  agreeOnProblem(comm, problem, timeout, exclusive ? "--algo nccl" : "--mem device");
#if CCB_HAVE_CUDA
  const int device = deviceForRank(placement, devices);
  checkCuda(cudaSetDevice(device), "cudaSetDevice");
  return device;
#else
  CCB_CHECK(false);  // agreeOnProblem threw: without CUDA every rank has a problem
#endif
}

std::string memoryDeviceName(MemKind kind) {
  if (kind == MemKind::kHost) return "cpu";
  requireDevice();
#if CCB_HAVE_CUDA
  return currentDeviceInfo().name;
#else
  CCB_CHECK(false);
#endif
}

GpuMemory boundGpuMemory() {
  requireDevice();
#if CCB_HAVE_CUDA
  const DeviceInfo info = currentDeviceInfo();
  return GpuMemory{info.index, info.name, info.freeBytes, info.totalBytes};
#else
  CCB_CHECK(false);
#endif
}

std::string deviceFitProblem(std::size_t bytes, std::string_view purpose, const GpuMemory& gpu) {
  if (bytes <= gpu.freeBytes) return "";
  return approxBytes(bytes) + " of device memory needed (" + std::string(purpose) + "), but GPU " +
         std::to_string(gpu.index) + " (" + gpu.name + ") has " + approxBytes(gpu.freeBytes) + " free of " +
         approxBytes(gpu.totalBytes);
}

void requireDeviceFits(MPI_Comm comm, std::size_t bytesPerRank, std::string_view purpose,
                       Clock::duration timeout) {
  const HostPlacement placement = hostPlacement(comm);
  std::string problem = deviceProblem();
  if (problem.empty()) {
    // Ranks sharing a GPU check at about the same time, before any of them allocates: each must count the
    // others' buffers too.
    const int sharing = ranksSharingDevice(placement, cudaDeviceCount());
    std::string why(purpose);
    if (sharing > 1) why += ", times " + std::to_string(sharing) + " ranks on this GPU";
    problem = deviceFitProblem(saturatingMultiply(bytesPerRank, sharing), why, boundGpuMemory());
  }
  agreeOnProblem(comm, problem, timeout, "--mem device");
}

std::unique_ptr<Buffer> allocateBuffer(MemKind kind, std::size_t bytes) {
  if (kind == MemKind::kHost) return std::make_unique<HostBuffer>(bytes);
  requireDevice();
#if CCB_HAVE_CUDA
  return std::make_unique<DeviceMemory>(bytes);
#else
  CCB_CHECK(false);
#endif
}

void copyToMemory(MemKind kind, void* dst, const void* hostSrc, std::size_t bytes) {
  if (bytes == 0) return;
  if (kind == MemKind::kHost) {
    std::memmove(dst, hostSrc, bytes);
    return;
  }
#if CCB_HAVE_CUDA
  checkCuda(cudaMemcpy(dst, hostSrc, bytes, cudaMemcpyHostToDevice), "cudaMemcpy to device");
#else
  throw UsageError("--mem device: " + std::string(kNoCuda));
#endif
}

void copyFromMemory(MemKind kind, void* hostDst, const void* src, std::size_t bytes) {
  if (bytes == 0) return;
  if (kind == MemKind::kHost) {
    std::memmove(hostDst, src, bytes);
    return;
  }
#if CCB_HAVE_CUDA
  checkCuda(cudaMemcpy(hostDst, src, bytes, cudaMemcpyDeviceToHost), "cudaMemcpy to host");
#else
  throw UsageError("--mem device: " + std::string(kNoCuda));
#endif
}

std::unique_ptr<Reducer> makeReducer(MemKind kind) {
  if (kind == MemKind::kHost) return std::make_unique<CpuReducer>();
  requireDevice();
#if CCB_HAVE_CUDA
  return std::make_unique<CudaReducer>();
#else
  CCB_CHECK(false);
#endif
}

std::vector<std::string> allReduceNamesWithBackends() {
  std::vector<std::string> names = allReduceNames();
  names.push_back("nccl");
  return names;
}

void requireAlgorithmOn(MemKind kind, std::string_view name) {
  if (name == "nccl") {
    if (kind == MemKind::kHost) throw UsageError("--algo nccl needs --mem device (NCCL reduces GPU buffers)");
    if (!ncclCompiledIn()) throw UsageError("--algo nccl: " + std::string(kNoNccl));
    return;
  }
  const std::vector<std::string> hostNames = allReduceNames();
  if (std::find(hostNames.begin(), hostNames.end(), name) == hostNames.end()) {
    std::string valid;
    for (const std::string& n : allReduceNamesWithBackends()) valid += (valid.empty() ? "" : ", ") + n;
    throw UsageError("unknown all-reduce algorithm '" + std::string(name) + "' (valid: " + valid + ")");
  }
  if (kind == MemKind::kDevice && name != "ring") {
    throw UsageError("--algo " + std::string(name) +
                     " needs --mem host (it takes host buffers; ring and nccl run on device buffers)");
  }
}

std::unique_ptr<AllReduce> makeAllReduceOn(MemKind kind, std::string_view name, Transport& transport,
                                           Reducer& reducer, const AllReduceOptions& options,
                                           Clock::duration timeout) {
  requireAlgorithmOn(kind, name);
  if (kind == MemKind::kHost) return makeAllReduce(name, transport, reducer, options);
  if (name == "ring") return makeStagedRing(transport, options);
  return makeNccl(transport, timeout);
}

}  // namespace ccb
