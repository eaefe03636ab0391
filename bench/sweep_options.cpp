#include "bench/sweep_options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

#include "core/error.h"
#include "core/units.h"

namespace ccb {
namespace {

std::string singleQuoted(std::string_view text) { return "'" + std::string(text) + "'"; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// "all" or a comma list of names, each parsed by `parse` (parseDType, parseOp), duplicates dropped.
template <typename T, std::size_t N, typename Parse>
std::vector<T> parseNameList(std::string_view text, std::string_view flag, const std::array<T, N>& all,
                             Parse parse) {
  if (trim(text) == "all") return std::vector<T>(all.begin(), all.end());
  std::vector<T> values;
  for (const std::string& name : splitList(text)) {
    T value;
    try {
      value = parse(name);
    } catch (const UsageError& e) {
      throw UsageError(std::string(flag) + ": " + e.what());
    }
    if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
  }
  if (values.empty()) throw UsageError(std::string(flag) + " needs at least one name (or 'all')");
  return values;
}

std::vector<bool> parsePlacements(std::string_view text) {
  const std::string_view value = trim(text);
  if (value == "0") return {false};
  if (value == "1") return {true};
  if (value == "both") return {false, true};
  throw UsageError("--inplace must be 0 (out-of-place), 1 (in-place) or both, got " + singleQuoted(text));
}

bool parseCheck(std::string_view text) {
  const std::string_view value = trim(text);
  if (value == "0") return false;
  if (value == "1") return true;
  throw UsageError("--check must be 0 or 1, got " + singleQuoted(text));
}

// Capped at a day so that now + timeout stays far from the clock's range.
double parseTimeout(std::string_view text) {
  constexpr double kMaxSeconds = 86400;
  const std::string value(trim(text));
  double seconds = 0;
  const auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (err != std::errc() || end != value.data() + value.size() || !(seconds > 0 && seconds <= kMaxSeconds)) {
    throw UsageError("--timeout must be a positive number of seconds up to 86400, got " + singleQuoted(text));
  }
  return seconds;
}

// A size must hold whole elements of every dtype in the sweep; the factor is an integer, so checking
// both ends covers every size in between.
void checkDivisible(std::uint64_t bytes, std::string_view flag, const std::vector<DType>& dtypes) {
  for (DType dtype : dtypes) {
    if (bytes % dtypeSize(dtype) != 0) {
      throw UsageError(std::string(flag) + " " + std::to_string(bytes) + " does not divide into " +
                       std::string(dtypeName(dtype)) + " elements of " + std::to_string(dtypeSize(dtype)) +
                       " bytes");
    }
  }
}

}  // namespace

std::vector<std::string> splitList(std::string_view text) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = trim(text.substr(start, comma - start));
    if (!item.empty()) items.emplace_back(item);
    start = comma + 1;
  }
  return items;
}

std::string joinList(const std::vector<std::string>& items, std::string_view separator) {
  std::string text;
  for (const std::string& item : items) {
    if (!text.empty()) text += separator;
    text += item;
  }
  return text;
}

int parseIntFlag(std::string_view text, std::string_view flag, int minValue) {
  const std::string_view value = trim(text);
  int result = 0;
  const auto [end, err] = std::from_chars(value.data(), value.data() + value.size(), result);
  if (err != std::errc() || end != value.data() + value.size() || value.empty() || result < minValue) {
    throw UsageError(std::string(flag) + " must be an integer >= " + std::to_string(minValue) + ", got " +
                     singleQuoted(text));
  }
  return result;
}

