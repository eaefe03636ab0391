// A collective algorithm as a pure schedule: for one rank, the list of steps (who sends which byte range to
// whom, which received ranges are reduced). The executor runs these steps over a Transport; the simulator
// replays the very same steps over a link model, so measured and predicted times describe the same bytes.
#pragma once

#include <cstddef>
#include <vector>

namespace ccb {

struct ByteRange {
  std::size_t offset = 0;
  std::size_t bytes = 0;
  bool operator==(const ByteRange&) const = default;
};

// Element range [first, first + count) of part `index` when `count` elements are split into `parts` parts
// as evenly as possible: the first (count % parts) parts hold one element more. The one place that does
// this index arithmetic; schedules, executors and the simulator all call it.
struct ElementRange {
  std::size_t first = 0;
  std::size_t count = 0;
  bool operator==(const ElementRange&) const = default;
};
ElementRange partition(std::size_t count, int parts, int index);

// One step of one rank: at most one send and one receive, which may run concurrently.
struct Step {
  static constexpr int kNoPeer = -1;

  int sendPeer = kNoPeer;
  ByteRange sendRange;
  // The bytes to send are still in the input buffer (this rank's own contribution, not yet reduced).
  bool sendFromInput = false;

  int recvPeer = kNoPeer;
  ByteRange recvRange;
  // true: output[range] = op(input[range], received) (reduce-scatter phase);
  // false: output[range] = received (all-gather phase).
  bool reduceOnRecv = false;
  // After reducing, this range holds the contributions of all ranks: apply Reducer::finalize (avg).
  bool finalizeOnRecv = false;
};

struct Schedule {
  std::vector<Step> steps;
  // Output ranges that no step writes and that take the input's bytes unchanged (e.g. one rank alone).
  std::vector<ByteRange> localCopies;
  // Output ranges that no step writes but that must be finalized in place after the local copy (avg, K = 1).
  std::vector<ByteRange> localFinalize;
};

}  // namespace ccb
