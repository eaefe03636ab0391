#include "ps/mode.h"

#include <array>
#include <utility>

#include "core/error.h"

namespace ccb {
namespace {

constexpr std::array<std::pair<PsMode, std::string_view>, 4> kModes = {
    {{PsMode::kSync, "sync"}, {PsMode::kAsync, "async"}, {PsMode::kSsp, "ssp"}, {PsMode::kBackup, "backup"}}};

}  // namespace

std::string_view psModeName(PsMode mode) {
  for (const auto& [value, name] : kModes) {
    if (value == mode) return name;
  }
  throw InvariantError("unknown PsMode " + std::to_string(static_cast<int>(mode)));
}

PsMode parsePsMode(std::string_view name) {
  for (const auto& [value, known] : kModes) {
    if (known == name) return value;
  }
  throw UsageError("--mode: unknown mode '" + std::string(name) + "' (expected sync, async, ssp, backup)");
}

std::vector<std::string> psModeNames() {
  std::vector<std::string> names;
  for (const auto& entry : kModes) names.emplace_back(entry.second);
  return names;
}

ReduceOp psModeOp(PsMode mode) {
  return mode == PsMode::kSync || mode == PsMode::kBackup ? ReduceOp::kAvg : ReduceOp::kSum;
}

}  // namespace ccb
