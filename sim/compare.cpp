#include "sim/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>
#include <tuple>

#include "core/error.h"
#include "core/stats.h"
#include "core/units.h"

namespace ccb::sim {

using nlohmann::json;

namespace {

// collective, algo, variant, ranks, dtype, bytes
using Key = std::tuple<std::string, std::string, std::string, int, int, std::uint64_t>;

// A number, or a statistic written as {"median": ...}; nullopt otherwise.
std::optional<double> medianOf(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_object()) {
    const auto it = value.find("median");
    if (it != value.end() && it->is_number()) return it->get<double>();
  }
  return std::nullopt;
}

std::optional<double> extraNumber(const Record& r, const std::string& key) {
  const auto it = r.extra.find(key);
  if (it == r.extra.end()) return std::nullopt;
  return medianOf(*it);
}

// Training runs differ by their straggler beyond the key's fields: the slow worker's factor joins them.
std::string variantOf(const Record& r) {
  if (r.collective != "train") return "";
  const auto it = r.extra.find("straggler");
  if (it == r.extra.end() || !it->is_object()) return "";
  const auto factor = it->find("factor");
  if (factor == it->end() || !factor->is_number() || factor->get<double>() == 1.0) return "";
  char text[48];
  std::snprintf(text, sizeof text, "straggler x%g", factor->get<double>());
  return text;
}

Key keyOf(const Record& r, const std::string& algo) {
  return {r.collective, algo, variantOf(r), r.ranks, static_cast<int>(r.dtype), r.bytes};
}

// Settings of a training strategy that the key does not hold; a pair that disagrees is no comparison.
bool settingsAgree(const Record& m, const Record& p) {
  for (const char* key : {"backup", "staleness_bound", "servers"}) {
    const std::optional<double> a = extraNumber(m, key);
    const std::optional<double> b = extraNumber(p, key);
    if (a && b && *a != *b) return false;
  }
  return true;
}

double relativeError(double measured, double predicted) {
  return measured != 0 ? (predicted - measured) / measured : 0.0;
}

// Per-bucket finish times when both records list the same number of buckets.
std::vector<MetricError> bucketErrors(const Record& m, const Record& p) {
  std::vector<MetricError> out;
  const auto mb = m.extra.find("buckets");
  const auto pb = p.extra.find("buckets");
  if (mb == m.extra.end() || pb == p.extra.end() || !mb->is_array() || !pb->is_array() || mb->size() != pb->size()) {
    return out;
  }
  for (std::size_t j = 0; j < mb->size(); ++j) {
    const json& a = (*mb)[j];
    const json& b = (*pb)[j];
    if (!a.is_object() || !b.is_object() || !a.contains("finish_us") || !b.contains("finish_us")) return {};
    const std::optional<double> ma = medianOf(a["finish_us"]);
    const std::optional<double> pa = medianOf(b["finish_us"]);
    if (!ma || !pa) return {};
    out.push_back({"bucket " + std::to_string(j) + " finish_us", *ma, *pa, relativeError(*ma, *pa)});
  }
  return out;
}

constexpr const char* kMetrics[] = {"updates_per_s", "exposed_fraction", "overhead_fraction"};

std::vector<MetricError> metricErrors(const Record& m, const Record& p) {
  std::vector<MetricError> out;
  for (const char* name : kMetrics) {
    const std::optional<double> a = extraNumber(m, name);
    const std::optional<double> b = extraNumber(p, name);
    if (a && b && std::isfinite(*a) && std::isfinite(*b)) out.push_back({name, *a, *b, relativeError(*a, *b)});
  }
  return out;
}

// Index records by key; an out-of-place record replaces an in-place one, other repeats are counted.
std::map<Key, const Record*> index(const std::vector<Record>& records, const std::map<std::string, std::string>& algoMap,
                                   std::size_t& duplicates) {
  std::map<Key, const Record*> out;
  for (const Record& r : records) {
    const auto mapped = algoMap.find(r.algo);
    const Key key = keyOf(r, mapped == algoMap.end() ? r.algo : mapped->second);
    auto [it, inserted] = out.emplace(key, &r);
    if (inserted) continue;
    ++duplicates;
    if (it->second->inPlace && !r.inPlace) it->second = &r;
  }
  return out;
}

std::string regimeOf(const Record& predicted, std::uint64_t thresholdBytes) {
  if (const auto it = predicted.extra.find("regime"); it != predicted.extra.end() && it->is_string()) {
    const std::string regime = it->get<std::string>();
    if (regime == "latency" || regime == "bandwidth") return regime;
  }
  return predicted.bytes < thresholdBytes ? "latency" : "bandwidth";
}

void pickFastest(Comparison& c) {
  // Group by everything but the algorithm.
  std::map<std::tuple<std::string, std::string, int, int, std::uint64_t>, std::vector<const ComparedPoint*>> groups;
  for (const ComparedPoint& p : c.points) {
    groups[{p.collective, p.variant, p.ranks, static_cast<int>(p.dtype), p.bytes}].push_back(&p);
  }
  for (const auto& [key, members] : groups) {
    if (members.size() < 2) continue;
    auto byMeasured = [](const ComparedPoint* a, const ComparedPoint* b) { return a->measuredUs < b->measuredUs; };
    auto byPredicted = [](const ComparedPoint* a, const ComparedPoint* b) { return a->predictedUs < b->predictedUs; };
    FastestPick pick;
    pick.collective = std::get<0>(key);
    pick.ranks = std::get<2>(key);
    pick.dtype = static_cast<DType>(std::get<3>(key));
    pick.bytes = std::get<4>(key);
    pick.measured = (*std::min_element(members.begin(), members.end(), byMeasured))->algo;
    pick.predicted = (*std::min_element(members.begin(), members.end(), byPredicted))->algo;
    if (pick.measured == pick.predicted) ++c.agree;
    c.fastest.push_back(pick);
  }
}

json toJson(const ErrorSummary& s) {
  return {{"points", s.points},
          {"median_ape", s.medianApe},
          {"p90_ape", s.p90Ape},
          {"max_ape", s.maxApe},
          {"geomean_ape", s.geomeanApe}};
}

}  // namespace

