// Non-blocking all-reduce of one gradient bucket, progressed by the caller: the backward loop calls test()
// between compute slices. Single-threaded on purpose: DDP hands buckets to a communication stream or thread;
// here the compute thread itself progresses communication at slice boundaries, so nothing moves on the host
// side while a slice computes (only what the MPI library or the peer does on its own). The slice length is
// therefore a knob of the measurement, reported with it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "algo/allreduce.h"
#include "comm/transport.h"
#include "reduce/reducer.h"

namespace ccb {

class AsyncAllReduce {
 public:
  virtual ~AsyncAllReduce() = default;
  virtual std::string name() const = 0;
  // Starts an all-reduce; its test() advances it. The buffers must stay valid until test() returns true.
  // One at a time per object (buckets are reduced in order, like DDP's single communication stream).
  virtual Request start(const AllReduceArgs& args) = 0;
};

// "ring": our ring (schedule + executor, src/algo), one plan per bucket size, cached. "mpi": MPI_Iallreduce
// progressed with MPI_Test (MPICH may run a different algorithm for Iallreduce than for MPI_Allreduce: its
// non-blocking collectives have their own selection). Throws UsageError for an unknown name or a transport
// the algorithm cannot use.
std::unique_ptr<AsyncAllReduce> makeAsyncAllReduce(std::string_view name, Transport& transport, Reducer& reducer,
                                                   const AllReduceOptions& options);

// MPI_Iallreduce on an MpiTransport's communicator; float32/float64/int32/int64 with sum, prod, min, max, avg
// (avg: a sum, finalized when the request completes). Throws UsageError for another transport or dtype.
std::unique_ptr<AsyncAllReduce> makeMpiIallreduce(Transport& transport, Reducer& reducer);

}  // namespace ccb
