// Which GPU each MPI rank uses: the rank's index among the ranks on its host, modulo the host's GPUs. The
// rules are pure functions (unit-tested); the collectives that feed them are thin MPI calls.
#pragma once

#include <mpi.h>

#include <string>
#include <string_view>

#include "comm/transport.h"

namespace ccb {

struct HostPlacement {
  int localRank = 0;   // index among the ranks sharing this host
  int localRanks = 1;  // how many ranks share this host
};

// This rank's placement on its host (MPI_COMM_TYPE_SHARED). Collective over `comm`.
HostPlacement hostPlacement(MPI_Comm comm);

// What keeps this rank from using a GPU, as one line, or "" when nothing does. `devices` is the number of
// GPUs answering on this host; `exclusive` asks for one GPU per rank (NCCL refuses two ranks on one GPU).
std::string placementProblem(const HostPlacement& placement, int devices, bool exclusive);

// The GPU this rank uses: localRank modulo devices (ranks share GPUs round robin unless exclusive).
// InvariantError unless devices >= 1.
int deviceForRank(const HostPlacement& placement, int devices);

// How many ranks of this host use the same GPU as this rank (deviceForRank's round robin), this rank
// included. InvariantError unless devices >= 1.
int ranksSharingDevice(const HostPlacement& placement, int devices);

// Every rank learns whether any rank has a problem: if one has, every rank throws UsageError, with its own
// line or, on the ranks without one, "<what>: another rank has no usable GPU (see its message)".
// Collective over `comm`; the blocking call is watched by the process watchdog with `timeout`.
void agreeOnProblem(MPI_Comm comm, const std::string& localProblem, Clock::duration timeout,
                    std::string_view what);

}  // namespace ccb
