#include "sim/mpich_selection.h"

#include "sim/closed_form.h"

namespace ccb::sim {

bool mpirPicksRecursiveDoubling(int ranks, std::uint64_t bytes, std::uint64_t count) {
  if (bytes <= kMpirShortBytes) return true;
  return count < static_cast<std::uint64_t>(floorPow2(ranks));
}

MpichAllReducePath mpichPath(int hosts, int ranksPerHost) {
  if (hosts == 1) return MpichAllReducePath::kShmReleaseGather;
  if (ranksPerHost == 1) return MpichAllReducePath::kFlat;
  return MpichAllReducePath::kSmpComposition;
}

}  // namespace ccb::sim
