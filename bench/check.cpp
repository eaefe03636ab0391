#include "bench/check.h"

#include "reduce/verify.h"

namespace ccb {

std::size_t runAndCountWrong(AllReduce& algorithm, const PointBuffers& buffers, std::size_t count, DType dtype,
                             ReduceOp op, int rank, int ranks, Clock::time_point deadline,
                             const std::string& what) {
  fillInput(buffers.input, count, dtype, op, rank, ranks);
  if (buffers.output != buffers.input) fillPoison(buffers.output, count, dtype);
  algorithm.run(AllReduceArgs{buffers.input, buffers.output, count, dtype, op}, deadline, what);
  fillExpected(buffers.expected, count, dtype, op, ranks);
  return countWrong(buffers.output, buffers.expected, count, dtype);
}

}  // namespace ccb
