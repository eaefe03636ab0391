// NCCL's all-reduce as the algorithm "nccl" on device buffers: one rank per GPU, the communicator built from
// a unique id that rank 0 broadcasts over MPI. Compiled only when NCCL is.
#pragma once

#include <memory>
#include <string>

#include "algo/allreduce.h"
#include "comm/mpi_transport.h"

namespace ccb {

// Builds the communicator over `transport`'s MPI communicator (collective; every blocking step is watched by
// the process watchdog with `timeout`). The caller has bound this rank to its GPU exclusively
// (backends.h: bindDevice) before. Throws BackendError when NCCL fails.
//
// run(): ncclAllReduce on the bound GPU's stream with the native NCCL type of every DType; avg runs as sum
// followed by the CUDA reducer's finalize, so its rounding is the same as the other algorithms'. Waits for
// the stream, polling NCCL's asynchronous errors; TimeoutError naming `what` at the deadline (the
// communicator is then aborted when the object is destroyed).
std::unique_ptr<AllReduce> makeNcclAllReduce(MpiTransport& transport, Clock::duration timeout);

// "2.28.9": the version of the NCCL library loaded at run time.
std::string ncclLibraryVersion();

}  // namespace ccb
