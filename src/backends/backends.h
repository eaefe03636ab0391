// The optional backends (CUDA, NCCL) behind one header that every build has. Whether a backend is compiled
// in is decided here and nowhere else (backends.cpp is the one file that tests CCB_HAVE_CUDA /
// CCB_HAVE_NCCL): without it the queries say so and the factories throw UsageError with one line naming what
// is missing, so callers never need an #if of their own.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "algo/allreduce.h"
#include "comm/transport.h"
#include "reduce/reducer.h"

namespace ccb {

// What this build has, and what answers at run time.
bool cudaCompiledIn();
bool ncclCompiledIn();
// GPUs the CUDA runtime reports: 0 when CUDA is not compiled in or the runtime reports any error (no driver,
// driver too old, no GPU).
int cudaDeviceCount();
// "runtime 13.0, driver 12.8"; "not compiled in" without CUDA.
std::string cudaVersionText();
// "2.28.9" (the library loaded at run time); "" without NCCL.
std::string ncclVersionText();

// Where the buffers of a run live: "host" or "device" on the command line (--mem).
enum class MemKind { kHost, kDevice };
// Throws UsageError("--mem: unknown memory 'x' (expected host or device)").
MemKind parseMemKind(std::string_view name);
std::string_view memKindName(MemKind kind);

// Throws UsageError("--mem device: ...", naming the reason: CUDA not compiled in, or no GPU answering with
// the runtime's message) unless device buffers can be used in this process.
void requireDevice();

// Binds this process to a GPU: its index among the ranks on its host, modulo the host's GPUs; `exclusive`
// demands one GPU per rank (NCCL). Collective over `comm` (blocking steps watched with `timeout`): when any
// rank cannot, every rank throws UsageError. Returns the device index.
int bindDevice(MPI_Comm comm, bool exclusive, Clock::duration timeout);

// The bound GPU's name ("NVIDIA H100 80GB HBM3"), for RunContext::device; "cpu" for kHost.
std::string memoryDeviceName(MemKind kind);

// What the bound GPU has: index, name and memory (cudaMemGetInfo), for the checks before allocating.
struct GpuMemory {
  int index = 0;
  std::string name;
  std::size_t freeBytes = 0;
  std::size_t totalBytes = 0;
};

// The bound GPU's memory now. requireDevice()'s UsageError where no device can be used.
GpuMemory boundGpuMemory();

// Pure: "" when `bytes` fit in gpu.freeBytes, otherwise one line: "96.0 GiB of device memory needed
// (<purpose>), but GPU 0 (NVIDIA H100 80GB HBM3) has 78.4 GiB free of 79.1 GiB".
std::string deviceFitProblem(std::size_t bytes, std::string_view purpose, const GpuMemory& gpu);

// Checks, before anything is allocated, that the bound GPU holds `bytesPerRank` for every rank of this host
// that shares it (ranks share GPUs round robin, device_binding.h). Collective over `comm` (watched with
// `timeout`): when any rank's GPU is too small, every rank throws UsageError (deviceFitProblem's line on the
// ranks that found it).
void requireDeviceFits(MPI_Comm comm, std::size_t bytesPerRank, std::string_view purpose,
                       Clock::duration timeout);

// A buffer of one memory kind (host: heap memory; device: cudaMalloc on the bound GPU), zero-filled so
// that unchecked timings never reduce stray NaNs or subnormals.
class Buffer {
 public:
  virtual ~Buffer() = default;
  virtual std::byte* data() const = 0;
  virtual std::size_t bytes() const = 0;
  virtual MemKind kind() const = 0;
};

// Throws UsageError: device memory without requireDevice()'s conditions, or a size the GPU cannot hold
// ("device buffer of 96G does not fit on GPU 0 (NVIDIA H100 80GB HBM3): 78G free of 79G").
std::unique_ptr<Buffer> allocateBuffer(MemKind kind, std::size_t bytes);

// Copies between host memory and memory of `kind` (memcpy for kHost; a blocking cudaMemcpy for kDevice).
void copyToMemory(MemKind kind, void* dst, const void* hostSrc, std::size_t bytes);
void copyFromMemory(MemKind kind, void* hostDst, const void* src, std::size_t bytes);

// The reducer for buffers of `kind`: CpuReducer or the CUDA reducer on the bound GPU.
std::unique_ptr<Reducer> makeReducer(MemKind kind);

// allReduceNames() plus the backend algorithms ("nccl"), for --algo's help and validation; "nccl" is listed
// even where it is not compiled in, so that asking for it gives makeAllReduceOn's clear message.
std::vector<std::string> allReduceNamesWithBackends();

// Throws the UsageError makeAllReduceOn gives for `name` on `kind` for reasons known without a GPU or a
// peer: an unknown name, "nccl" on host buffers, NCCL not compiled in, a host-only algorithm on device
// buffers. Lets a CLI refuse such flags before MPI starts.
void requireAlgorithmOn(MemKind kind, std::string_view name);

// The all-reduce `name` on buffers of `kind`:
//  - kHost: makeAllReduce(name, transport, reducer, options) ("ring", "mpi"); "nccl" is a UsageError.
//  - kDevice: "ring" = the staged ring (staged_ring.h) on the bound GPU; "nccl" = NCCL (MPI transport, one
//    GPU per rank: binds exclusively, collective); "mpi" is a UsageError (MPI_Allreduce takes host buffers).
// `reducer` is used for kHost only. UsageError for a backend that is not compiled in or has no GPU.
std::unique_ptr<AllReduce> makeAllReduceOn(MemKind kind, std::string_view name, Transport& transport,
                                           Reducer& reducer, const AllReduceOptions& options,
                                           Clock::duration timeout);

}  // namespace ccb
