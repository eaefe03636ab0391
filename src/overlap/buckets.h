// DDP's gradient buckets: which layers go in which bucket, in which order, where each bucket lies in the
// flat gradient buffer. Pure.
#pragma once

#include <cstdint>
#include <vector>

#include "overlap/profile.h"

namespace ccb {

inline constexpr std::uint64_t kDdpBucketBytes = 25ull << 20;      // PyTorch's bucket_cap_mb = 25
inline constexpr std::uint64_t kDdpFirstBucketBytes = 1ull << 20;  // and its first bucket, 1 MiB

struct BucketPlan {
  std::vector<int> layers;       // forward indices, in the order backward produces them (descending)
  std::uint64_t offsetBytes = 0;  // in the flat gradient buffer, which holds gradients in backward order
  std::uint64_t bytes = 0;
  bool operator==(const BucketPlan&) const = default;
};

// DDP's assignment (PyTorch, reducer.cpp, compute_bucket_assignment_by_size, with the parameters in
// reverse order): walk the layers last to first, append each non-empty gradient to the open bucket and
// close the bucket once it holds at least its cap: firstBucketBytes for the first bucket, bucketBytes
// after. The last bucket may be smaller than its cap; a gradient larger than the cap fills a bucket on its
// own (or with what was already open). Layers without gradient bytes join no bucket. Buckets are
// contiguous in the flat buffer, in order. Throws UsageError when a cap is 0.
std::vector<BucketPlan> assignBuckets(const LayerProfile& profile, std::uint64_t firstBucketBytes,
                                      std::uint64_t bucketBytes);

// For each layer (forward index), the bucket whose gradients become complete when that layer's backward
// ends, or -1: bucket j's entry is at its last layer (the smallest forward index it holds).
std::vector<int> bucketCompletedByLayer(const std::vector<BucketPlan>& buckets, std::size_t layers);

}  // namespace ccb
