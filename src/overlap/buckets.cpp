// DDP's bucket assignment; see buckets.h.
#include "overlap/buckets.h"

#include "core/error.h"

namespace ccb {

std::vector<BucketPlan> assignBuckets(const LayerProfile& profile, std::uint64_t firstBucketBytes,
                                      std::uint64_t bucketBytes) {
  if (firstBucketBytes == 0) throw UsageError("--first-bucket must be at least 1 byte, got 0");
  if (bucketBytes == 0) throw UsageError("--bucket must be at least 1 byte, got 0");
  std::vector<BucketPlan> buckets;
  BucketPlan open;
  std::uint64_t offset = 0;
  // Backward produces the last layer's gradient first.
  for (int i = static_cast<int>(profile.layers.size()) - 1; i >= 0; --i) {
    const std::uint64_t bytes = profile.layers[static_cast<std::size_t>(i)].gradientBytes;
    if (bytes == 0) continue;
    if (open.layers.empty()) open.offsetBytes = offset;
    open.layers.push_back(i);
    open.bytes += bytes;
    offset += bytes;
    const std::uint64_t cap = buckets.empty() ? firstBucketBytes : bucketBytes;
    if (open.bytes >= cap) {
      buckets.push_back(open);
      open = BucketPlan{};
    }
  }
  if (!open.layers.empty()) buckets.push_back(open);
  return buckets;
}

std::vector<int> bucketCompletedByLayer(const std::vector<BucketPlan>& buckets, std::size_t layers) {
  std::vector<int> completes(layers, -1);
  for (std::size_t j = 0; j < buckets.size(); ++j) {
    const int last = buckets[j].layers.back();
    CCB_CHECK_LT(static_cast<std::size_t>(last), layers);
    completes[static_cast<std::size_t>(last)] = static_cast<int>(j);
  }
  return completes;
}

}  // namespace ccb
