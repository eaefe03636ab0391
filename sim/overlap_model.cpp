#include "sim/overlap_model.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace ccb::sim {
namespace {

// The recurrence itself: buckets (bytes and ready time set) are reduced one at a time in order,
// e_j = max(ready_j, e_{j-1}) + C_j. Returns the sum of the C_j.
double reduceInOrder(std::vector<Bucket>& buckets, const BucketCommUs& commUs) {
  double previousEnd = 0;
  double total = 0;
  for (std::size_t j = 0; j < buckets.size(); ++j) {
    Bucket& b = buckets[j];
    const double c = commUs(j, b.bytes);
    if (!(c >= 0) || !std::isfinite(c)) throw UsageError("overlap: bucket " + std::to_string(j) + " has no valid all-reduce time");
    b.startUs = std::max(b.readyUs, previousEnd);
    b.endUs = b.startUs + c;
    previousEnd = b.endUs;
    total += c;
  }
  return total;
}

void checkTiming(const LayerProfile& profile, const PassTiming& timing) {
  if (profile.layers.empty()) throw UsageError("overlap: the layer profile is empty");
  if (!(timing.forwardUs >= 0) || !std::isfinite(timing.forwardUs)) throw UsageError("overlap: forward time must be >= 0");
  if (!(timing.computeSlowdown > 0) || !std::isfinite(timing.computeSlowdown)) {
    throw UsageError("overlap: the compute slowdown must be > 0");
  }
  for (const Layer& l : profile.layers) {
    if (!(l.backwardUs >= 0) || !std::isfinite(l.backwardUs)) {
      throw UsageError("overlap: layer '" + l.name + "' has no valid backward time");
    }
  }
}

}  // namespace

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
    if (open.bytes >= cap) {
      r.buckets.push_back(open);
      open = Bucket{};
    }
  }
  if (open.bytes > 0) r.buckets.push_back(open);
  r.commUs = reduceInOrder(r.buckets, [&](std::size_t, double bytes) { return allReduceUs(bytes); });
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

ProfilePassResult bucketedPass(const LayerProfile& profile, const std::vector<BucketPlan>& plan,
                               const PassTiming& timing, const BucketCommUs& commUs) {
  checkTiming(profile, timing);
  const std::size_t layers = profile.layers.size();
  for (const BucketPlan& b : plan) {
    if (b.layers.empty()) throw UsageError("overlap: a bucket of the plan holds no layer");
    for (int layer : b.layers) {
      if (layer < 0 || static_cast<std::size_t>(layer) >= layers) {
        throw UsageError("overlap: a bucket names layer " + std::to_string(layer) + " of a " + std::to_string(layers) +
                         "-layer profile");
      }
    }
  }
  // The layer whose backward completes each bucket, as the benchmark's loop sees it (src/overlap).
  const std::vector<int> completes = bucketCompletedByLayer(plan, layers);
  ProfilePassResult r;
  r.buckets.resize(plan.size());
  double clockUs = timing.forwardUs;
  double backwardUs = 0;
  for (std::size_t i = layers; i-- > 0;) {
    backwardUs += profile.layers[i].backwardUs;
    clockUs += profile.layers[i].backwardUs * timing.computeSlowdown;
    if (completes[i] >= 0) r.buckets[static_cast<std::size_t>(completes[i])].readyUs = clockUs;
  }
  for (std::size_t j = 0; j < plan.size(); ++j) r.buckets[j].bytes = static_cast<double>(plan[j].bytes);
  r.commUs = reduceInOrder(r.buckets, commUs);
  const double lastEnd = r.buckets.empty() ? 0 : r.buckets.back().endUs;
  r.computeUs = clockUs;
  r.computeAloneUs = timing.forwardUs + backwardUs;
  r.stepUs = std::max(clockUs, lastEnd);
  r.exposedUs = r.stepUs - r.computeUs;
  r.lowerBoundUs = std::max(r.computeAloneUs, r.commUs);
  return r;
}

ProfilePassResult noOverlapPass(const LayerProfile& profile, const PassTiming& timing, const BucketCommUs& commUs) {
  checkTiming(profile, timing);
  ProfilePassResult r;
  r.computeAloneUs = timing.forwardUs + profile.backwardUs();
  r.computeUs = r.computeAloneUs;
  Bucket all;
  all.bytes = static_cast<double>(profile.totalBytes());
  all.readyUs = r.computeUs;
  r.buckets.push_back(all);
  r.commUs = reduceInOrder(r.buckets, commUs);
  r.stepUs = r.buckets.back().endUs;
  r.exposedUs = r.stepUs - r.computeUs;
  r.lowerBoundUs = std::max(r.computeAloneUs, r.commUs);
  return r;
}

}  // namespace ccb::sim
