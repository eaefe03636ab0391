#include "ps/layout.h"

#include <algorithm>
#include <string>

#include "core/error.h"

namespace ccb {

PsLayout::PsLayout(int ranks, int servers, bool colocated)
    : ranks_(ranks), servers_(servers), colocated_(colocated) {
  CCB_CHECK_LE(1, ranks);
  if (servers < 1) throw UsageError("--servers must be at least 1, got " + std::to_string(servers));
  if (colocated && servers > ranks) {
    throw UsageError("--servers " + std::to_string(servers) +
                     " with --colocated needs at least as many ranks, got " + std::to_string(ranks));
  }
  if (!colocated && servers >= ranks) {
    throw UsageError("--servers " + std::to_string(servers) + " leaves no worker among " +
                     std::to_string(ranks) + " ranks (need servers < ranks, or --colocated)");
  }
}

int PsLayout::serverRank(int server) const {
  CCB_CHECK_LE(0, server);
  CCB_CHECK_LT(server, servers_);
  return server;
}

int PsLayout::workerRank(int worker) const {
  CCB_CHECK_LE(0, worker);
  CCB_CHECK_LT(worker, workers());
  return colocated_ ? worker : servers_ + worker;
}

int PsLayout::serverIndex(int rank) const { return rank >= 0 && rank < servers_ ? rank : -1; }

int PsLayout::workerIndex(int rank) const {
  if (rank < 0 || rank >= ranks_) return -1;
  if (colocated_) return rank;
  return rank >= servers_ ? rank - servers_ : -1;
}

PartitionPlan planPartitions(std::size_t vectorBytes, std::size_t partitionBytes, std::size_t elementBytes,
                             int servers) {
  CCB_CHECK_LE(1, servers);
  CCB_CHECK_LT(std::size_t{0}, elementBytes);
  const std::string element = std::to_string(elementBytes) + "-byte elements";
  if (vectorBytes % elementBytes != 0) {
    throw UsageError("parameter vector of " + std::to_string(vectorBytes) +
                     " bytes is not a whole number of " + element);
  }
  if (partitionBytes == 0) throw UsageError("--partition must be at least one element, got 0 bytes");
  if (partitionBytes % elementBytes != 0) {
    throw UsageError("--partition " + std::to_string(partitionBytes) + " is not a multiple of the " +
                     element);
  }
  if (partitionBytes > vectorBytes) {
    throw UsageError("--partition " + std::to_string(partitionBytes) +
                     " is larger than the parameter vector of " + std::to_string(vectorBytes) + " bytes");
  }
  PartitionPlan plan;
  plan.vectorBytes = vectorBytes;
  plan.partitionBytes = partitionBytes;
  plan.partitions = (vectorBytes + partitionBytes - 1) / partitionBytes;
  // Contiguous blocks of partitions per server, sized by the one split function of the suite.
  for (int server = 0; server < servers; ++server) {
    const ElementRange block = partition(plan.partitions, servers, server);
    Shard shard;
    shard.range.offset = std::min(block.first * partitionBytes, vectorBytes);
    const std::size_t end = std::min((block.first + block.count) * partitionBytes, vectorBytes);
    shard.range.bytes = end - shard.range.offset;
    for (std::size_t offset = 0; offset < shard.range.bytes; offset += partitionBytes) {
      shard.parts.push_back({offset, std::min(partitionBytes, shard.range.bytes - offset)});
    }
    plan.shards.push_back(std::move(shard));
  }
  return plan;
}

std::size_t busiestLinkBytes(const PsLayout& layout, const PartitionPlan& plan) {
  CCB_CHECK_EQ(plan.shards.size(), static_cast<std::size_t>(layout.servers()));
  std::size_t busiest = 0;
  // Per step every worker pushes each shard to its server and pulls it back: traffic is the same both
  // ways, so one count per rank is enough.
  for (int rank = 0; rank < layout.ranks(); ++rank) {
    std::size_t bytes = 0;
    const int server = layout.serverIndex(rank);
    if (server >= 0) {
      const bool ownWorker = layout.workerIndex(rank) >= 0;
      bytes += plan.shards[static_cast<std::size_t>(server)].range.bytes *
               static_cast<std::size_t>(layout.workers() - (ownWorker ? 1 : 0));
    }
    if (layout.workerIndex(rank) >= 0) {
      bytes +=
          plan.vectorBytes - (server >= 0 ? plan.shards[static_cast<std::size_t>(server)].range.bytes : 0);
    }
    busiest = std::max(busiest, bytes);
  }
  return busiest;
}

}  // namespace ccb
