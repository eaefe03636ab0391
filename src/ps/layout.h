// Who does what in a parameter-server run, and which bytes each server owns. Pure: no transport, no I/O.
//
// Layouts (BytePS, OSDI'20, names both):
//  - dedicated: ranks [0, M) are servers, ranks [M, N) are the K = N - M workers;
//  - co-located: every rank is a worker (K = N) and ranks [0, M) also serve one shard each. M = N is BytePS's
//    co-located layout; M = 1 is the central-storage layout (one rank holds every parameter).
//
// The parameter vector of S bytes is cut into partitions of P bytes (the last one may be shorter) and the
// partitions are assigned to servers in contiguous, near-equal blocks (the first servers get one partition
// more when they do not divide evenly), so each server's shard is one contiguous byte range.
#pragma once

#include <cstddef>
#include <vector>

#include "algo/schedule.h"

namespace ccb {

class PsLayout {
 public:
  // Throws UsageError (one line naming the flag) unless 1 <= servers and, dedicated, servers < ranks (at
  // least one worker), or, co-located, servers <= ranks.
  PsLayout(int ranks, int servers, bool colocated);

  int ranks() const { return ranks_; }
  int servers() const { return servers_; }
  int workers() const { return colocated_ ? ranks_ : ranks_ - servers_; }
  bool colocated() const { return colocated_; }

  // Rank of server m (0 <= m < servers()) and of worker w (0 <= w < workers()).
  int serverRank(int server) const;
  int workerRank(int worker) const;
  // Index of the server (or worker) role of `rank`, or -1 when the rank has no such role.
  int serverIndex(int rank) const;
  int workerIndex(int rank) const;

 private:
  int ranks_;
  int servers_;
  bool colocated_;
};

// One server's share of the vector: a contiguous byte range made of whole partitions.
struct Shard {
  ByteRange range;               // in the parameter vector
  std::vector<ByteRange> parts;  // its partitions, in order, each relative to the start of the shard
};

struct PartitionPlan {
  std::size_t vectorBytes = 0;
  std::size_t partitionBytes = 0;
  std::size_t partitions = 0;
  std::vector<Shard> shards;  // one per server; a shard may be empty when partitions < servers
};

// Splits `vectorBytes` into partitions of `partitionBytes` and assigns them to `servers` servers. Throws
// UsageError when the partition is 0, larger than the vector, or not a multiple of `elementBytes`, or when
// the vector is not a multiple of `elementBytes`; InvariantError when servers < 1 or elementBytes == 0.
PartitionPlan planPartitions(std::size_t vectorBytes, std::size_t partitionBytes, std::size_t elementBytes,
                             int servers);

// Bytes one synchronous step moves over the busiest rank's link in one direction (pushes in or replies out
// of a server, pushes out of or replies into a worker, counting traffic between a co-located worker and its
// own server as free). Divided by S it is the incast factor: max(1, K/M) for dedicated servers with even
// shards, 1 + (K - 2)/M for co-located ones (2(N-1)/N, all-reduce's, at M = N; K - 1 at M = 1).
std::size_t busiestLinkBytes(const PsLayout& layout, const PartitionPlan& plan);

}  // namespace ccb
