// DDP's bucket assignment against hand-worked examples, and its invariants on the presets.
#include <gtest/gtest.h>

#include "core/error.h"
#include "overlap/buckets.h"

namespace ccb {
namespace {

LayerProfile sizes(std::vector<std::uint64_t> bytes) {
  LayerProfile p{"test", {}};
  for (std::uint64_t b : bytes) p.layers.push_back(Layer{std::to_string(p.layers.size()), b, 0, 1.0});
  return p;
}

TEST(Buckets, HandWorkedSmallCaps) {
  // Backward order: l3 (400) fills the first bucket (cap 250) alone; l2 + l1 = 500 reach the cap 500;
  // l0 is left over in a last, smaller bucket. Offsets follow backward order.
  const auto b = assignBuckets(sizes({100, 200, 300, 400}), 250, 500);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], (BucketPlan{{3}, 0, 400}));
  EXPECT_EQ(b[1], (BucketPlan{{2, 1}, 400, 500}));
  EXPECT_EQ(b[2], (BucketPlan{{0}, 900, 100}));
}

TEST(Buckets, HandWorkedDdpDefaults) {
  // 512K + 512K reach the 1 MiB first bucket; 2M + 30M pass 25 MiB (a bucket may exceed its cap by its last
  // gradient); 10M is the tail.
  constexpr std::uint64_t kK = 1024, kM = kK * kK;
  const auto b = assignBuckets(sizes({10 * kM, 30 * kM, 2 * kM, 512 * kK, 512 * kK}), kDdpFirstBucketBytes,
                               kDdpBucketBytes);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0], (BucketPlan{{4, 3}, 0, kM}));
  EXPECT_EQ(b[1], (BucketPlan{{2, 1}, kM, 32 * kM}));
  EXPECT_EQ(b[2], (BucketPlan{{0}, 33 * kM, 10 * kM}));
}

TEST(Buckets, FirstBucketCapOnlyAppliesOnce) {
  // Caps 4 then 10: [4] [4 4 4] [4 4] -- the second bucket needs 10 bytes, so three layers.
  const auto b = assignBuckets(sizes({4, 4, 4, 4, 4, 4}), 4, 10);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].layers, (std::vector<int>{5}));
  EXPECT_EQ(b[1].layers, (std::vector<int>{4, 3, 2}));
  EXPECT_EQ(b[2].layers, (std::vector<int>{1, 0}));
}

TEST(Buckets, EmptyLayersJoinNoBucket) {
  const auto b = assignBuckets(sizes({0, 8, 0, 8}), 8, 8);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0], (BucketPlan{{3}, 0, 8}));
  EXPECT_EQ(b[1], (BucketPlan{{1}, 8, 8}));
  EXPECT_EQ(bucketCompletedByLayer(b, 4), (std::vector<int>{-1, 1, -1, 0}));
}

TEST(Buckets, OneBucketWhenCapsAreHuge) {
  const auto b = assignBuckets(sizes({4, 8, 12}), 1ull << 40, 1ull << 40);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0], (BucketPlan{{2, 1, 0}, 0, 24}));
}

TEST(Buckets, ZeroCapIsRefused) {
  EXPECT_THROW(assignBuckets(sizes({4}), 0, 8), UsageError);
  try {
    assignBuckets(sizes({4}), 8, 0);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--bucket must be at least 1 byte, got 0");
  }
}

// Every non-empty layer lands in exactly one bucket, in backward order, and the buckets tile the buffer.
void expectPartition(const LayerProfile& p, const std::vector<BucketPlan>& buckets) {
  std::vector<int> seen(p.layers.size(), 0);
  std::uint64_t offset = 0;
  int previous = static_cast<int>(p.layers.size());
  for (const BucketPlan& b : buckets) {
    EXPECT_EQ(b.offsetBytes, offset);
    std::uint64_t bytes = 0;
    for (int l : b.layers) {
      EXPECT_LT(l, previous);
      previous = l;
      ++seen[static_cast<std::size_t>(l)];
      bytes += p.layers[static_cast<std::size_t>(l)].gradientBytes;
    }
    EXPECT_EQ(b.bytes, bytes);
    offset += bytes;
  }
  EXPECT_EQ(offset, p.totalBytes());
  for (std::size_t i = 0; i < p.layers.size(); ++i) EXPECT_EQ(seen[i], p.layers[i].gradientBytes > 0 ? 1 : 0) << i;
}

TEST(Buckets, PresetsArePartitioned) {
  for (const std::string& name : presetNames()) {
    const LayerProfile p = presetProfile(name);
    const auto b = assignBuckets(p, kDdpFirstBucketBytes, kDdpBucketBytes);
    expectPartition(p, b);
    // All but the last bucket reach their caps.
    for (std::size_t j = 0; j + 1 < b.size(); ++j) EXPECT_GE(b[j].bytes, j == 0 ? kDdpFirstBucketBytes : kDdpBucketBytes);
  }
}

TEST(Buckets, ResNet50DefaultBuckets) {
  // 97.5 MiB of gradients: the 1 MiB first bucket (the classifier, 8 MB, fills it alone), then 25 MiB ones.
  const LayerProfile p = presetProfile("resnet50");
  const auto b = assignBuckets(p, kDdpFirstBucketBytes, kDdpBucketBytes);
  ASSERT_GE(b.size(), 4u);
  EXPECT_EQ(b[0].layers, (std::vector<int>{static_cast<int>(p.layers.size()) - 1}));
  EXPECT_EQ(b[0].bytes, (2048ull * 1000 + 1000) * 4);
}

}  // namespace
}  // namespace ccb
