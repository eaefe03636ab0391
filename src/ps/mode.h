// Parameter-server consistency modes and their command-line names.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.h"

namespace ccb {

enum class PsMode {
  kSync,    // every server waits for all K pushes of a step, averages, applies, then answers
  kAsync,   // a server applies each push as it arrives and answers at once with its newest parameters
  kSsp,     // async, but a worker more than s steps ahead of the slowest waits (stale synchronous parallel)
  kBackup,  // sync that completes a step with the first K - b pushes; later pushes are counted and dropped
};

// "sync", "async", "ssp", "backup".
std::string_view psModeName(PsMode mode);
// Throws UsageError naming the accepted values.
PsMode parsePsMode(std::string_view name);
std::vector<std::string> psModeNames();

// Sync and backup average the pushes of a step; async and ssp add each push.
ReduceOp psModeOp(PsMode mode);

}  // namespace ccb
