// Overlap of gradient all-reduce with the backward pass, DDP style (DESIGN.md, "Models"): gradients are
// packed into buckets in the order backward produces them (the first bucket capped at firstBucketBytes,
// 1 MiB in PyTorch; the others at bucketBytes, 25 MiB); bucket j can start when its last gradient is ready
// and the previous bucket's all-reduce is done:
//   e_j = max(ready_j, e_{j-1}) + C_j
// so the step ends at forward + max(backward, e_last). max(T_comp, T_comm) is only a lower bound. Pure.
#pragma once

#include <functional>
#include <vector>

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

}  // namespace ccb::sim
