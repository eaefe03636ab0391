// The JSON schema 1 module: one place that turns contexts and records into JSON and back, and that writes
// documents atomically. The schema itself is documented in results/README.md.
#include "core/result_json.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "core/error.h"

namespace ccb {
namespace {

using nlohmann::json;

// Readers below name the field they reject as "<where>.<key>", e.g. "record.time.p99", so a user can find
// it in the file.
std::string fieldName(std::string_view where, std::string_view key) {
  return std::string(where) + "." + std::string(key);
}

const json& requireField(const json& object, std::string_view where, std::string_view key) {
  if (!object.is_object()) throw UsageError(std::string(where) + ": expected a JSON object");
  auto it = object.find(key);
  if (it == object.end()) throw UsageError("missing field \"" + fieldName(where, key) + "\"");
  return *it;
}

[[noreturn]] void badType(std::string_view where, std::string_view key, std::string_view expected,
                          const json& value) {
  throw UsageError("field \"" + fieldName(where, key) + "\" must be " + std::string(expected) + ", got " +
                   value.dump());
}

std::string getString(const json& object, std::string_view where, std::string_view key) {
  const json& value = requireField(object, where, key);
  if (!value.is_string()) badType(where, key, "a string", value);
  return value.get<std::string>();
}

bool getBool(const json& object, std::string_view where, std::string_view key) {
  const json& value = requireField(object, where, key);
  if (!value.is_boolean()) badType(where, key, "true or false", value);
  return value.get<bool>();
}

double getDouble(const json& object, std::string_view where, std::string_view key) {
  const json& value = requireField(object, where, key);
  if (!value.is_number()) badType(where, key, "a number", value);
  return value.get<double>();
}

long long getInt(const json& object, std::string_view where, std::string_view key) {
  const json& value = requireField(object, where, key);
  // Unsigned values above the signed range are rejected too: no field of schema 1 holds such a number.
  if (!value.is_number_integer() ||
      (value.is_number_unsigned() &&
       value.get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<long long>::max()))) {
    badType(where, key, "an integer", value);
  }
  return value.get<long long>();
}

int getIntInRange(const json& object, std::string_view where, std::string_view key) {
  const long long value = getInt(object, where, key);
  if (value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max()) {
    badType(where, key, "an integer that fits in 32 bits", object.at(std::string(key)));
  }
  return static_cast<int>(value);
}

std::uint64_t getUint(const json& object, std::string_view where, std::string_view key) {
  const json& value = requireField(object, where, key);
  if (!value.is_number_unsigned()) badType(where, key, "a non-negative integer", value);
  return value.get<std::uint64_t>();
}

// Parses a name with `parse` (parseDType, parseOp), prefixing its error with the field it came from.
template <typename Parse>
auto getNamed(const json& object, std::string_view where, std::string_view key, Parse parse) {
  const std::string name = getString(object, where, key);
  try {
    return parse(name);
  } catch (const UsageError& e) {
    throw UsageError("field \"" + fieldName(where, key) + "\": " + e.what());
  }
}

json toJson(const TimeStatsUs& time) {
  return {{"min", time.min}, {"median", time.median}, {"mean", time.mean}, {"p99", time.p99}, {"max", time.max}};
}

TimeStatsUs timeStatsFromJson(const json& j, std::string_view where) {
  TimeStatsUs time;
  time.min = getDouble(j, where, "min");
  time.median = getDouble(j, where, "median");
  time.mean = getDouble(j, where, "mean");
  time.p99 = getDouble(j, where, "p99");
  time.max = getDouble(j, where, "max");
  return time;
}

// The keys toJson(Record) writes itself; every other key of a record object belongs to Record::extra.
constexpr std::string_view kRecordKeys[] = {"collective", "algo",  "ranks", "dtype",  "op",     "bytes", "count",
                                            "in_place",   "iters", "time",  "alg_bw", "bus_bw", "nwrong"};

bool isRecordKey(std::string_view key) {
  for (std::string_view known : kRecordKeys) {
    if (key == known) return true;
  }
  return false;
}

std::string errnoText(int err) { return std::strerror(err); }

// A temporary name next to `target` (same folder, so rename() is atomic), unique within this machine: the
// pid separates processes, the counter separates writes of one process.
std::filesystem::path temporaryPathFor(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  std::filesystem::path temp = target;
  temp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  return temp;
}

}  // namespace

