// Launch geometry of the element-wise kernels: pure arithmetic, unit-tested without a GPU.
#pragma once

#include <cstddef>

#include "core/error.h"

namespace ccb {

struct LaunchGeometry {
  unsigned blocks = 0;  // 0: nothing to launch
  unsigned threadsPerBlock = 0;
  bool operator==(const LaunchGeometry&) const = default;
};

// 256 threads per block and at most 8 resident blocks per SM (2048 threads, the limit on sm_80 and sm_90):
// enough to keep every SM's memory pipeline busy; a larger grid would only add block scheduling.
inline constexpr unsigned kThreadsPerBlock = 256;
inline constexpr unsigned kBlocksPerSm = 8;

// One thread per work item up to kBlocksPerSm full blocks per SM; beyond that each thread loops (grid
// stride). No work gives blocks = 0. Throws InvariantError unless smCount >= 1.
inline LaunchGeometry launchGeometry(std::size_t workItems, int smCount) {
  CCB_CHECK_LE(1, smCount);
  if (workItems == 0) return LaunchGeometry{0, kThreadsPerBlock};
  const std::size_t wanted = (workItems + kThreadsPerBlock - 1) / kThreadsPerBlock;
  const std::size_t cap = static_cast<std::size_t>(smCount) * kBlocksPerSm;
  return LaunchGeometry{static_cast<unsigned>(wanted < cap ? wanted : cap), kThreadsPerBlock};
}

}  // namespace ccb
