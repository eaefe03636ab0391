// `ccbench allreduce`: the all-reduce sweep. The flags and their validation are pure (unit-tested without
// MPI); runAllReduce() is the part that needs an initialised MPI.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "algo/allreduce.h"
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
};

struct AllReduceConfig {
  SweepOptions sweep;
  std::vector<std::string> algos;  // in the order given, each once
  AllReduceOptions algoOptions;
};

// Adds the "allreduce" subcommand with the sweep flags plus --algo, --segment, --inflight.
CLI::App* addAllReduceCommand(CLI::App& parent, AllReduceFlags& flags);

// Validates every flag without communicating; throws UsageError with one line naming the problem.
AllReduceConfig validateAllReduceFlags(const AllReduceFlags& flags);

// The "config" object of the JSON document: the sweep flags plus algos, segment_bytes, max_in_flight.
nlohmann::json allReduceConfigJson(const AllReduceConfig& config);

// Runs the sweep on MPI_COMM_WORLD (MPI must be initialised) and returns the exit status: 0, or
// kExitFailure when any element was wrong. Problems every rank detects alike before the sweep (an algorithm
// that cannot run on this many ranks, an unwritable --json path) throw UsageError on every rank; a failure
// during the sweep (timeout, backend error) ends the process through abandonRun().
int runAllReduce(const AllReduceConfig& config, const std::string& commandLine);

}  // namespace ccb
