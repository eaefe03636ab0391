// `ccbench ps`: the parameter-server sweep (src/ps) over sizes, dtypes and modes, with the sweep flags of
// `ccbench allreduce`. Flags and their validation are pure (unit-tested without MPI); runPsCommand() needs an
// initialised MPI.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench/sweep_options.h"
#include "core/result_json.h"
#include "ps/compute_model.h"
#include "ps/mode.h"
#include "ps/ps.h"
#include "ps/summary.h"

namespace CLI {
class App;
}

namespace ccb {

// BytePS's default partition size.
inline constexpr std::uint64_t kDefaultPartitionBytes = 4ull << 20;

struct PsFlags {
  SweepFlags sweep;
  std::string modes = "sync";
  std::string servers;  // empty: 1, or every rank with --colocated
  bool colocated = false;
  std::string partition;  // empty: kDefaultPartitionBytes, cut to each size
  std::string staleness = "2";
  std::string backup = "1";
  std::string compute = "fixed:0";
  std::string stragglers;
  std::string seed = "1";
  std::string fail;
};

struct PsCommandConfig {
  SweepOptions sweep;
  std::vector<PsMode> modes;  // in the order given, each once
  int servers = 0;            // 0: the default of the layout
  bool colocated = false;
  std::uint64_t partitionBytes = kDefaultPartitionBytes;
  bool partitionGiven = false;
  int staleness = 2;
  int backup = 1;
  ComputeDist compute;
  std::vector<Straggler> stragglers;
  std::uint64_t seed = 1;
  std::optional<FailPoint> fail;
};

// Adds the "ps" subcommand with the sweep flags plus --mode, --servers, --colocated, --partition,
// --staleness, --backup, --compute, --straggler, --seed, --fail.
CLI::App* addPsCommand(CLI::App& parent, PsFlags& flags);

// Validates every flag without communicating; throws UsageError with one line naming the problem (negative
// staleness, an unknown mode or distribution, a partition of 0 bytes, larger than --maxbytes or not whole
// elements, an --op or --inplace the parameter server has no use for, a --fail step past the run, ...).
PsCommandConfig validatePsFlags(const PsFlags& flags);

// The layout on `ranks` ranks; throws UsageError when --servers leaves no worker (M >= ranks) and so on.
PsLayout psLayout(const PsCommandConfig& config, int ranks);

// The setup of one point: the partition is the flag's (default 4M) cut to `bytes` when the vector is smaller.
// Throws UsageError when the mode cannot run on this layout (b >= K, a --fail or --straggler rank that is
// no worker).
PsSetup psSetup(const PsCommandConfig& config, const PsLayout& layout, DType dtype, PsMode mode,
                std::uint64_t bytes);

// The "config" object of the JSON document.
nlohmann::json psConfigJson(const PsCommandConfig& config, const PsLayout& layout);

// The schema-1 record of one point: collective "ps", algo "ps_<mode>", time = the step time, bus_bw =
// alg_bw times the incast factor (bytes on the busiest link per step / S), and the PS keys (mode, servers,
// workers, colocated, partition_bytes, step_time, push_time, pull_time, idle_time, compute_time,
// updates_per_s, staleness_histogram, dropped_pushes, failed_workers, seed, compute, ...).
Record psRecord(const PsSetup& setup, const PsSummary& summary);

// One table row.
std::string formatPsRow(const Record& record);

// Runs the sweep on MPI_COMM_WORLD and returns the exit status: 0, or kExitFailure when any element was
// wrong or a push was lost. Bad layouts throw UsageError on every rank before any communication; a failure
// during the sweep (sync with a stopped worker, timeouts) ends the process through abandonRun().
int runPsCommand(const PsCommandConfig& config, const std::string& commandLine);

}  // namespace ccb
