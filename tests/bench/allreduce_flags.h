// Test helpers: parse `ccbench allreduce` flags exactly as the program does, without MPI.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "bench/allreduce_command.h"
#include "core/error.h"

namespace ccb {

// Parses `args` (everything after "ccbench allreduce") and validates them; throws what ccbench would.
inline AllReduceConfig parse(const std::string& args) {
  CLI::App app{"test", "ccbench"};
  app.require_subcommand(1);
  AllReduceFlags flags;
  addAllReduceCommand(app, flags);
  app.parse("allreduce " + args, false);
  return validateAllReduceFlags(flags);
}

// The UsageError message for `args`, or nothing when the flags are accepted.
inline std::optional<std::string> usageErrorOf(const std::string& args) {
  try {
    parse(args);
  } catch (const UsageError& e) {
    return std::string(e.what());
  }
  return std::nullopt;
}

}  // namespace ccb