void addSweepFlags(CLI::App& app, SweepFlags& flags) {
  // A flag given twice keeps its last value, as with getopt (nccl-tests): scripts can append overrides.
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("-b,--minbytes", flags.minBytes, "smallest size in bytes (K/M/G suffixes)")
      ->capture_default_str();
  app.add_option("-e,--maxbytes", flags.maxBytes, "largest size in bytes (K/M/G suffixes)")->capture_default_str();
  app.add_option("-f,--stepfactor", flags.stepFactor, "multiply the size by this integer (>= 2) each step")
      ->capture_default_str();
  app.add_option("-n,--iters", flags.iters, "timed iterations per size")->capture_default_str();
  app.add_option("-w,--warmup", flags.warmup, "untimed iterations per size before the timed ones")
      ->capture_default_str();
  app.add_option("-c,--check", flags.check, "1: verify one run per size and count wrong elements; 0: skip")
      ->capture_default_str();
  app.add_option("-d,--datatype", flags.dtypes,
                 "float32|float64|float16|bfloat16|int32|int64 (aliases: float, double, half, bf16, int, ...), "
                 "a comma list or all")
      ->capture_default_str();
  app.add_option("-o,--op", flags.ops, "sum|prod|min|max|avg, a comma list or all")->capture_default_str();
  app.add_option("--inplace", flags.inPlace, "0: out-of-place, 1: in-place, both: each size both ways")
      ->capture_default_str();
  app.add_option("--timeout", flags.timeoutS, "seconds one collective may take before the run stops")
      ->capture_default_str();
  app.add_option("--json", flags.jsonPath, "write results to this file (rewritten after each size)");
}

SweepOptions validateSweepFlags(const SweepFlags& flags) {
  SweepOptions options;
  options.dtypes = parseNameList(flags.dtypes, "--datatype", kAllDTypes, parseDType);
  options.ops = parseNameList(flags.ops, "--op", kAllOps, parseOp);
  options.minBytes = parseBytes(flags.minBytes, "--minbytes");
  options.maxBytes = parseBytes(flags.maxBytes, "--maxbytes");
  if (options.minBytes == 0) throw UsageError("--minbytes must be at least 1 byte, got " + singleQuoted(flags.minBytes));
  if (options.maxBytes == 0) throw UsageError("--maxbytes must be at least 1 byte, got " + singleQuoted(flags.maxBytes));
  if (options.minBytes > options.maxBytes) {
    throw UsageError("--minbytes " + std::to_string(options.minBytes) + " is larger than --maxbytes " +
                     std::to_string(options.maxBytes));
  }
  checkDivisible(options.minBytes, "--minbytes", options.dtypes);
  checkDivisible(options.maxBytes, "--maxbytes", options.dtypes);
  options.stepFactor = parseIntFlag(flags.stepFactor, "--stepfactor", 2);
  options.iters = parseIntFlag(flags.iters, "--iters", 1);
  options.warmup = parseIntFlag(flags.warmup, "--warmup", 0);
  options.check = parseCheck(flags.check);
  options.inPlace = parsePlacements(flags.inPlace);
  options.timeoutS = parseTimeout(flags.timeoutS);
  options.jsonPath = flags.jsonPath;
  return options;
}

std::vector<std::uint64_t> sweepSizes(const SweepOptions& options) {
  CCB_CHECK_OP(options.stepFactor, >=, 2);
  std::vector<std::uint64_t> sizes;
  for (std::uint64_t bytes = options.minBytes; bytes <= options.maxBytes; bytes *= options.stepFactor) {
    sizes.push_back(bytes);
    // Stop before the multiplication could overflow.
    if (bytes > std::numeric_limits<std::uint64_t>::max() / static_cast<std::uint64_t>(options.stepFactor)) break;
  }
  return sizes;
}

nlohmann::json sweepConfigJson(const SweepOptions& options) {
  nlohmann::json dtypes = nlohmann::json::array();
  for (DType dtype : options.dtypes) dtypes.push_back(dtypeName(dtype));
  nlohmann::json ops = nlohmann::json::array();
  for (ReduceOp op : options.ops) ops.push_back(opName(op));
  return {{"minbytes", options.minBytes}, {"maxbytes", options.maxBytes}, {"stepfactor", options.stepFactor},
          {"iters", options.iters},       {"warmup", options.warmup},     {"check", options.check},
          {"dtypes", dtypes},             {"ops", ops},                   {"in_place", options.inPlace},
          {"timeout_s", options.timeoutS}};
}

}  // namespace ccb
