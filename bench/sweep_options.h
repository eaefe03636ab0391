// The size-sweep flags every ccbench subcommand shares (nccl-tests' names: -b -e -f -n -w -c -d -o), kept
// apart from any one collective so later subcommands (ps, train, ...) add the same flags with one call.
// Parsing is pure (no MPI), so every error message is unit-tested.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dtype.h"

namespace CLI {
class App;
}

namespace ccb {

// The flags as typed. Numbers stay text until validateSweepFlags() so that every bad value gets the same
// kind of message ("--iters must be ..."), not a parser's generic one.
struct SweepFlags {
  std::string minBytes = "1K";
  std::string maxBytes = "64M";
  std::string stepFactor = "2";
  std::string iters = "20";
  std::string warmup = "5";
  std::string check = "1";
  std::string dtypes = "float32";
  std::string ops = "sum";
  std::string inPlace = "0";
  std::string timeoutS = "60";
  std::string jsonPath;
};

// The validated sweep.
struct SweepOptions {
  std::uint64_t minBytes = 0;
  std::uint64_t maxBytes = 0;
  int stepFactor = 2;
  int iters = 0;
  int warmup = 0;
  bool check = true;
  std::vector<DType> dtypes;
  std::vector<ReduceOp> ops;
  std::vector<bool> inPlace;  // the placements to run, in order: false = out-of-place, true = in-place
  double timeoutS = 0;        // deadline of each collective call
  std::string jsonPath;       // empty: no JSON output
};

// Adds the sweep flags to `app` (a subcommand), bound to `flags`. Sets `app`'s option default so that a
// flag given twice keeps its last value (getopt's rule), for these flags and any added after them.
void addSweepFlags(CLI::App& app, SweepFlags& flags);

// Checks every flag without communicating. Throws UsageError with one line naming the flag and the value.
SweepOptions validateSweepFlags(const SweepFlags& flags);

// The sizes of the sweep: minBytes, minBytes * factor, ... while <= maxBytes (nccl-tests' -f).
std::vector<std::uint64_t> sweepSizes(const SweepOptions& options);

// The flags as the "config" object of a JSON document.
nlohmann::json sweepConfigJson(const SweepOptions& options);

// Parses a decimal integer flag value >= minValue; throws UsageError naming `flag` otherwise.
int parseIntFlag(std::string_view text, std::string_view flag, int minValue);

// Splits "a,b,c" into its non-empty items (spaces around items ignored).
std::vector<std::string> splitList(std::string_view text);
// The inverse for output: items joined with `separator` ("ring,mpi", "hostA, hostB").
std::string joinList(const std::vector<std::string>& items, std::string_view separator);

}  // namespace ccb
