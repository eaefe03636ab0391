// The one file that tests CCB_HAVE_CUDA and CCB_HAVE_NCCL (DESIGN.md, "Optional backends"): each function
// below either forwards to kernels/ and the CUDA/NCCL pieces of this folder, or says what is missing.
#include "backends/backends.h"

#include <algorithm>
#include <cstring>

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

constexpr std::string_view kNoCuda = "this build has no CUDA (nvcc was not found when it was configured)";
constexpr std::string_view kNoNccl =
    "this build has no NCCL (libnccl and nccl.h were not found when it was configured)";

class HostBuffer final : public Buffer {
 public:
  explicit HostBuffer(std::size_t bytes) : data_(new std::byte[bytes]), bytes_(bytes) {}
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
  explicit DeviceMemory(std::size_t bytes) : buffer_(bytes) {}
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

std::unique_ptr<AllReduce> makeAllReduceOn(MemKind kind, std::string_view name, Transport& transport,
                                           Reducer& reducer, const AllReduceOptions& options,
                                           Clock::duration timeout) {
  if (kind == MemKind::kHost) {
    if (name == "nccl") throw UsageError("--algo nccl needs --mem device (NCCL reduces GPU buffers)");
    return makeAllReduce(name, transport, reducer, options);
  }
  if (name == "ring") return makeStagedRing(transport, options);
  if (name == "nccl") return makeNccl(transport, timeout);
  const std::vector<std::string> hostOnly = allReduceNames();
  if (std::find(hostOnly.begin(), hostOnly.end(), name) != hostOnly.end()) {
    throw UsageError("--algo " + std::string(name) +
                     " needs --mem host (it takes host buffers; ring and nccl " + "run on device buffers)");
  }
  return makeAllReduce(name, transport, reducer, options);  // throws its unknown-name error
}

}  // namespace ccb
