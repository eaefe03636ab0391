// Measured-input readers (see readers.h). Foreign formats are mapped onto Record field by field; what they
// do not carry comes from ReaderOptions.
#include "sim/readers.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "core/error.h"
#include "core/stats.h"
#include "core/units.h"
#include "sim/json_fields.h"

namespace ccb::sim {

using nlohmann::json;

namespace {

[[noreturn]] void fail(const std::string& source, const std::string& what) { throw UsageError(source + ": " + what); }

// Runs `read`, prefixing any UsageError with the source name (field readers do not know the file).
template <typename Read>
auto withSource(const std::string& source, Read read) {
  try {
    return read();
  } catch (const UsageError& e) {
    const std::string what = e.what();
    if (what.rfind(source + ":", 0) == 0) throw;
    fail(source, what);
  }
}

bool isNumber(const json* j) { return j != nullptr && j->is_number() && std::isfinite(j->get<double>()); }

// Bandwidths and the median of a predicted or foreign point: everything but time comes from time.
void fillDerived(Record& r) {
  r.algBw = algBwGBps(r.bytes, r.time.median);
  r.busBw = r.collective == "allreduce" && r.ranks >= 1 ? r.algBw * allReduceBusFactor(r.ranks) : r.algBw;
}

void setAllTimes(Record& r, double us) { r.time = TimeStatsUs{us, us, us, us, us}; }

// "./build/all_reduce_perf" -> "allreduce"
std::string collectiveFromProgram(std::string program) {
  if (const auto slash = program.find_last_of('/'); slash != std::string::npos) program = program.substr(slash + 1);
  if (program.size() > 5 && program.ends_with("_perf")) program.resize(program.size() - 5);
  program.erase(std::remove(program.begin(), program.end(), '_'), program.end());
  return program;
}

}  // namespace

InputFormat parseInputFormat(std::string_view name) {
  if (name == "auto") return InputFormat::kAuto;
  if (name == "ccbench" || name == "schema") return InputFormat::kSchema;
  if (name == "nccl-tests" || name == "nccl") return InputFormat::kNcclTests;
  if (name == "gbench" || name == "google-benchmark") return InputFormat::kGoogleBenchmark;
  throw UsageError("unknown input format '" + std::string(name) + "' (accepted: auto, ccbench, nccl-tests, gbench)");
}

std::string_view inputFormatName(InputFormat format) {
  switch (format) {
    case InputFormat::kAuto:
      return "auto";
    case InputFormat::kSchema:
      return "ccbench";
    case InputFormat::kNcclTests:
      return "nccl-tests";
    case InputFormat::kGoogleBenchmark:
      return "gbench";
  }
  CCB_CHECK(false);
}

json parseJsonText(std::string_view text, const std::string& source) {
  try {
    return json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    // parse_error for broken syntax, out_of_range for numbers beyond double (found by the fuzzer).
    // nlohmann's message names the byte offset; keep it on the one line.
    fail(source, std::string("not valid JSON (truncated or malformed): ") + e.what());
  }
}

InputFormat detectFormat(const json& doc, const std::string& source) {
  if (!doc.is_object()) fail(source, "not a results document (expected a JSON object)");
  if (doc.contains("schema")) return InputFormat::kSchema;
  if (doc.contains("benchmarks")) return InputFormat::kGoogleBenchmark;
  if (doc.contains("results") && (doc.contains("nccl_version") || doc.contains("config"))) {
    return InputFormat::kNcclTests;
  }
  fail(source, "unrecognised document: expected a ccbench document (\"schema\"), nccl-tests -J output "
               "(\"results\") or Google Benchmark JSON (\"benchmarks\")");
}

std::vector<Record> recordsFromSchemaDocument(const json& doc, const std::string& source) {
  if (!doc.is_object()) fail(source, "not a ccbench document (expected a JSON object)");
  const auto schema = doc.find("schema");
  if (schema == doc.end()) fail(source, "missing field \"schema\"");
  if (!schema->is_number_integer() || schema->get<long long>() != kSchemaVersion) {
    fail(source, "unsupported schema " + schema->dump() + " (this build reads schema " + std::to_string(kSchemaVersion) + ")");
  }
  const auto kind = doc.find("kind");
  if (kind == doc.end()) fail(source, "missing field \"kind\"");
  if (!kind->is_string() || (*kind != "measured" && *kind != "predicted" && *kind != "comparison")) {
    fail(source, "unknown kind " + kind->dump() + " (expected measured, predicted or comparison)");
  }
  if (*kind == "comparison") fail(source, "is a comparison document; give a measured or predicted one");
  const auto records = doc.find("records");
  if (records == doc.end() || !records->is_array()) fail(source, "missing or malformed field \"records\" (expected an array)");
  std::vector<Record> out;
  std::size_t index = 0;
  for (const json& j : *records) {
    out.push_back(withSource(source + ": records[" + std::to_string(index) + "]", [&] { return recordFromJson(j); }));
    ++index;
  }
  return out;
}

// ---- nccl-tests ----

namespace {

int ncclTestsRanks(const json& doc, const std::string& source) {
  const json* config = optionalField(doc, "nccl-tests", "config");
  if (config == nullptr || !config->is_object()) return 0;
  const json* devices = optionalField(*config, "config", "devices");
  if (devices == nullptr || !devices->is_array() || devices->empty()) return 0;
  // One device line per process; each process drives nthreads * ngpus ranks.
  long long perProcess = 1;
  for (const char* key : {"nthreads", "ngpus"}) {
    if (const json* v = optionalField(*config, "config", key); v != nullptr) {
      if (!v->is_number_integer() || v->get<long long>() < 1 || v->get<long long>() > 4096) {
        fail(source, std::string("field \"config.") + key + "\" must be a positive integer");
      }
      perProcess *= v->get<long long>();
    }
  }
  const long long ranks = static_cast<long long>(devices->size()) * perProcess;
  if (ranks > (1 << 20)) fail(source, "implausible rank count " + std::to_string(ranks));
  return static_cast<int>(ranks);
}

}  // namespace

std::vector<Record> recordsFromNcclTests(const json& doc, const ReaderOptions& opt, const std::string& source) {
  if (!doc.is_object()) fail(source, "not an nccl-tests document (expected a JSON object)");
  const json* results = optionalField(doc, "nccl-tests", "results");
  if (results == nullptr || !results->is_array()) fail(source, "missing or malformed field \"results\" (expected an array)");
  const int ranks = opt.ranks > 0 ? opt.ranks : ncclTestsRanks(doc, source);
  if (ranks < 1) fail(source, "cannot tell the rank count (no \"config.devices\"); give --ranks");
  std::string collective = opt.collective;
  if (collective.empty()) {
    collective = "allreduce";
    if (const json* args = optionalField(doc, "nccl-tests", "args"); args != nullptr && args->is_array() &&
                                                                      !args->empty() && args->front().is_string()) {
      collective = collectiveFromProgram(args->front().get<std::string>());
    }
  }
  const std::string variant = opt.inPlace ? "in_place" : "out_of_place";
  std::vector<Record> out;
  std::size_t index = 0;
  for (const json& row : *results) {
    const std::string where = "results[" + std::to_string(index++) + "]";
    withSource(source, [&] {
      Record r;
      r.collective = collective;
      r.algo = opt.algo.empty() ? "nccl" : opt.algo;
      r.ranks = ranks;
      r.bytes = static_cast<std::uint64_t>(requireInteger(row, where, "size", 0, std::int64_t{1} << 50));
      r.count = static_cast<std::uint64_t>(requireInteger(row, where, "count", 0, std::int64_t{1} << 50));
      r.dtype = parseDType(requireString(row, where, "type"));
      r.op = parseOp(requireString(row, where, "redop"));
      r.inPlace = opt.inPlace;
      if (const json* iters = optionalField(row, where, "actual_iterations"); iters != nullptr && iters->is_number_integer()) {
        r.iters = static_cast<int>(std::clamp<long long>(iters->get<long long>(), 0, 1 << 30));
      }
      const json* body = optionalField(row, where, variant);
      if (body == nullptr || body->is_null()) return 0;  // nccl-tests leaves a column null when not run
      const std::string bodyWhere = where + "." + variant;
      const json* time = optionalField(*body, bodyWhere, "time");
      if (time == nullptr) time = optionalField(*body, bodyWhere, "cpu_time");
      if (time == nullptr) fail(source, "missing field \"" + bodyWhere + ".time\"");
      if (!isNumber(time)) return 0;  // "nan": nccl-tests writes NaN times as a string; no point to compare
      const double us = time->get<double>();
      if (!(us > 0)) fail(source, "field \"" + bodyWhere + ".time\" must be > 0");
      setAllTimes(r, us);
      fillDerived(r);
      const json* algBw = optionalField(*body, bodyWhere, "alg_bw");
      if (isNumber(algBw)) r.algBw = algBw->get<double>();
      const json* busBw = optionalField(*body, bodyWhere, "bus_bw");
      if (isNumber(busBw)) r.busBw = busBw->get<double>();
      const json* wrong = optionalField(*body, bodyWhere, "nwrong");
      r.nwrong = isNumber(wrong) ? static_cast<long long>(std::clamp(wrong->get<double>(), 0.0, 9e18)) : -1;
      out.push_back(r);
      return 0;
    });
  }
  return out;
}

// ---- Google Benchmark ----

namespace {

double unitToUs(const std::string& unit, const std::string& source) {
  if (unit == "ns") return 1e-3;
  if (unit == "us") return 1;
  if (unit == "ms") return 1e3;
  if (unit == "s") return 1e6;
  fail(source, "unknown time_unit '" + unit + "' (expected ns, us, ms or s)");
}

// "BM_AllReduce/ring/bytes:1024/ranks:2" -> parts; named arguments "key:value" and plain integers.
struct NameParts {
  std::string family;
  std::map<std::string, std::string> named;
  std::vector<std::string> plain;
};

NameParts splitName(const std::string& name) {
  NameParts parts;
  std::size_t start = 0;
  bool first = true;
  while (start <= name.size()) {
    const std::size_t slash = name.find('/', start);
    const std::string piece = name.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (first) {
      parts.family = piece.rfind("BM_", 0) == 0 ? piece.substr(3) : piece;
      first = false;
    } else if (const auto colon = piece.find(':'); colon != std::string::npos) {
      parts.named[piece.substr(0, colon)] = piece.substr(colon + 1);
    } else {
      parts.plain.push_back(piece);
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

std::optional<std::uint64_t> integerText(const std::string& text) {
  if (text.empty() || text.size() > 18 || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  return std::stoull(text);
}

// A value from a counter of the entry, else from a named argument of its name.
std::optional<double> lookup(const json& entry, const NameParts& parts, const std::string& key) {
  if (const auto it = entry.find(key); it != entry.end() && isNumber(&*it)) return it->get<double>();
  if (const auto it = parts.named.find(key); it != parts.named.end()) {
    if (auto v = integerText(it->second)) return static_cast<double>(*v);
  }
  return std::nullopt;
}

struct GbenchPoint {
  Record record;
  std::vector<double> iterationUs;  // repetitions of plain runs
  std::optional<double> medianUs;   // the "median" aggregate when present
  std::optional<double> meanUs;     // the "mean" aggregate when present
};

}  // namespace

std::vector<Record> recordsFromGoogleBenchmark(const json& doc, const ReaderOptions& opt, const std::string& source) {
  if (!doc.is_object()) fail(source, "not a Google Benchmark document (expected a JSON object)");
  const json* benchmarks = optionalField(doc, "gbench", "benchmarks");
  if (benchmarks == nullptr || !benchmarks->is_array()) {
    fail(source, "missing or malformed field \"benchmarks\" (expected an array)");
  }
  std::map<std::string, GbenchPoint> points;  // by run name, in name order
  std::vector<std::string> order;
  std::size_t index = 0;
  for (const json& entry : *benchmarks) {
    const std::string where = "benchmarks[" + std::to_string(index++) + "]";
    withSource(source, [&] {
      const std::string name = requireString(entry, where, "name");
      std::string runName = name;
      if (const json* rn = optionalField(entry, where, "run_name"); rn != nullptr && rn->is_string()) {
        runName = rn->get<std::string>();
      }
      const NameParts parts = splitName(runName);
      const double timeUs = requireNumber(entry, where, "real_time") *
                            unitToUs(optionalField(entry, where, "time_unit") != nullptr
                                         ? requireString(entry, where, "time_unit")
                                         : std::string("ns"),
                                     source);
      std::string runType = "iteration";
      if (optionalField(entry, where, "run_type") != nullptr) runType = requireString(entry, where, "run_type");
      std::string aggregate;
      if (optionalField(entry, where, "aggregate_name") != nullptr) aggregate = requireString(entry, where, "aggregate_name");
      if (runType == "aggregate" && aggregate != "median" && aggregate != "mean") return 0;  // stddev, cv, ...
      if (points.find(runName) == points.end()) {
        Record r;
        r.collective = opt.collective.empty() ? "allreduce" : opt.collective;
        r.algo = opt.algo.empty() ? parts.family : opt.algo;
        std::optional<double> bytes = lookup(entry, parts, "bytes");
        if (!bytes && !parts.plain.empty()) {
          if (auto v = integerText(parts.plain.back())) bytes = static_cast<double>(*v);
        }
        if (!bytes || *bytes < 0 || *bytes > 1e15) fail(source, where + " (" + name + "): no byte size (a \"bytes\" counter or a trailing /N)");
        r.bytes = static_cast<std::uint64_t>(*bytes);
        std::optional<double> ranks = lookup(entry, parts, "ranks");
        if (opt.ranks > 0) ranks = opt.ranks;
        if (!ranks || *ranks < 1 || *ranks > (1 << 20)) fail(source, where + " (" + name + "): no rank count (a \"ranks\" counter or --ranks)");
        r.ranks = static_cast<int>(*ranks);
        r.dtype = opt.dtype;
        if (const auto it = parts.named.find("dtype"); it != parts.named.end()) r.dtype = parseDType(it->second);
        r.count = r.bytes / dtypeSize(r.dtype);
        if (const json* iters = optionalField(entry, where, "iterations"); iters != nullptr && iters->is_number_integer()) {
          r.iters = static_cast<int>(std::clamp<long long>(iters->get<long long>(), 0, 1 << 30));
        }
        points[runName].record = r;
        order.push_back(runName);
      }
      GbenchPoint& p = points[runName];
      if (runType == "aggregate") {
        (aggregate == "median" ? p.medianUs : p.meanUs) = timeUs;
      } else {
        p.iterationUs.push_back(timeUs);
      }
      return 0;
    });
  }
  std::vector<Record> out;
  for (const std::string& runName : order) {
    GbenchPoint& p = points[runName];
    Record r = p.record;
    if (p.medianUs || p.meanUs) {
      setAllTimes(r, p.medianUs ? *p.medianUs : *p.meanUs);
    } else if (!p.iterationUs.empty()) {
      r.time = summarize(p.iterationUs);  // repetitions without aggregates: summarise them ourselves
    } else {
      continue;
    }
    if (!(r.time.median > 0)) fail(source, runName + ": time must be > 0");
    fillDerived(r);
    out.push_back(r);
  }
  return out;
}

std::vector<Record> readRecords(const json& doc, InputFormat format, const ReaderOptions& options,
                                const std::string& source) {
  if (format == InputFormat::kAuto) format = detectFormat(doc, source);
  switch (format) {
    case InputFormat::kSchema:
      return recordsFromSchemaDocument(doc, source);
    case InputFormat::kNcclTests:
      return recordsFromNcclTests(doc, options, source);
    case InputFormat::kGoogleBenchmark:
      return recordsFromGoogleBenchmark(doc, options, source);
    case InputFormat::kAuto:
      break;
  }
  CCB_CHECK(false);
}

}  // namespace ccb::sim