ErrorSummary summarizeErrors(const std::vector<double>& relErrors) {
  ErrorSummary s;
  s.points = relErrors.size();
  if (relErrors.empty()) return s;
  std::vector<double> ape;
  double logSum = 0;
  for (double e : relErrors) {
    ape.push_back(std::abs(e));
    logSum += std::log(std::max(std::abs(e), 1e-9));
  }
  const TimeStatsUs stats = summarize(ape);  // the suite's one median/max, reused for errors
  s.medianApe = stats.median;
  s.maxApe = stats.max;
  std::sort(ape.begin(), ape.end());
  s.p90Ape = percentileSorted(ape, 90);
  s.geomeanApe = std::exp(logSum / static_cast<double>(ape.size()));
  return s;
}

Comparison compareRecords(const std::vector<Record>& measured, const std::vector<Record>& predicted,
                          const CompareOptions& options) {
  Comparison c;
  const auto m = index(measured, options.algoMap, c.duplicatesIgnored);
  const auto p = index(predicted, {}, c.duplicatesIgnored);
  std::vector<double> all;
  std::map<std::string, std::vector<double>> byRegime;
  std::vector<double> bucketRel;
  std::map<std::string, std::vector<double>> metricRel;
  for (const auto& [key, mr] : m) {
    const auto it = p.find(key);
    if (it == p.end()) continue;
    const Record& pr = *it->second;
    if (!settingsAgree(*mr, pr)) {
      ++c.mismatchedSettings;
      continue;
    }
    if (!(mr->time.median > 0)) {
      throw UsageError("compare: measured " + mr->algo + " at " + std::to_string(mr->bytes) + " bytes has time " +
                       std::to_string(mr->time.median) + " us (must be > 0)");
    }
    ComparedPoint point;
    point.collective = std::get<0>(key);
    point.algo = std::get<1>(key);
    point.variant = std::get<2>(key);
    point.ranks = mr->ranks;
    point.dtype = mr->dtype;
    point.op = mr->op;
    point.bytes = mr->bytes;
    point.measuredUs = mr->time.median;
    point.predictedUs = pr.time.median;
    point.relError = (point.predictedUs - point.measuredUs) / point.measuredUs;
    point.regime = regimeOf(pr, options.regimeThresholdBytes);
    point.buckets = bucketErrors(*mr, pr);
    point.metrics = metricErrors(*mr, pr);
    for (const MetricError& b : point.buckets) bucketRel.push_back(b.relError);
    for (const MetricError& e : point.metrics) metricRel[e.name].push_back(e.relError);
    all.push_back(point.relError);
    byRegime[point.regime].push_back(point.relError);
    c.points.push_back(point);
  }
  if (c.points.empty()) {
    throw UsageError("compare: the measured and predicted documents have no (algo, ranks, dtype, bytes) point in "
                     "common (" + std::to_string(measured.size()) + " measured, " + std::to_string(predicted.size()) +
                     " predicted records)");
  }
  c.all = summarizeErrors(all);
  for (const auto& [regime, errors] : byRegime) c.byRegime[regime] = summarizeErrors(errors);
  c.bucketFinish = summarizeErrors(bucketRel);
  for (const auto& [name, errors] : metricRel) c.byMetric[name] = summarizeErrors(errors);
  pickFastest(c);
  return c;
}

json toJson(const ComparedPoint& p) {
  json j = {{"collective", p.collective}, {"algo", p.algo},       {"ranks", p.ranks},
            {"dtype", dtypeName(p.dtype)}, {"op", opName(p.op)},  {"bytes", p.bytes},
            {"measured_us", p.measuredUs}, {"predicted_us", p.predictedUs}, {"rel_error", p.relError},
            {"regime", p.regime}};
  if (!p.variant.empty()) j["variant"] = p.variant;
  if (!p.buckets.empty()) {
    json buckets = json::array();
    for (const MetricError& b : p.buckets) {
      buckets.push_back({{"measured_finish_us", b.measured}, {"predicted_finish_us", b.predicted}, {"rel_error", b.relError}});
    }
    j["buckets"] = buckets;
  }
  for (const MetricError& m : p.metrics) {
    j["metrics"][m.name] = {{"measured", m.measured}, {"predicted", m.predicted}, {"rel_error", m.relError}};
  }
  return j;
}

