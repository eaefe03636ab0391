#include "sim/link_model.h"

#include <algorithm>

#include "core/error.h"

namespace ccb::sim {

LinkModel::LinkModel(const ClusterDescription& c)
    : ranks_(c.ranks),
      ranksPerHost_(c.ranksPerHost),
      hosts_(hostCount(c)),
      topology_(c.topology),
      intraLatencyUs_(c.intraHost.latencyUs) {
  const double intraCap = c.intraHost.bandwidthGBps * 1e3;
  std::vector<double> hostCap;
  for (int h = 0; h < hosts_; ++h) {
    const LinkParams link = hostLink(c, h);
    hostLatencyUs_.push_back(link.latencyUs);
    hostCap.push_back(link.bandwidthGBps * 1e3);
  }
  intraOut_ = 0;
  intraIn_ = ranks_;
  capacity_.assign(2 * static_cast<std::size_t>(ranks_), intraCap);
  if (topology_ == Topology::kSwitch) {
    up_ = static_cast<int>(capacity_.size());
    capacity_.insert(capacity_.end(), hostCap.begin(), hostCap.end());
    down_ = static_cast<int>(capacity_.size());
    capacity_.insert(capacity_.end(), hostCap.begin(), hostCap.end());
  } else {
    // Link i joins hosts i and i+1 (mod H): both directions run at the slower host's rate.
    clockwise_ = static_cast<int>(capacity_.size());
    for (int h = 0; h < hosts_; ++h) capacity_.push_back(std::min(hostCap[h], hostCap[(h + 1) % hosts_]));
    counterClockwise_ = static_cast<int>(capacity_.size());
    for (int h = 0; h < hosts_; ++h) capacity_.push_back(std::min(hostCap[h], hostCap[(h + 1) % hosts_]));
  }
}

double LinkModel::route(int src, int dst, std::vector<int>& out) const {
  CCB_CHECK(src != dst);
  const int hs = src / ranksPerHost_;
  const int hd = dst / ranksPerHost_;
  if (hs == hd) {
    out.push_back(intraOut_ + src);
    out.push_back(intraIn_ + dst);
    return intraLatencyUs_;
  }
  if (topology_ == Topology::kSwitch) {
    out.push_back(up_ + hs);
    out.push_back(down_ + hd);
    return std::max(hostLatencyUs_[static_cast<std::size_t>(hs)], hostLatencyUs_[static_cast<std::size_t>(hd)]);
  }
  const int forward = ((hd - hs) % hosts_ + hosts_) % hosts_;
  const bool clockwise = forward <= hosts_ - forward;
  const int hops = clockwise ? forward : hosts_ - forward;
  double latencyUs = 0;
  int h = hs;
  for (int i = 0; i < hops; ++i) {
    // Clockwise hop h -> h+1 uses link h; counter-clockwise hop h -> h-1 uses link h-1.
    const int link = clockwise ? h : (h - 1 + hosts_) % hosts_;
    out.push_back((clockwise ? clockwise_ : counterClockwise_) + link);
    latencyUs += std::max(hostLatencyUs_[static_cast<std::size_t>(link)],
                          hostLatencyUs_[static_cast<std::size_t>((link + 1) % hosts_)]);
    h = clockwise ? (h + 1) % hosts_ : (h - 1 + hosts_) % hosts_;
  }
  return latencyUs;
}

}  // namespace ccb::sim
