// The run context of a ccbench document (tool, revision, date, command, hosts, ranks, cores, MPI library,
// env): the pure pieces are separate functions so they are unit-tested without MPI.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "comm/mpi_transport.h"
#include "core/result_json.h"

namespace ccb {

class CrossRank;

// "2026-11-21T22:43:00Z".
std::string isoDateUtc(std::chrono::system_clock::time_point time);

// The variables that change how MPI, UCX or NCCL move bytes, from an environ-style array:
// UCX_TLS, UCX_NET_DEVICES, NCCL_ALGO, NCCL_PROTO and every MPIR_CVAR_*.
std::map<std::string, std::string> transportEnv(const char* const* envp);

// argv as one shell-pasteable line, argv[0] reduced to its file name ("ccbench allreduce -b 1K").
std::string commandLine(int argc, const char* const* argv);

// This process's rank as the launcher announced it (PMI_RANK, PMIX_RANK, OMPI_COMM_WORLD_RANK), or 0: it
// decides who prints usage errors before MPI is initialised.
int launcherRank();

// Cores this process may run on (its CPU affinity set).
int coresAvailable();

// Host names in order of first appearance, without repeats.
std::vector<std::string> uniqueHosts(const std::vector<std::string>& hostByRank);

// Collects the context on every rank (collective over `transport`'s communicator; each blocking step is
// watched by the process watchdog with `timeout`). Cores per host is the largest affinity set of any rank;
// oversubscribed is true when any host runs more ranks than it has cores.
RunContext collectRunContext(MpiTransport& transport, CrossRank& crossRank, const std::string& command,
                             Clock::duration timeout);

}  // namespace ccb
