// Overlap of gradient all-reduce with the backward pass, DDP style (DESIGN.md, "Models"): gradients are
// packed into buckets in the order backward produces them (the first bucket capped at firstBucketBytes,
// 1 MiB in PyTorch; the others at bucketBytes, 25 MiB); bucket j can start when its last gradient is ready
// and the previous bucket's all-reduce is done:
//   e_j = max(ready_j, e_{j-1}) + C_j
// so the step ends at forward + max(backward, e_last). max(T_comp, T_comm) is only a lower bound. Pure.
#pragma once

#include <functional>
#include <vector>

#include "overlap/buckets.h"
#include "overlap/profile.h"

namespace ccb::sim {

struct OverlapConfig {
  // Per layer, in the order backward produces them (last layer first): gradient bytes and backward time.
  std::vector<double> gradientBytes;
  std::vector<double> backwardUs;
  double forwardUs = 0;
  double bucketBytes = 25.0 * (1 << 20);
  double firstBucketBytes = 1.0 * (1 << 20);
};

struct Bucket {
  double bytes = 0;
  double readyUs = 0;  // since the start of backward
  double startUs = 0;
  double endUs = 0;
};

struct OverlapResult {
  std::vector<Bucket> buckets;
  double stepUs = 0;        // forward + max(backward, last bucket's end)
  double computeUs = 0;     // forward + backward
  double commUs = 0;        // sum of the buckets' all-reduce times
  double lowerBoundUs = 0;  // max(computeUs, commUs)
  double noOverlapUs = 0;   // compute, then one all-reduce of every gradient
};

// `allReduceUs(bytes)` is the time of one all-reduce of that many bytes (a closed form or a replay).
// Throws UsageError for empty or mismatched layer lists, negative sizes or times, or bucket caps <= 0.
OverlapResult overlapStep(const OverlapConfig& config, const std::function<double(double bytes)>& allReduceUs);

// `layers` equal layers holding `totalBytes` of gradients and `backwardUs` of backward time in all.
OverlapConfig uniformLayers(int layers, double totalBytes, double forwardUs, double backwardUs);

// ---- the configuration `ccbench overlap` runs (src/overlap) ----
//
// One iteration: `forwardUs` of forward compute, then backward layer by layer, last layer first, each layer
// taking its backwardUs x computeSlowdown (compute shares the core with the communication in flight: the
// factor ccbench reports as effective_slowdown). Bucket j (src/overlap's assignBuckets plan) is ready when
// the backward of its last layer (smallest forward index) ends; buckets are reduced one at a time in order,
// e_j = max(ready_j, e_{j-1}) + C_j. Bucket times here are since the iteration's start (forward included),
// as ccbench measures them.
struct PassTiming {
  double forwardUs = 0;        // >= 0
  double computeSlowdown = 1;  // > 0; 1 = backward runs as fast as compute alone
};

// C_j: the all-reduce time of bucket `bucket` of `bytes` (a closed form, or a measured time by index).
using BucketCommUs = std::function<double(std::size_t bucket, double bytes)>;

struct ProfilePassResult {
  std::vector<Bucket> buckets;  // ready/start/end since the iteration's start
  double stepUs = 0;            // max(end of backward, last bucket's end)
  double computeUs = 0;         // forward + slowed backward
  double computeAloneUs = 0;    // forward + backward at factor 1
  double commUs = 0;            // sum of C_j
  double exposedUs = 0;         // stepUs - computeUs (ccbench: iteration - time inside compute)
  double lowerBoundUs = 0;      // max(computeAloneUs, commUs)
};

// DDP's bucketed iteration over `profile` (backward times set) and its plan `buckets` (assignBuckets).
// Throws UsageError for an empty profile, a plan naming a layer the profile lacks, a layer time that is
// unset or negative, a slowdown <= 0 or a forward time < 0.
ProfilePassResult bucketedPass(const LayerProfile& profile, const std::vector<BucketPlan>& buckets,
                               const PassTiming& timing, const BucketCommUs& commUs);

// The no-overlap iteration: forward + backward (the slowdown is ignored: nothing is in flight while it
// computes), then one all-reduce of every gradient, which is its one "bucket".
ProfilePassResult noOverlapPass(const LayerProfile& profile, const PassTiming& timing, const BucketCommUs& commUs);

}  // namespace ccb::sim
