// The cases every staged-ring test runs (fake device on the CPU, CUDA device on a GPU): every dtype and op,
// in place and out of place, empty, tiny, ragged and many-segment counts, checked against reduce/verify.h's
// exact results.
#pragma once

#include <string>
#include <vector>

#include "algo/allreduce.h"
#include "backends/backends.h"

namespace ccb {

struct RingCase {
  DType dtype;
  ReduceOp op;
  std::size_t count;
  bool inPlace;
  bool smallSegments;  // run with smallSegmentOptions()
};

// 50-byte segments (ragged for every dtype), 3 in flight: hundreds of segments per run at the large count.
AllReduceOptions smallSegmentOptions();

std::vector<RingCase> ringCases(int ranks);

// Runs `cases` in order on this rank with `plain` (default options) or `small` (smallSegmentOptions()),
// buffers in memory of `kind`; returns one line per wrong result (wrong elements, or a changed input).
std::vector<std::string> runRingCases(Transport& transport, AllReduce& plain, AllReduce& small, MemKind kind,
                                      const std::vector<RingCase>& cases);

}  // namespace ccb