std::string_view docKindName(DocKind kind) {
  switch (kind) {
    case DocKind::kMeasured:
      return "measured";
    case DocKind::kPredicted:
      return "predicted";
    case DocKind::kComparison:
      return "comparison";
  }
  CCB_CHECK(false);
}

json toJson(const RunContext& context) {
  return {{"tool", context.tool},
          {"version", context.version},
          {"git_revision", context.gitRevision},
          {"date", context.date},
          {"command", context.command},
          {"hosts", context.hosts},
          {"ranks", context.ranks},
          {"ranks_per_host", context.ranksPerHost},
          {"cores_per_host", context.coresPerHost},
          {"oversubscribed", context.oversubscribed},
          {"mpi_library", context.mpiLibrary},
          {"device", context.device},
          {"env", context.env}};
}

RunContext runContextFromJson(const json& j) {
  constexpr std::string_view kWhere = "context";
  RunContext context;
  context.tool = getString(j, kWhere, "tool");
  context.version = getString(j, kWhere, "version");
  context.gitRevision = getString(j, kWhere, "git_revision");
  context.date = getString(j, kWhere, "date");
  context.command = getString(j, kWhere, "command");
  const json& hosts = requireField(j, kWhere, "hosts");
  if (!hosts.is_array()) badType(kWhere, "hosts", "an array of strings", hosts);
  for (const json& host : hosts) {
    if (!host.is_string()) badType(kWhere, "hosts", "an array of strings", hosts);
    context.hosts.push_back(host.get<std::string>());
  }
  context.ranks = getIntInRange(j, kWhere, "ranks");
  context.ranksPerHost = getIntInRange(j, kWhere, "ranks_per_host");
  context.coresPerHost = getIntInRange(j, kWhere, "cores_per_host");
  context.oversubscribed = getBool(j, kWhere, "oversubscribed");
  context.mpiLibrary = getString(j, kWhere, "mpi_library");
  context.device = getString(j, kWhere, "device");
  const json& env = requireField(j, kWhere, "env");
  if (!env.is_object()) badType(kWhere, "env", "an object of strings", env);
  for (const auto& [name, value] : env.items()) {
    if (!value.is_string()) badType(kWhere, "env", "an object of strings", env);
    context.env[name] = value.get<std::string>();
  }
  return context;
}

json toJson(const Record& record) {
  json j = {{"collective", record.collective},
            {"algo", record.algo},
            {"ranks", record.ranks},
            {"dtype", dtypeName(record.dtype)},
            {"op", opName(record.op)},
            {"bytes", record.bytes},
            {"count", record.count},
            {"in_place", record.inPlace},
            {"iters", record.iters},
            {"time", toJson(record.time)},
            {"alg_bw", record.algBw},
            {"bus_bw", record.busBw},
            {"nwrong", record.nwrong}};
  // Extras sit next to the schema's keys (e.g. "model" in predicted records) but never replace them.
  if (record.extra.is_object()) {
    for (const auto& [key, value] : record.extra.items()) {
      CCB_CHECK(!isRecordKey(key));
      j[key] = value;
    }
  }
  return j;
}

