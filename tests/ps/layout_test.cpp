// Layouts, partition plans and the incast factor.
#include "ps/layout.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace ccb {
namespace {

TEST(PsLayout, DedicatedServersComeFirst) {
  const PsLayout layout(5, 2, false);
  EXPECT_EQ(layout.workers(), 3);
  EXPECT_EQ(layout.serverRank(1), 1);
  EXPECT_EQ(layout.workerRank(0), 2);
  EXPECT_EQ(layout.workerRank(2), 4);
  EXPECT_EQ(layout.serverIndex(1), 1);
  EXPECT_EQ(layout.serverIndex(2), -1);
  EXPECT_EQ(layout.workerIndex(1), -1);
  EXPECT_EQ(layout.workerIndex(4), 2);
}

TEST(PsLayout, ColocatedRanksAreAllWorkers) {
  const PsLayout layout(4, 1, true);
  EXPECT_EQ(layout.workers(), 4);
  EXPECT_EQ(layout.workerRank(0), 0);
  EXPECT_EQ(layout.serverIndex(0), 0);
  EXPECT_EQ(layout.serverIndex(1), -1);
  EXPECT_EQ(layout.workerIndex(3), 3);
  EXPECT_NO_THROW(PsLayout(4, 4, true));
}

TEST(PsLayout, RejectsLayoutsWithoutWorkersOrServers) {
  EXPECT_THROW(PsLayout(3, 3, false), UsageError);
  EXPECT_THROW(PsLayout(3, 4, false), UsageError);
  EXPECT_THROW(PsLayout(3, 0, false), UsageError);
  EXPECT_THROW(PsLayout(3, 4, true), UsageError);
  try {
    PsLayout(2, 2, false);
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--servers 2"), std::string::npos) << e.what();
  }
}

TEST(PartitionPlan, SplitsIntoPartitionsAndContiguousShards) {
  // 10 KiB of float32 in 4 KiB partitions: 4K, 4K, 2K; two servers get 2 and 1 partitions.
  const PartitionPlan plan = planPartitions(10240, 4096, 4, 2);
  EXPECT_EQ(plan.partitions, 3u);
  ASSERT_EQ(plan.shards.size(), 2u);
  EXPECT_EQ(plan.shards[0].range, (ByteRange{0, 8192}));
  ASSERT_EQ(plan.shards[0].parts.size(), 2u);
  EXPECT_EQ(plan.shards[0].parts[1], (ByteRange{4096, 4096}));
  EXPECT_EQ(plan.shards[1].range, (ByteRange{8192, 2048}));
  ASSERT_EQ(plan.shards[1].parts.size(), 1u);
  EXPECT_EQ(plan.shards[1].parts[0], (ByteRange{0, 2048}));
}

TEST(PartitionPlan, ShardsCoverTheVectorExactlyOnce) {
  for (std::size_t bytes : {4u, 12u, 1000u, 4096u, 65536u + 8u}) {
    for (std::size_t partition : {4u, 8u, 1000u}) {
      if (partition > bytes || partition % 4 != 0 || bytes % 4 != 0) continue;
      for (int servers = 1; servers <= 5; ++servers) {
        const PartitionPlan plan = planPartitions(bytes, partition, 4, servers);
        std::size_t next = 0;
        std::size_t partitions = 0;
        std::size_t fewest = plan.partitions, most = 0;
        for (const Shard& shard : plan.shards) {
          EXPECT_EQ(shard.range.offset, next);
          std::size_t inShard = 0;
          for (const ByteRange& part : shard.parts) {
            EXPECT_EQ(part.offset, inShard);
            EXPECT_LE(part.bytes, partition);
            EXPECT_GT(part.bytes, 0u);
            inShard += part.bytes;
          }
          EXPECT_EQ(inShard, shard.range.bytes);
          next += shard.range.bytes;
          partitions += shard.parts.size();
          fewest = std::min(fewest, shard.parts.size());
          most = std::max(most, shard.parts.size());
        }
        EXPECT_EQ(next, bytes);
        EXPECT_EQ(partitions, plan.partitions);
        EXPECT_LE(most - fewest, 1u) << "assignment must be even";
      }
    }
  }
}

TEST(PartitionPlan, RejectsBadPartitions) {
  EXPECT_THROW(planPartitions(4096, 8192, 4, 1), UsageError);  // larger than the vector
  EXPECT_THROW(planPartitions(4096, 6, 4, 1), UsageError);     // not whole elements
  EXPECT_THROW(planPartitions(4096, 0, 4, 1), UsageError);
  EXPECT_THROW(planPartitions(4094, 4, 4, 1), UsageError);  // vector not whole elements
  EXPECT_NO_THROW(planPartitions(4096, 4096, 4, 1));
  EXPECT_NO_THROW(planPartitions(8, 8, 8, 3));  // more servers than partitions: empty shards
}

TEST(PartitionPlan, MoreServersThanPartitionsLeavesEmptyShards) {
  const PartitionPlan plan = planPartitions(8, 8, 4, 3);
  EXPECT_EQ(plan.shards[0].range.bytes, 8u);
  EXPECT_EQ(plan.shards[1].range.bytes, 0u);
  EXPECT_TRUE(plan.shards[2].parts.empty());
}

TEST(BusiestLink, IncastFactorOfTheLayouts) {
  const std::size_t bytes = 1 << 20;
  // Dedicated, one server, K workers: the server's link carries K * S each way.
  for (int workers = 1; workers <= 4; ++workers) {
    const PsLayout layout(workers + 1, 1, false);
    EXPECT_EQ(busiestLinkBytes(layout, planPartitions(bytes, 4096, 4, 1)),
              bytes * static_cast<std::size_t>(workers));
  }
  // Two dedicated servers and four workers: 2 S on each server's link.
  EXPECT_EQ(busiestLinkBytes(PsLayout(6, 2, false), planPartitions(bytes, 4096, 4, 2)), 2 * bytes);
  // Co-located central storage (M = 1): (K - 1) S through rank 0.
  EXPECT_EQ(busiestLinkBytes(PsLayout(4, 1, true), planPartitions(bytes, 4096, 4, 1)), 3 * bytes);
  // Co-located M = N: 2 (N - 1) / N S, all-reduce's volume.
  EXPECT_EQ(busiestLinkBytes(PsLayout(4, 4, true), planPartitions(bytes, 4096, 4, 4)), bytes / 4 * 6);
}

}  // namespace
}  // namespace ccb
