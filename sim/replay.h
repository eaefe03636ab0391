// Schedule replay: runs every rank's step list (src/algo's Schedule) as a discrete-event simulation over the
// LinkModel, with links shared max-min fairly between the messages streaming over them at the same time.
//
// Semantics, chosen to match how the executors run a schedule:
//  * A rank runs its steps in order; step s+1 starts when step s's send has been delivered and its receive
//    has arrived and been reduced.
//  * A message starts when both ends have reached the step that posts it (rendezvous); it then waits its
//    route's latency, then streams its bytes at its fair share of every link on its route; the share is
//    recomputed whenever a message starts or finishes streaming on a connected link.
//  * A reducing receive costs bytes * gamma * the receiver's compute factor after the bytes have arrived.
// On a homogeneous cluster this reproduces the closed forms exactly when the chunks divide evenly (tested to
// 1e-9); on heterogeneous clusters (a slow link, a slow rank, a ring of hosts) replay is the reference.
#pragma once

#include <cstddef>
#include <vector>

#include "sim/cluster.h"
#include "sim/schedules.h"

namespace ccb::sim {

struct ReplayResult {
  double timeUs = 0;                 // when the last rank finished its last step
  std::vector<double> rankFinishUs;  // per rank
  std::size_t messages = 0;          // messages replayed
};

// Throws InvariantError when the schedules do not match up (a send without its receive, sizes that differ,
// a deadlock), naming the rank and step; UsageError when schedules.size() != cluster.ranks.
ReplayResult replaySchedules(const ClusterDescription& cluster, const AllRankSchedules& schedules);

// Convenience: replay `algo`'s schedules for `bytes` (a multiple of elementBytes).
ReplayResult replayAllReduce(const ClusterDescription& cluster, AllReduceAlgo algo, std::uint64_t bytes,
                             std::size_t elementBytes);

}  // namespace ccb::sim
