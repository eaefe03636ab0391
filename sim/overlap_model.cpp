#include "sim/overlap_model.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace ccb::sim {

OverlapResult overlapStep(const OverlapConfig& c, const std::function<double(double bytes)>& allReduceUs) {
  if (c.gradientBytes.empty() || c.gradientBytes.size() != c.backwardUs.size()) {
    throw UsageError("overlap: need one gradient size and one backward time per layer");
  }
  if (!(c.bucketBytes > 0) || !(c.firstBucketBytes > 0)) throw UsageError("overlap: bucket sizes must be > 0");
  if (c.forwardUs < 0) throw UsageError("overlap: forward time must be >= 0");
  OverlapResult r;
  double clockUs = 0;  // backward progress
  double totalBytes = 0;
  Bucket open;
  auto close = [&] {
    const double previousEnd = r.buckets.empty() ? 0 : r.buckets.back().endUs;
    open.startUs = std::max(open.readyUs, previousEnd);
    const double commUs = allReduceUs(open.bytes);
    open.endUs = open.startUs + commUs;
    r.commUs += commUs;
    r.buckets.push_back(open);
    open = Bucket{};
  };
  for (std::size_t i = 0; i < c.gradientBytes.size(); ++i) {
    if (c.gradientBytes[i] < 0 || c.backwardUs[i] < 0 || !std::isfinite(c.gradientBytes[i]) ||
        !std::isfinite(c.backwardUs[i])) {
      throw UsageError("overlap: layer sizes and times must be >= 0");
    }
    clockUs += c.backwardUs[i];
    totalBytes += c.gradientBytes[i];
    open.bytes += c.gradientBytes[i];
    open.readyUs = clockUs;
    // Like DDP's bucket assignment: a bucket closes once it reaches its cap.
    const double cap = r.buckets.empty() ? c.firstBucketBytes : c.bucketBytes;
    if (open.bytes >= cap) close();
  }
  if (open.bytes > 0) close();
  const double lastEnd = r.buckets.empty() ? 0 : r.buckets.back().endUs;
  r.computeUs = c.forwardUs + clockUs;
  r.stepUs = c.forwardUs + std::max(clockUs, lastEnd);
  r.lowerBoundUs = std::max(r.computeUs, r.commUs);
  r.noOverlapUs = r.computeUs + allReduceUs(totalBytes);
  return r;
}

OverlapConfig uniformLayers(int layers, double totalBytes, double forwardUs, double backwardUs) {
  if (layers < 1) throw UsageError("overlap: layers must be >= 1, got " + std::to_string(layers));
  OverlapConfig c;
  c.forwardUs = forwardUs;
  c.gradientBytes.assign(static_cast<std::size_t>(layers), totalBytes / layers);
  c.backwardUs.assign(static_cast<std::size_t>(layers), backwardUs / layers);
  return c;
}

}  // namespace ccb::sim
