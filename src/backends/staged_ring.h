// Ring all-reduce on buffers a transport cannot touch (GPU memory): the ring schedule and its execution plan
// (algo/ring_schedule.h, algo/executor.h), run through page-locked host slots by a StagingPipeline
// (staging_pipeline.h). The memory-specific work is behind StagingDevice, so the executor is plain C++: the
// CUDA implementation is CudaStagingDevice; the tests use a fake over host memory.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <utility>

#include "algo/allreduce.h"
#include "algo/executor.h"
#include "comm/transport.h"
#include "reduce/reducer.h"

namespace ccb {

// One received segment to fold into the output: scratch <- host, then output = op(input, scratch), then
// (finalizeRanks > 0) finalize(output, finalizeRanks). output may equal input.
struct ReduceLanding {
  std::byte* output = nullptr;
  const std::byte* input = nullptr;
  const std::byte* host = nullptr;
  std::byte* scratch = nullptr;
  std::size_t count = 0;
  DType dtype = DType::kFloat32;
  ReduceOp op = ReduceOp::kSum;
  int finalizeRanks = 0;
};

// The memory the staged ring's buffers live in. Each operation starts asynchronously and returns a Request
// that completes once its result is in place (host slot readable, device bytes written) and its sources may
// be reused. Operations may complete in any order.
class StagingDevice {
 public:
  virtual ~StagingDevice() = default;

  // Host memory the transport sends from and receives into (page-locked for CUDA), at least `bytes` long,
  // owned by the device and reused across runs. The span stays valid until the next call.
  virtual std::span<std::byte> hostSlots(std::size_t bytes) = 0;
  // Device memory for received segments before they are reduced, at least `bytes`; same ownership.
  virtual std::span<std::byte> deviceScratch(std::size_t bytes) = 0;

  // host[0, bytes) <- device[0, bytes).
  virtual Request copyToHost(std::byte* host, const std::byte* device, std::size_t bytes) = 0;
  // device[0, bytes) <- host[0, bytes).
  virtual Request copyFromHost(std::byte* device, const std::byte* host, std::size_t bytes) = 0;
  virtual Request reduceFromHost(const ReduceLanding& landing) = 0;

  // Synchronous copy and finalize in device memory, for the ranges no step touches (one rank alone).
  virtual Reducer& reducer() = 0;
};

// The ring all-reduce "ring" on device buffers: same schedule, segments and dependencies as the host ring,
// with every segment staged through `device`'s host slots (options.maxInFlight slots per direction of
// options.segmentBytes each). `transport` and `device` must outlive it.
class StagedRingAllReduce final : public AllReduce {
 public:
  // Throws UsageError for segmentBytes == 0 or maxInFlight < 1.
  StagedRingAllReduce(Transport& transport, StagingDevice& device, const AllReduceOptions& options);
  // The same, owning `device`.
  StagedRingAllReduce(Transport& transport, std::unique_ptr<StagingDevice> device,
                      const AllReduceOptions& options);

  std::string name() const override { return "ring"; }
  // args.input / args.output are device pointers. Throws UsageError for bad arguments (checkAllReduceArgs),
  // TimeoutError naming `what` when the run misses `deadline`.
  void run(const AllReduceArgs& args, Clock::time_point deadline, const std::string& what) override;

 private:
  const ExecutionPlan& planFor(std::size_t count, DType dtype);

  Transport& transport_;
  StagingDevice& device_;
  std::unique_ptr<StagingDevice> owned_;  // null when the caller owns the device
  AllReduceOptions options_;
  std::map<std::pair<std::size_t, DType>, ExecutionPlan> plans_;  // a sweep repeats each size many times
};

}  // namespace ccb
