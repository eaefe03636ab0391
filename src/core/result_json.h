// The one JSON schema (version 1) for measured, predicted and comparison documents, and the one module that
// reads and writes it. Documented in results/README.md. Keys follow nccl-tests where one exists
// (time, alg_bw, bus_bw, nwrong). Units: times in microseconds, bandwidths in GB/s (1e9 B/s), sizes in bytes.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/dtype.h"
#include "core/stats.h"

namespace ccb {

inline constexpr int kSchemaVersion = 1;

enum class DocKind { kMeasured, kPredicted, kComparison };
std::string_view docKindName(DocKind kind);  // "measured", "predicted", "comparison"

// Where and how a document was produced.
struct RunContext {
  std::string tool;         // "ccbench", "ccsim"
  std::string version;      // project version
  std::string gitRevision;  // short hash or "unknown"
  std::string date;         // ISO 8601 UTC
  std::string command;      // the command line, argv joined
  std::vector<std::string> hosts;
  int ranks = 0;
  int ranksPerHost = 0;
  int coresPerHost = 0;
  bool oversubscribed = false;  // more ranks on a host than cores: timings measure the scheduler
  std::string mpiLibrary;       // "MPICH 4.0.2 (ch4:ucx)" or "" when not under MPI
  std::string device;           // "cpu" or the GPU's name
  std::map<std::string, std::string> env;  // UCX_TLS, NCCL_ALGO, ... when set
};

// One point of a sweep: one (collective, algo, ranks, dtype, op, bytes).
struct Record {
  std::string collective = "allreduce";
  std::string algo;
  int ranks = 0;
  DType dtype = DType::kFloat32;
  ReduceOp op = ReduceOp::kSum;
  std::uint64_t bytes = 0;
  std::uint64_t count = 0;
  bool inPlace = false;
  int iters = 0;
  TimeStatsUs time;  // per-iteration time, max across ranks per iteration, then summarised
  double algBw = 0;  // GB/s, from the median time
  double busBw = 0;  // GB/s, from the median time
  long long nwrong = -1;  // wrong elements summed over ranks; -1 when not checked
  nlohmann::json extra = nlohmann::json::object();  // collective-specific fields (e.g. parameter server)
};

nlohmann::json toJson(const RunContext& context);
RunContext runContextFromJson(const nlohmann::json& j);
nlohmann::json toJson(const Record& record);
// Throws UsageError naming the missing or malformed field.
Record recordFromJson(const nlohmann::json& j);

// A document: {"schema": 1, "kind": ..., "context": {...}, "config": {...}, "records": [...]}
// (comparison documents add "summary").
nlohmann::json makeDocument(DocKind kind, const RunContext& context, nlohmann::json config);

// Writes `doc` to `path` atomically (temporary file in the same folder, then rename): readers never see a
// half-written file. Throws UsageError when the path cannot be written.
void writeJsonAtomic(const std::string& path, const nlohmann::json& doc);

// Reads and validates a document: parses, checks "schema" == 1 and the presence of kind/context/records.
// Throws UsageError("<path>: <what is wrong>") otherwise.
nlohmann::json readDocument(const std::string& path);

// A document that grows one record at a time and is rewritten atomically after each, so an interrupted
// sweep keeps every finished point. The constructor writes the empty document (failing early on an
// unwritable path).
class DocumentWriter {
 public:
  DocumentWriter(std::string path, nlohmann::json document);
  void append(const nlohmann::json& record);
  const nlohmann::json& document() const { return document_; }

 private:
  std::string path_;
  nlohmann::json document_;
};

}  // namespace ccb
