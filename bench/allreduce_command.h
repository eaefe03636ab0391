// `ccbench allreduce`: the all-reduce sweep. The flags and their validation are pure (unit-tested without
// MPI); runAllReduce() is the part that needs an initialised MPI.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "algo/allreduce.h"
#include "backends/backends.h"
#include "bench/sweep_options.h"

namespace CLI {
class App;
}

namespace ccb {

struct AllReduceFlags {
  SweepFlags sweep;
  std::string algos = "ring";
  std::string segment;   // empty: AllReduceOptions' default
  std::string inFlight;  // empty: AllReduceOptions' default
  std::string mem = "host";
};

struct AllReduceConfig {
  SweepOptions sweep;
  std::vector<std::string> algos;  // in the order given, each once
  AllReduceOptions algoOptions;
  MemKind mem = MemKind::kHost;  // where the send and receive buffers live
};

// Adds the "allreduce" subcommand with the sweep flags plus --algo, --segment, --inflight, --mem.
CLI::App* addAllReduceCommand(CLI::App& parent, AllReduceFlags& flags);

// Validates every flag without communicating; throws UsageError with one line naming the problem. With
// --mem device (or --algo nccl) it also asks this build and this process's CUDA runtime whether the run can
// happen at all (backends.h: requireAlgorithmOn, requireDevice), so a machine without a GPU says so before
// MPI starts.
AllReduceConfig validateAllReduceFlags(const AllReduceFlags& flags);

// Device memory one rank of the sweep allocates with --mem device: the input and output buffers of
// --maxbytes each, plus the staged ring's scratch (up to --inflight segments). 0 for --mem host. Saturates
// instead of overflowing.
std::size_t deviceBytesPerRank(const AllReduceConfig& config);

// The "config" object of the JSON document: the sweep flags plus algos, segment_bytes, max_in_flight, mem.
nlohmann::json allReduceConfigJson(const AllReduceConfig& config);

// Runs the sweep on MPI_COMM_WORLD (MPI must be initialised) and returns the exit status: 0, or
// kExitFailure when any element was wrong. Problems every rank detects alike before the sweep (an algorithm
// that cannot run on this many ranks, an unwritable --json path) throw UsageError on every rank; a failure
// during the sweep (timeout, backend error) ends the process through abandonRun().
int runAllReduce(const AllReduceConfig& config, const std::string& commandLine);

}  // namespace ccb
