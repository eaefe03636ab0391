// How ccbench ends: one "ccbench: error: ..." line on stderr and a non-zero status that tells usage errors
// (2) from failed runs (1); the watchdog's own exit is kWatchdogExitCode (3, comm/watchdog.h).
#pragma once

#include <string>

namespace ccb {

inline constexpr int kExitFailure = 1;  // a run that failed: wrong results, timeout, backend error
inline constexpr int kExitUsage = 2;    // bad input: nothing was measured

// Prints "ccbench: error: <message>" as one line on stderr.
void printError(const std::string& message);

// Ends a run that failed after ranks started communicating: flushes the table, prints
// "ccbench: error: rank <rank>: <message>" and exits with kExitFailure at once, skipping MPI_Finalize, which
// could wait forever for a peer that stopped answering; mpiexec then tears down the other ranks.
[[noreturn]] void abandonRun(int rank, const std::string& message);

}  // namespace ccb
