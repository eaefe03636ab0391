// The network under replay: which links ("resources") a message between two ranks holds, their capacities,
// and the message's latency. Derived from a ClusterDescription; pure.
//
//  * Same host: the sender's intra-host output port and the receiver's input port (links.intra_host
//    bandwidth each). Ranks of one host do not contend otherwise (memory bandwidth is not modelled).
//  * Switch topology: the source host's up-link and the destination host's down-link (each direction of a
//    host link is its own resource, full duplex). Latency: the larger of the two hosts' latencies.
//  * Ring topology: the directed links host h -> h+1 (clockwise) or h -> h-1, along the shorter way round
//    (clockwise on a tie). The link between hosts a and b runs at the smaller of their bandwidths and the
//    larger of their latencies; a message pays the latency of every hop (store and forward per message).
#pragma once

#include <vector>

#include "sim/cluster.h"

namespace ccb::sim {

class LinkModel {
 public:
  explicit LinkModel(const ClusterDescription& cluster);

  int resourceCount() const { return static_cast<int>(capacity_.size()); }
  // Bytes per microsecond (GB/s * 1e3).
  double capacityBytesPerUs(int resource) const { return capacity_[static_cast<std::size_t>(resource)]; }
  // Appends the resources a message src -> dst holds to `out` and returns its latency in microseconds.
  double route(int src, int dst, std::vector<int>& out) const;

 private:
  int ranks_;
  int ranksPerHost_;
  int hosts_;
  Topology topology_;
  double intraLatencyUs_;
  std::vector<double> hostLatencyUs_;
  std::vector<double> capacity_;
  // Resource index bases.
  int intraOut_ = 0, intraIn_ = 0, up_ = 0, down_ = 0, clockwise_ = 0, counterClockwise_ = 0;
};

}  // namespace ccb::sim
