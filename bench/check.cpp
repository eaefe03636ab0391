#include "bench/check.h"

#include "core/error.h"
#include "reduce/verify.h"

namespace ccb {

std::size_t runAndCountWrong(AllReduce& algorithm, const PointBuffers& buffers, std::size_t count,
                             DType dtype, ReduceOp op, int rank, int ranks, Clock::time_point deadline,
                             const std::string& what) {
  const bool onHost = buffers.mem == MemKind::kHost;
  CCB_CHECK(onHost || buffers.hostStage != nullptr);
  const std::size_t bytes = count * dtypeSize(dtype);
  // Patterns are written, and results read, in host memory: the buffers themselves, or the stage.
  void* host = onHost ? buffers.input : buffers.hostStage;
  fillInput(host, count, dtype, op, rank, ranks);
  if (!onHost) copyToMemory(buffers.mem, buffers.input, host, bytes);
  if (buffers.output != buffers.input) {
    void* poison = onHost ? buffers.output : buffers.hostStage;
    fillPoison(poison, count, dtype);
    if (!onHost) copyToMemory(buffers.mem, buffers.output, poison, bytes);
  }
  algorithm.run(AllReduceArgs{buffers.input, buffers.output, count, dtype, op}, deadline, what);
  void* result = onHost ? buffers.output : buffers.hostStage;
  if (!onHost) copyFromMemory(buffers.mem, result, buffers.output, bytes);
  fillExpected(buffers.expected, count, dtype, op, ranks);
  return countWrong(result, buffers.expected, count, dtype);
}

}  // namespace ccb
