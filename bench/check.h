// Result checking of one sweep point: verifiable input (reduce/verify.h), one run, wrong elements counted
// on each rank. The caller sums the counts over ranks; timed iterations come after, on the same buffers.
#pragma once

#include <cstddef>
#include <string>

#include "algo/allreduce.h"
#include "backends/backends.h"

namespace ccb {

// Where one point's data lives. input == output means in place. input and output are memory of `mem`;
// `expected` is host memory. For device memory, `hostStage` is host memory the pattern is written into and
// the result read back into (both the size of expected); unused for host memory.
struct PointBuffers {
  void* input = nullptr;
  void* output = nullptr;
  void* expected = nullptr;
  MemKind mem = MemKind::kHost;
  void* hostStage = nullptr;
};

// Fills `buffers.input` with this rank's pattern, poisons a separate output (so elements the algorithm never
// writes count as wrong), runs `algorithm` once and returns the number of wrong elements on this rank.
// Device buffers are filled and read through `hostStage` (backends.h: copyToMemory, copyFromMemory), so the
// same exact check covers them. Throws TimeoutError (naming `what`) when the run misses `deadline`.
std::size_t runAndCountWrong(AllReduce& algorithm, const PointBuffers& buffers, std::size_t count,
                             DType dtype, ReduceOp op, int rank, int ranks, Clock::time_point deadline,
                             const std::string& what);

}  // namespace ccb
