// All-reduce algorithms behind one interface, so the harness, the tests and later the overlap benchmark
// run any of them the same way.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "comm/transport.h"
#include "core/dtype.h"
#include "reduce/reducer.h"

namespace ccb {

struct AllReduceArgs {
  const void* input = nullptr;  // may equal output (in place)
  void* output = nullptr;
  std::size_t count = 0;  // elements
  DType dtype = DType::kFloat32;
  ReduceOp op = ReduceOp::kSum;
};

struct AllReduceOptions {
  std::size_t segmentBytes = 1 << 20;  // pipelining granularity of the ring executor
  int maxInFlight = 4;                  // segments in flight per direction
};

class AllReduce {
 public:
  virtual ~AllReduce() = default;
  virtual std::string name() const = 0;
  // Runs one all-reduce. Throws TimeoutError (naming `what`) when it has not finished by `deadline`.
  virtual void run(const AllReduceArgs& args, Clock::time_point deadline, const std::string& what) = 0;
};

// Throws UsageError when count > 0 and a buffer is missing, or input and output overlap without being
// equal. Every algorithm calls it first.
void checkAllReduceArgs(const AllReduceArgs& args);

// Names accepted by makeAllReduce, for help texts and errors.
std::vector<std::string> allReduceNames();

// "ring": our ring over transport + reducer. "mpi": MPI_Allreduce (the transport must be MPI).
// Throws UsageError for an unknown name, a transport the algorithm cannot use, or more ranks than it supports.
std::unique_ptr<AllReduce> makeAllReduce(std::string_view name, Transport& transport, Reducer& reducer,
                                         const AllReduceOptions& options);

}  // namespace ccb
