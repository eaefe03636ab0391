// ccsim predict overlap for the configuration `ccbench overlap` runs: the same layer profile (preset, size
// list or profile file, read by src/overlap), the same backward times, the same bucket plan (src/overlap's
// assignBuckets), and records keyed as ccbench writes them, so `ccsim compare` joins them point by point
// and bucket by bucket. What the measurement knows and the model cannot (the compute kernel's real rate,
// the slowdown of compute while buckets are in flight, each bucket's all-reduce alone) can be taken from a
// measured document, one flag each, so the remaining error is the overlap model's own.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <sstream>

#include "core/error.h"
#include "overlap/buckets.h"
#include "overlap/profile.h"
#include "sim/cli_common.h"
#include "sim/cli_parts.h"
#include "sim/closed_form.h"
#include "sim/overlap_model.h"
#include "sim/predict.h"

namespace ccb::sim::cli {

using nlohmann::json;

namespace {

constexpr std::size_t kElementBytes = 4;  // ccbench overlap reduces float32 gradients with sum

// A statistic written either as a number or as {"median": ..., "p99": ...}; nullopt when absent.
std::optional<double> medianField(const Record& r, const char* key) {
  const auto it = r.extra.find(key);
  if (it == r.extra.end()) return std::nullopt;
  if (it->is_number()) return it->get<double>();
  if (it->is_object() && it->contains("median") && (*it)["median"].is_number()) return (*it)["median"].get<double>();
  return std::nullopt;
}

json medianP99(double us) { return {{"median", us}, {"p99", us}}; }

// What one ccbench overlap document says about its run, per communication algorithm.
struct MeasuredOverlap {
  std::string path;
  std::vector<Record> records;

