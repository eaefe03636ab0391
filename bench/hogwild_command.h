// `ccbench hogwild`: K ranks on one host update one float32 vector in an MPI shared-memory window without
// locks (src/ps/hogwild.h), against an atomic and a locked variant; reports updates per second and the
// fraction of increments lost, for dense and sparse updates. Flags are pure; runHogwildCommand needs MPI.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench/sweep_options.h"
#include "core/result_json.h"
#include "ps/hogwild.h"

namespace CLI {
class App;
}

namespace ccb {

struct HogwildFlags {
  HogwildFlags();  // the sweep flags' defaults, scaled down: every update writes the whole vector
  SweepFlags sweep;
  std::string variants = "racy,atomic,locked";
  std::string sparsity = "1";
  std::string updates = "100";
  std::string seed = "1";
};

struct HogwildConfig {
  SweepOptions sweep;
  std::vector<HogwildVariant> variants;
  std::vector<double> sparsities;
  std::int64_t updates = 100;  // per rank and run
  std::uint64_t seed = 1;
};

CLI::App* addHogwildCommand(CLI::App& parent, HogwildFlags& flags);
// Throws UsageError with one line: a dtype other than float32, an --op or --inplace, a sparsity outside
// (0, 1], an unknown variant, --updates < 1.
HogwildConfig validateHogwildFlags(const HogwildFlags& flags);
nlohmann::json hogwildConfigJson(const HogwildConfig& config);

// What one point measured (every rank's times already maxed; lost counts from rank 0).
struct HogwildPoint {
  HogwildVariant variant = HogwildVariant::kRacy;
  double sparsity = 1;
  std::uint64_t bytes = 0;
  int ranks = 0;
  std::int64_t updates = 0;  // per rank and run
  std::uint64_t seed = 1;
  std::vector<double> timesUs;  // per timed run, the slowest rank's time
  std::int64_t increments = 0;  // expected over the timed runs
  std::int64_t lostIncrements = 0;
  long long wrong = -1;  // coordinates off in the checked run (atomic, locked); -1 unchecked or racy
};

// Record: collective "hogwild", algo "hogwild_<variant>", time per run, alg_bw = bus_bw = bytes / median (a
// size convention only), plus variant, sparsity, updates_per_rank, touched_per_update, updates_per_s,
// increments, lost_increments, lost_fraction, seed.
Record hogwildRecord(const HogwildPoint& point);
std::string formatHogwildRow(const Record& record);

// Runs the sweep on MPI_COMM_WORLD; 0, or kExitFailure when the atomic or locked variant lost anything.
// Throws UsageError on every rank when the ranks do not all share one host.
int runHogwildCommand(const HogwildConfig& config, const std::string& commandLine);

}  // namespace ccb