Record recordFromJson(const json& j) {
  constexpr std::string_view kWhere = "record";
  Record record;
  record.collective = getString(j, kWhere, "collective");
  record.algo = getString(j, kWhere, "algo");
  record.ranks = getIntInRange(j, kWhere, "ranks");
  record.dtype = getNamed(j, kWhere, "dtype", parseDType);
  record.op = getNamed(j, kWhere, "op", parseOp);
  record.bytes = getUint(j, kWhere, "bytes");
  record.count = getUint(j, kWhere, "count");
  record.inPlace = getBool(j, kWhere, "in_place");
  record.iters = getIntInRange(j, kWhere, "iters");
  record.time = timeStatsFromJson(requireField(j, kWhere, "time"), "record.time");
  record.algBw = getDouble(j, kWhere, "alg_bw");
  record.busBw = getDouble(j, kWhere, "bus_bw");
  record.nwrong = getInt(j, kWhere, "nwrong");
  for (const auto& [key, value] : j.items()) {
    if (!isRecordKey(key)) record.extra[key] = value;
  }
  return record;
}

json makeDocument(DocKind kind, const RunContext& context, json config) {
  if (config.is_null()) config = json::object();
  CCB_CHECK(config.is_object());
  json doc = {{"schema", kSchemaVersion},
              {"kind", docKindName(kind)},
              {"context", toJson(context)},
              {"config", std::move(config)},
              {"records", json::array()}};
  if (kind == DocKind::kComparison) doc["summary"] = json::object();
  return doc;
}

void writeJsonAtomic(const std::string& path, const json& doc) {
  const std::filesystem::path target(path);
  if (std::filesystem::is_directory(target)) throw UsageError("cannot write JSON to '" + path + "': it is a folder");
  const std::filesystem::path temp = temporaryPathFor(target);
  const std::string text = doc.dump(2) + "\n";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw UsageError("cannot write JSON to '" + path + "': " + errnoText(errno));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      const int err = errno;
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      throw UsageError("cannot write JSON to '" + path + "': " + errnoText(err));
    }
  }
  // rename() replaces the target in one step: a reader sees the old document or the new one, never a mix.
  if (std::rename(temp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    std::error_code ignored;
    std::filesystem::remove(temp, ignored);
    throw UsageError("cannot write JSON to '" + path + "': " + errnoText(err));
  }
}

json readDocument(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(path + ": cannot open: " + errnoText(errno));
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {  // parse_error, and out_of_range for numbers such as 1e999
    throw UsageError(path + ": not valid JSON (truncated or malformed): " + e.what());
  }
  if (!doc.is_object()) throw UsageError(path + ": not a ccbench document (expected a JSON object)");
  if (!doc.contains("schema")) throw UsageError(path + ": missing field \"schema\"");
  const json& schema = doc["schema"];
  if (!schema.is_number_integer() || schema.get<long long>() != kSchemaVersion) {
    throw UsageError(path + ": unsupported schema " + schema.dump() + " (this build reads schema " +
                     std::to_string(kSchemaVersion) + ")");
  }
  if (!doc.contains("kind")) throw UsageError(path + ": missing field \"kind\"");
  const json& kind = doc["kind"];
  bool knownKind = false;
  for (DocKind k : {DocKind::kMeasured, DocKind::kPredicted, DocKind::kComparison}) {
    if (kind.is_string() && kind.get<std::string>() == docKindName(k)) knownKind = true;
  }
  if (!knownKind) {
    throw UsageError(path + ": unknown kind " + kind.dump() + " (expected measured, predicted or comparison)");
  }
  if (!doc.contains("context") || !doc["context"].is_object()) {
    throw UsageError(path + ": missing or malformed field \"context\" (expected an object)");
  }
  if (!doc.contains("records") || !doc["records"].is_array()) {
    throw UsageError(path + ": missing or malformed field \"records\" (expected an array)");
  }
  return doc;
}

DocumentWriter::DocumentWriter(std::string path, json document)
    : path_(std::move(path)), document_(std::move(document)) {
  CCB_CHECK(document_.is_object() && document_.contains("records") && document_["records"].is_array());
  writeJsonAtomic(path_, document_);
}

void DocumentWriter::append(const json& record) {
  document_["records"].push_back(record);
  writeJsonAtomic(path_, document_);
}

}  // namespace ccb