json summaryJson(const Comparison& c) {
  json s = toJson(c.all);
  json regimes = json::object();
  for (const auto& [regime, summary] : c.byRegime) regimes[regime] = toJson(summary);
  s["by_regime"] = regimes;
  s["fastest_algo_agreement"] = {{"sizes", c.fastest.size()}, {"agree", c.agree}};
  json picks = json::array();
  for (const FastestPick& f : c.fastest) {
    picks.push_back({{"collective", f.collective}, {"ranks", f.ranks}, {"dtype", dtypeName(f.dtype)},
                     {"bytes", f.bytes}, {"measured", f.measured}, {"predicted", f.predicted}});
  }
  s["fastest_algo"] = picks;
  if (c.duplicatesIgnored > 0) s["duplicates_ignored"] = c.duplicatesIgnored;
  if (c.mismatchedSettings > 0) s["mismatched_settings"] = c.mismatchedSettings;
  if (c.bucketFinish.points > 0) s["bucket_finish"] = toJson(c.bucketFinish);
  if (!c.byMetric.empty()) {
    json metrics = json::object();
    for (const auto& [name, summary] : c.byMetric) metrics[name] = toJson(summary);
    s["metrics"] = metrics;
  }
  // The overlap figure of issue 8, point by point: exposed communication over the no-overlap communication.
  json fractions = json::array();
  for (const ComparedPoint& p : c.points) {
    for (const MetricError& m : p.metrics) {
      if (m.name == "exposed_fraction" || m.name == "overhead_fraction") {
        fractions.push_back({{"algo", p.algo}, {"ranks", p.ranks}, {"bytes", p.bytes}, {"metric", m.name},
                             {"measured", m.measured}, {"predicted", m.predicted}});
      }
    }
  }
  if (!fractions.empty()) s["overlap_fractions"] = fractions;
  return s;
}

std::string comparisonTable(const Comparison& c) {
  std::ostringstream os;
  char line[256];
  std::snprintf(line, sizeof line, "%-20s %6s %-9s %10s %12s %12s %9s  %s\n", "algo", "ranks", "dtype", "bytes",
                "measured_us", "predicted_us", "error", "regime");
  os << line;
  for (const ComparedPoint& p : c.points) {
    const std::string label = p.variant.empty() ? p.algo : p.algo + " (" + p.variant + ")";
    std::snprintf(line, sizeof line, "%-20s %6d %-9s %10s %12.2f %12.2f %+8.1f%%  %s\n", label.c_str(), p.ranks,
                  std::string(dtypeName(p.dtype)).c_str(), formatBytes(p.bytes).c_str(), p.measuredUs, p.predictedUs,
                  100 * p.relError, p.regime.c_str());
    os << line;
    for (const MetricError& m : p.buckets) {
      std::snprintf(line, sizeof line, "  %-40s %12.2f %12.2f %+8.1f%%\n", m.name.c_str(), m.measured, m.predicted,
                    100 * m.relError);
      os << line;
    }
    for (const MetricError& m : p.metrics) {
      std::snprintf(line, sizeof line, "  %-40s %12.4g %12.4g %+8.1f%%\n", m.name.c_str(), m.measured, m.predicted,
                    100 * m.relError);
      os << line;
    }
  }
  auto summaryLine = [&](const std::string& label, const ErrorSummary& s) {
    std::snprintf(line, sizeof line, "%-17s %5zu points  median %6.1f%%  p90 %6.1f%%  max %6.1f%%  geomean %6.1f%%\n",
                  label.c_str(), s.points, 100 * s.medianApe, 100 * s.p90Ape, 100 * s.maxApe, 100 * s.geomeanApe);
    os << line;
  };
  os << "\nabsolute percentage error\n";
  summaryLine("all", c.all);
  for (const auto& [regime, s] : c.byRegime) summaryLine(regime, s);
  if (c.bucketFinish.points > 0) summaryLine("buckets", c.bucketFinish);
  for (const auto& [name, s] : c.byMetric) summaryLine(name, s);
  if (c.mismatchedSettings > 0) os << c.mismatchedSettings << " pair(s) not joined: backup, staleness or servers differ\n";
  os << "fastest algorithm: model agrees at " << c.agree << " of " << c.fastest.size() << " size(s)";
  for (const FastestPick& f : c.fastest) {
    if (f.measured != f.predicted) {
      os << "\n  " << formatBytes(f.bytes) << " x" << f.ranks << ": measured " << f.measured << ", predicted "
         << f.predicted;
    }
  }
  os << "\n";
  return os.str();
}

}  // namespace ccb::sim
