// MPI's own all-reduce (MPI_Allreduce) as the baseline algorithm "mpi".
#pragma once

#include <memory>

#include "algo/allreduce.h"

namespace ccb {

// MPI_Allreduce on the transport's communicator: native MPI types and ops where MPI has them (float32,
// float64, int32, int64; sum, prod, min, max), avg as MPI_SUM followed by reducer.finalize, float16 and
// bfloat16 through user-defined ops over a 2-byte type that call the CPU reducer's arithmetic.
// MPI_IN_PLACE when input == output. The blocking call runs under the process watchdog, so a lost peer
// ends the process at the deadline (exit code kWatchdogExitCode) instead of hanging.
// Buffers must be host memory (or whatever the MPI library accepts). Throws UsageError unless
// `transport` is an MpiTransport.
std::unique_ptr<AllReduce> makeMpiAllReduce(Transport& transport, Reducer& reducer);

}  // namespace ccb
