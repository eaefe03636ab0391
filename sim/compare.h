// ccsim compare: joins measured and predicted records on (collective, algo, ranks, dtype, bytes) and says
// how far the model is from the measurements, per point and in summary (schema.md, "Comparison").
// Training records ("train") also join on their straggler factor (extra.straggler.factor, 1 when null), and
// a backup_ps / ssp_ps pair whose "backup" / "staleness_bound" differ is not joined. Beyond the median time,
// a point compares what both records carry: per-bucket finish times (overlap: extra.buckets[j].finish_us),
// and the metrics updates_per_s (train), exposed_fraction and overhead_fraction (overlap).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result_json.h"

namespace ccb::sim {

struct CompareOptions {
  // Regime of a point when the predicted record carries none: below this size "latency", else "bandwidth".
  std::uint64_t regimeThresholdBytes = 64 * 1024;
  // Measured algorithm name -> predicted name (e.g. "nccl" -> "ring" for nccl-tests input).
  std::map<std::string, std::string> algoMap;
};

// One secondary quantity of a point, measured and predicted.
struct MetricError {
  std::string name;  // "updates_per_s", "exposed_fraction", "bucket 3 finish_us", ...
  double measured = 0;
  double predicted = 0;
  double relError = 0;  // (predicted - measured) / measured; 0 when measured is 0
};

struct ComparedPoint {
  std::string collective;
  std::string algo;
  std::string variant;  // train: "straggler x3" (a factor other than 1), else empty
  int ranks = 0;
  DType dtype = DType::kFloat32;
  ReduceOp op = ReduceOp::kSum;
  std::uint64_t bytes = 0;
  double measuredUs = 0;
  double predictedUs = 0;
  double relError = 0;  // (predicted - measured) / measured
  std::string regime;   // "latency" | "bandwidth"
  std::vector<MetricError> buckets;  // finish time of bucket j, when both records list the same number
  std::vector<MetricError> metrics;  // named secondary metrics both records carry
};

// Absolute percentage errors as fractions (0.04 = 4%).
struct ErrorSummary {
  std::size_t points = 0;
  double medianApe = 0;
  double p90Ape = 0;  // nearest rank
  double maxApe = 0;
  double geomeanApe = 0;  // exp(mean(log ape)), ape floored at 1e-9 so an exact hit does not give 0
};

// For one (collective, ranks, dtype, bytes) measured with two or more algorithms: the fastest one measured
// and the fastest one predicted among the same algorithms.
struct FastestPick {
  std::string collective;
  int ranks = 0;
  DType dtype = DType::kFloat32;
  std::uint64_t bytes = 0;
  std::string measured;
  std::string predicted;
};

struct Comparison {
  std::vector<ComparedPoint> points;  // sorted by (collective, algo, ranks, dtype, bytes)
  ErrorSummary all;
  std::map<std::string, ErrorSummary> byRegime;
  std::vector<FastestPick> fastest;
  std::size_t agree = 0;  // entries of `fastest` where both pick the same algorithm
  std::size_t duplicatesIgnored = 0;  // measured or predicted points with a key seen before
  std::size_t mismatchedSettings = 0;  // train pairs whose backup or staleness bound differ (not joined)
  ErrorSummary bucketFinish;           // over every compared bucket finish time
  std::map<std::string, ErrorSummary> byMetric;
};

// Median times are compared. When several measured records share a key, an out-of-place one is preferred,
// then the first; the rest are counted in duplicatesIgnored. Throws UsageError when no point is in common.
Comparison compareRecords(const std::vector<Record>& measured, const std::vector<Record>& predicted,
                          const CompareOptions& options);

ErrorSummary summarizeErrors(const std::vector<double>& relErrors);

// Schema-1 comparison record and summary objects.
nlohmann::json toJson(const ComparedPoint& point);
nlohmann::json summaryJson(const Comparison& comparison);
// A table for people: one line per point, then the summary.
std::string comparisonTable(const Comparison& comparison);

}  // namespace ccb::sim