  const Record* find(const std::string& algo) const {
    for (const Record& r : records) {
      if (r.collective == "overlap" && r.algo == algo) return &r;
    }
    return nullptr;
  }
  const Record& require(const std::string& algo, const std::string& flag) const {
    const Record* r = find(algo);
    if (r == nullptr) throw UsageError(flag + " " + path + ": no overlap record '" + algo + "'");
    return *r;
  }
  double number(const std::string& algo, const char* key, const std::string& flag) const {
    const std::optional<double> v = medianField(require(algo, flag), key);
    if (!v || !std::isfinite(*v) || *v < 0) {
      throw UsageError(flag + " " + path + ": record '" + algo + "' has no usable '" + key + "'");
    }
    return *v;
  }
};

std::optional<MeasuredOverlap> loadMeasured(const std::string& path) {
  if (path.empty()) return std::nullopt;
  MeasuredOverlap m;
  m.path = path;
  m.records = loadResults(path, InputFormat::kSchema, {}).records;
  return m;
}

// The profile exactly as ccbench overlap builds it: layers, --scale, then one source of backward times.
LayerProfile buildProfile(const PredictArgs& a) {
  if (!a.profileFile.empty() && a.layers) throw UsageError("give --layers or --profile, not both");
  LayerProfile profile =
      a.profileFile.empty() ? resolveLayers(a.layers.value_or("resnet50"), "--layers") : loadProfileFile(a.profileFile);
  if (!(a.scale > 0) || !std::isfinite(a.scale)) throw UsageError("--scale must be > 0");
  scaleGradients(profile, a.scale, kElementBytes);
  if (a.computeUs && a.gflops) throw UsageError("give --compute-us or --gflops, not both");
  if (a.computeUs) {
    if (!(*a.computeUs >= 0) || !std::isfinite(*a.computeUs)) {
      std::ostringstream value;
      value << *a.computeUs;
      throw UsageError("--compute-us must be >= 0, got " + value.str());
    }
    setBackwardTotal(profile, *a.computeUs);
  } else if (a.gflops) {
    if (!(*a.gflops > 0)) throw UsageError("--gflops must be > 0");
    setBackwardFromRate(profile, *a.gflops, a.batch);
  }
  validateProfile(profile, kElementBytes);
  return profile;
}

double forwardUsOf(const PredictArgs& a) {
  const double f = a.forwardUs.value_or(0);
  if (!(f >= 0) || !std::isfinite(f)) throw UsageError("--forward-us must be >= 0");
  return f;
}

std::vector<std::string> checkedModes(const std::vector<std::string>& modes) {
  for (const std::string& m : modes) {
    if (m != "no_overlap" && m != "ddp") throw UsageError("--mode: unknown mode '" + m + "' (expected no_overlap, ddp)");
  }
  if (modes.empty()) throw UsageError("--mode needs at least one mode");
  return modes;
}

json bucketsJson(const ProfilePassResult& pass, const std::vector<BucketPlan>* plan) {
  json out = json::array();
  for (std::size_t j = 0; j < pass.buckets.size(); ++j) {
    const Bucket& b = pass.buckets[j];
    json entry = {{"bytes", b.bytes}, {"ready_us", medianP99(b.readyUs)}, {"start_us", medianP99(b.startUs)},
                  {"finish_us", medianP99(b.endUs)}, {"alone_us", b.endUs - b.startUs}};
    if (plan != nullptr) entry["layers"] = (*plan)[j].layers;
    out.push_back(entry);
  }
  return out;
}

// One predicted overlap record with ccbench's key and the extra keys its measured records carry.
Record overlapRecord(const std::string& algo, const std::string& mode, const std::string& commAlgo, int ranks,
                     const LayerProfile& profile, const ProfilePassResult& pass) {
  Record r = predictedRecord("overlap", algo, ranks, DType::kFloat32, ReduceOp::kSum, profile.totalBytes(), pass.stepUs);
  r.count = r.bytes / kElementBytes;
  r.extra = {{"model", "closed_form"}, {"mode", mode}, {"comm_algo", commAlgo}, {"profile", profile.name},
             {"layers", profile.layers.size()}, {"compute_us", medianP99(pass.computeUs)},
             {"comm_us", medianP99(pass.commUs)}, {"exposed_us", medianP99(pass.exposedUs)},
             {"compute_alone_us", pass.computeAloneUs}, {"lower_bound_us", pass.lowerBoundUs}};
  return r;
}

// The inputs that may come from a measurement, resolved per communication algorithm.
struct AlgoInputs {
  double slowdown = 1;         // stretches backward's clock (the timeline)
  double insideSlowdown = 1;   // stretches the time inside compute slices only (for exposed, as ccbench counts it)
  std::string slowdownSource = "none";
  BucketCommUs bucketUs;
  BucketCommUs wholeUs;  // the no-overlap all-reduce of every gradient
  std::string commSource = "closed_form";
};

AlgoInputs algoInputs(const PredictArgs& a, const ClosedFormCluster& view, AllReduceAlgo algo,
                      const std::optional<MeasuredOverlap>& slowdownDoc, const std::optional<MeasuredOverlap>& commDoc,
                      std::size_t buckets) {
  const std::string name(algoName(algo));
  AlgoInputs in;
  if (a.computeSlowdown) {
    in.slowdown = *a.computeSlowdown;
    in.slowdownSource = "--compute-slowdown";
  } else if (slowdownDoc) {
    in.slowdown = slowdownDoc->number("ddp_" + name, a.slowdownKey.c_str(), "--slowdown-from");
    in.slowdownSource = slowdownDoc->path + ": ddp_" + name + "." + a.slowdownKey;
  }
  in.insideSlowdown = in.slowdown;
  if (slowdownDoc && a.slowdownKey == "effective_slowdown") {
    // The effective factor counts the communication work done between compute slices as compute;
    // ccbench counts it as exposed, so the exposed time uses the compute-only factor.
    in.insideSlowdown = slowdownDoc->number("ddp_" + name, "compute_slowdown", "--slowdown-from");
  }
  auto closedForm = [view, algo](std::size_t, double bytes) {
    const auto whole = std::max<std::uint64_t>(static_cast<std::uint64_t>(bytes) / kElementBytes, 1);
    return predictAllReduce(view, algo, whole * kElementBytes, kElementBytes).timeUs();
  };
  in.bucketUs = closedForm;
  in.wholeUs = closedForm;
  if (commDoc) {
    const Record& ddp = commDoc->require("ddp_" + name, "--comm-from");
    const auto alone = ddp.extra.find("bucket_alone_us");
    if (alone == ddp.extra.end() || !alone->is_array() || alone->size() != buckets) {
      throw UsageError("--comm-from " + commDoc->path + ": ddp_" + name + " has no bucket_alone_us for " +
                       std::to_string(buckets) + " buckets (a different bucket plan?)");
    }
    std::vector<double> times;
    for (const json& t : *alone) {
      if (!t.is_number() || !(t.get<double>() >= 0)) throw UsageError("--comm-from " + commDoc->path + ": bad bucket_alone_us");
      times.push_back(t.get<double>());
    }
    in.bucketUs = [times](std::size_t j, double) { return times.at(j); };
    const double wholeUs = commDoc->number("no_overlap_" + name, "comm_us", "--comm-from");
    in.wholeUs = [wholeUs](std::size_t, double) { return wholeUs; };
    in.commSource = commDoc->path;
  }
  return in;
}

}  // namespace

bool isUniformOverlap(const PredictArgs& a) { return a.uniformLayers.has_value() || a.backwardUs.has_value(); }

void checkOverlapProfileArgs(const PredictArgs& a) {
  if (a.computeSlowdown && !a.slowdownFrom.empty()) throw UsageError("give --compute-slowdown or --slowdown-from, not both");
  if (a.computeSlowdown && (!(*a.computeSlowdown > 0) || !std::isfinite(*a.computeSlowdown))) {
    throw UsageError("--compute-slowdown must be > 0");
  }
  if (a.slowdownKey != "effective_slowdown" && a.slowdownKey != "compute_slowdown") {
    throw UsageError("--slowdown-key must be effective_slowdown or compute_slowdown");
  }
  if (a.bucketBytes == 0) throw UsageError("--bucket must be at least 1 byte, got 0");
  if (a.firstBucketBytes == 0) throw UsageError("--first-bucket must be at least 1 byte, got 0");
  checkedModes(a.modes);
  forwardUsOf(a);
  buildProfile(a);
}

std::vector<Record> predictOverlapProfile(const PredictArgs& a, const ClusterDescription& cluster,
                                          const std::vector<AllReduceAlgo>& algos, json& config) {
  checkOverlapProfileArgs(a);
  LayerProfile profile = buildProfile(a);
  const std::vector<BucketPlan> plan = assignBuckets(profile, a.firstBucketBytes, a.bucketBytes);
  PassTiming timing{forwardUsOf(a), 1};
  const std::optional<MeasuredOverlap> slowdownDoc = loadMeasured(a.slowdownFrom);
  const std::optional<MeasuredOverlap> commDoc = loadMeasured(a.commFrom);
  // --compute-from: the benchmark's compute kernel ran at its own calibrated rate; scale every compute time
  // so that forward + backward equals the measured compute-alone time.
  double computeScale = 1;
  if (const std::optional<MeasuredOverlap> computeDoc = loadMeasured(a.computeFrom)) {
    const double nominal = timing.forwardUs + profile.backwardUs();
    if (!(nominal > 0)) throw UsageError("--compute-from: the profile has no compute time to scale");
    computeScale = computeDoc->number("compute_only", "compute_us", "--compute-from") / nominal;
    timing.forwardUs *= computeScale;
    for (Layer& l : profile.layers) l.backwardUs *= computeScale;
  }
  const ClosedFormCluster view = closedFormView(cluster);
  const std::vector<std::string> modes = checkedModes(a.modes);
  auto wants = [&](const char* mode) { return std::find(modes.begin(), modes.end(), mode) != modes.end(); };

  std::vector<Record> records;
  const ProfilePassResult alone = noOverlapPass(profile, timing, [](std::size_t, double) { return 0.0; });
  Record computeOnly = overlapRecord("compute_only", "compute_only", "none", cluster.ranks, profile, alone);
  computeOnly.extra["buckets_count"] = 0;
  computeOnly.extra["exposed_us"] = medianP99(0);
  computeOnly.extra["compute_scale"] = computeScale;
  records.push_back(computeOnly);
  for (const AllReduceAlgo algo : algos) {
    const std::string name(algoName(algo));
    const AlgoInputs in = algoInputs(a, view, algo, slowdownDoc, commDoc, plan.size());
    const ProfilePassResult none = noOverlapPass(profile, timing, in.wholeUs);
    if (wants("no_overlap")) {
      Record r = overlapRecord("no_overlap_" + name, "no_overlap", name, cluster.ranks, profile, none);
      r.extra["buckets_count"] = 1;
      r.extra["buckets"] = bucketsJson(none, nullptr);
      r.extra["comm_source"] = in.commSource;
      records.push_back(r);
    }
    if (wants("ddp")) {
      PassTiming slowed = timing;
      slowed.computeSlowdown = in.slowdown;
      const ProfilePassResult ddp = bucketedPass(profile, plan, slowed, in.bucketUs);
      ProfilePassResult counted = ddp;
      counted.computeUs = timing.forwardUs + (ddp.computeAloneUs - timing.forwardUs) * in.insideSlowdown;
      counted.exposedUs = std::max(0.0, ddp.stepUs - counted.computeUs);
      Record r = overlapRecord("ddp_" + name, "ddp", name, cluster.ranks, profile, counted);
      std::vector<double> aloneUs;
      for (const Bucket& b : ddp.buckets) aloneUs.push_back(b.endUs - b.startUs);
      r.extra["buckets_count"] = plan.size();
      r.extra["buckets"] = bucketsJson(ddp, &plan);
      r.extra["bucket_alone_us"] = aloneUs;
      r.extra["effective_slowdown"] = in.slowdown;
      r.extra["compute_slowdown"] = in.insideSlowdown;
      r.extra["slowdown_source"] = in.slowdownSource;
      r.extra["comm_source"] = in.commSource;
      // The figure: exposed communication over the no-overlap communication, and what the
      // iteration costs over compute alone, over the same.
      r.extra["no_overlap_comm_us"] = none.commUs;
      r.extra["overhead_us"] = ddp.stepUs - ddp.computeAloneUs;
      if (none.commUs > 0) {
        r.extra["exposed_fraction"] = counted.exposedUs / none.commUs;
        r.extra["overhead_fraction"] = (ddp.stepUs - ddp.computeAloneUs) / none.commUs;
      }
      records.push_back(r);
    }
  }
  json layers = json::array();
  for (const Layer& l : profile.layers) layers.push_back({{"name", l.name}, {"bytes", l.gradientBytes}, {"compute_us", l.backwardUs}});
  json buckets = json::array();
  for (const BucketPlan& b : plan) buckets.push_back({{"layers", b.layers}, {"offset", b.offsetBytes}, {"bytes", b.bytes}});
  config["overlap"] = {{"profile", profile.name}, {"layers", layers}, {"buckets", buckets},
                       {"bucket_bytes", a.bucketBytes}, {"first_bucket_bytes", a.firstBucketBytes},
                       {"forward_us", timing.forwardUs}, {"backward_us", profile.backwardUs()}, {"modes", modes},
                       {"compute_scale", computeScale}, {"slowdown_from", a.slowdownFrom},
                       {"slowdown_key", a.slowdownKey}, {"compute_from", a.computeFrom}, {"comm_from", a.commFrom}};
  return records;
}

}  // namespace ccb::sim::cli
