// Shared pieces of the ccsim subcommands: the only place of the simulator that touches files.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/result_json.h"
#include "sim/cluster.h"
#include "sim/readers.h"

namespace ccb::sim::cli {

struct Env {
  std::ostream& out;
  std::ostream& err;
  std::string command;  // the command line, for the output's context
};

// The whole file as text; UsageError("<path>: cannot open: ...") otherwise.
std::string readTextFile(const std::string& path);
// A cluster file, parsed and validated; errors name the file.
ClusterDescription loadCluster(const std::string& path);

// A measured (or predicted) results file in any supported format. Schema-1 documents are read through
// core's readDocument; the others are parsed here and converted by the readers.
struct LoadedResults {
  std::vector<Record> records;
  InputFormat format = InputFormat::kAuto;
  bool hasContext = false;
  RunContext context;  // when hasContext (schema-1 documents)
};
LoadedResults loadResults(const std::string& path, InputFormat format, const ReaderOptions& options);

// The context of a document ccsim writes.
RunContext ccsimContext(const std::string& command, int ranks, int ranksPerHost);

// Options that read a byte size ("64K", "1M").
CLI::Option* addBytesOption(CLI::App& app, const std::string& flags, std::uint64_t& value, const std::string& help);

}  // namespace ccb::sim::cli
