// One emulated training iteration: forward compute, then backward layer by layer (last layer first) with
// DDP's bucketed all-reduce overlapping it, or (no overlap) all compute followed by one all-reduce of every
// gradient. Compute is real work (ComputeKernel); between compute slices the loop progresses the bucket in
// flight and starts the next ready one (async_allreduce.h says why single-threaded).
#pragma once

#include <string>
#include <vector>

#include "comm/transport.h"
#include "overlap/async_allreduce.h"
#include "overlap/buckets.h"
#include "overlap/compute_kernel.h"
#include "overlap/profile.h"

namespace ccb {

enum class OverlapMode { kNoOverlap, kBucketed, kComputeOnly };
// "no_overlap", "ddp", "compute_only".
std::string overlapModeName(OverlapMode mode);

struct PassSettings {
  double unitsPerUs = 0;  // calibrated ComputeKernel rate
  double sliceUs = 50;    // compute between two progress calls
  double forwardUs = 0;   // forward compute before backward (no communication)
  Clock::duration timeout = std::chrono::seconds(60);
};

// Times of one iteration on one rank, in microseconds since its start.
struct IterationTiming {
  double totalUs = 0;
  double computeUs = 0;   // time inside compute slices (forward + backward)
  double progressUs = 0;  // time in start/test calls made between compute slices
  double commUs = 0;      // sum over buckets of finish - start
  double exposedUs = 0;   // totalUs - computeUs: the part of the iteration not covered by compute
  // Per bucket (no overlap: one entry for the single all-reduce; compute only: none).
  std::vector<double> readyUs, startUs, finishUs;
};

class BackwardPass {
 public:
  // The profile must be valid (validateProfile) and `buckets` its assignment. The objects must outlive the pass.
  BackwardPass(const LayerProfile& profile, const std::vector<BucketPlan>& buckets, AsyncAllReduce& comm,
               ComputeKernel& kernel, const PassSettings& settings);

  // One iteration over `gradients` (float32, profile.totalBytes() bytes, laid out in backward order), reduced
  // in place with sum. Throws TimeoutError naming `what` when the communication misses the timeout.
  IterationTiming run(void* gradients, OverlapMode mode, const std::string& what);

  // The all-reduce of bucket j alone (no compute), start to finish, in microseconds.
  double reduceBucketAloneUs(void* gradients, std::size_t bucket, const std::string& what);

  std::uint64_t totalBytes() const { return totalBytes_; }

 private:
  class Run;
  const LayerProfile& profile_;
  const std::vector<BucketPlan>& buckets_;
  AsyncAllReduce& comm_;
  ComputeKernel& kernel_;
  PassSettings settings_;
  std::vector<int> completes_;  // per layer: the bucket its backward completes, or -1
  std::uint64_t totalBytes_ = 0;
};

}  // namespace ccb
