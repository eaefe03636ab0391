#include "bench/overlap_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>

#include "bench/cli_exit.h"
#include "bench/context.h"
#include "bench/cross_rank.h"
#include "bench/sweep_options.h"
#include "bench/table.h"
#include "comm/mpi_transport.h"
#include "core/error.h"
#include "core/stats.h"
#include "core/units.h"
#include "reduce/cpu_reducer.h"
#include "reduce/verify.h"

namespace ccb {
namespace {

constexpr std::size_t kElementBytes = 4;  // gradients are float32, reduced with sum

double parseDoubleFlag(const std::string& text, std::string_view flag, double minValue) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || !std::isfinite(value)) {
    throw UsageError(std::string(flag) + " must be a number, got '" + text + "'");
  }
  if (value < minValue) {
    std::ostringstream os;
    os << flag << " must be >= " << minValue << ", got " << text;
    throw UsageError(os.str());
  }
  return value;
}

std::vector<OverlapMode> parseModes(const std::string& text) {
  std::vector<OverlapMode> modes;
  for (const std::string& name : splitList(text)) {
    OverlapMode mode;
    if (name == "no_overlap") mode = OverlapMode::kNoOverlap;
    else if (name == "ddp") mode = OverlapMode::kBucketed;
    else throw UsageError("--mode: unknown mode '" + name + "' (expected no_overlap, ddp, or both)");
    if (std::find(modes.begin(), modes.end(), mode) == modes.end()) modes.push_back(mode);
  }
  if (modes.empty()) throw UsageError("--mode needs at least one mode");
  std::sort(modes.begin(), modes.end(), [](OverlapMode a, OverlapMode b) { return a == OverlapMode::kNoOverlap && b != a; });
  return modes;
}

std::vector<std::string> parseAlgos(const std::string& text) {
  std::vector<std::string> algos;
  for (const std::string& name : splitList(text)) {
    if (name != "ring" && name != "mpi") throw UsageError("--algo: unknown algorithm '" + name + "' (expected ring, mpi)");
    if (std::find(algos.begin(), algos.end(), name) == algos.end()) algos.push_back(name);
  }
  if (algos.empty()) throw UsageError("--algo needs at least one algorithm name");
  return algos;
}

// The profile and its backward times: exactly one source of times.
LayerProfile buildProfile(const OverlapFlags& flags, OverlapConfig& config) {
  if (!flags.profile.empty() && flags.layers) throw UsageError("give --layers or --profile, not both");
  LayerProfile profile = flags.profile.empty() ? resolveLayers(flags.layers.value_or("resnet50"), "--layers")
                                               : loadProfileFile(flags.profile);
  config.scale = parseDoubleFlag(flags.scale, "--scale", 0);
  scaleGradients(profile, config.scale, kElementBytes);
  if (!flags.computeUs.empty() && !flags.gflops.empty()) throw UsageError("give --compute-us or --gflops, not both");
  if (!flags.computeUs.empty()) {
    setBackwardTotal(profile, parseDoubleFlag(flags.computeUs, "--compute-us", 0));
    config.computeSource = "compute-us";
  } else if (!flags.gflops.empty()) {
    const double gflops = parseDoubleFlag(flags.gflops, "--gflops", 0);
    if (!(gflops > 0)) throw UsageError("--gflops must be > 0, got " + flags.gflops);
    setBackwardFromRate(profile, gflops, parseIntFlag(flags.batch, "--batch", 1));
    config.computeSource = "gflops";
  } else {
    config.computeSource = "profile";
  }
  validateProfile(profile, kElementBytes);
  return profile;
}

}  // namespace

CLI::App* addOverlapCommand(CLI::App& parent, OverlapFlags& flags) {
  CLI::App* c = parent.add_subcommand(
      "overlap", "DDP-style overlap of bucketed all-reduce with an emulated backward pass (run under mpiexec)");
  c->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  c->add_option("--layers", flags.layers, "preset (resnet50, transformer) or gradient sizes in forward order: 4M,1M,...");
  c->add_option("--profile", flags.profile, "JSON file: {\"layers\": [{\"bytes\": ..., \"compute_us\": ...}, ...]}");
  c->add_option("--scale", flags.scale, "multiply every gradient size by this (default 1)");
  c->add_option("--compute-us", flags.computeUs, "total backward compute time (us), spread by FLOPs or bytes");
  c->add_option("--gflops", flags.gflops, "or: backward time from this FLOP rate (2 x forward FLOPs x batch)");
  c->add_option("--batch", flags.batch, "batch size for --gflops (default 32)");
  c->add_option("--forward-us", flags.forwardUs, "forward compute before backward (us, default 0)");
  c->add_option("--bucket", flags.bucket, "bucket cap (default 25M, DDP's bucket_cap_mb)");
  c->add_option("--first-bucket", flags.firstBucket, "first bucket cap (default 1M)");
  c->add_option("--mode", flags.modes, "no_overlap, ddp, or both (default)");
  c->add_option("--algo", flags.algos, "ring, mpi (MPI_Iallreduce), or both (default)");
  c->add_option("--slice-us", flags.sliceUs, "compute between two progress calls (us, default 50)");
  c->add_option("-n,--iters", flags.iters, "timed iterations (default 20)");
  c->add_option("-w,--warmup", flags.warmup, "untimed iterations first (default 3)");
  c->add_option("-c,--check", flags.check, "1: verify every gradient once per mode (default), 0: do not");
  c->add_option("--timeout", flags.timeoutS, "seconds one iteration may take (default 60)");
  c->add_option("-J,--json", flags.jsonPath, "write the schema-1 measured document here");
  return c;
}

OverlapConfig validateOverlapFlags(const OverlapFlags& flags) {
  OverlapConfig config;
  config.bucketBytes = parseBytes(flags.bucket, "--bucket");
  config.firstBucketBytes = parseBytes(flags.firstBucket, "--first-bucket");
  if (config.bucketBytes == 0) throw UsageError("--bucket must be at least 1 byte, got 0");
  if (config.firstBucketBytes == 0) throw UsageError("--first-bucket must be at least 1 byte, got 0");
  config.profile = buildProfile(flags, config);
  config.buckets = assignBuckets(config.profile, config.firstBucketBytes, config.bucketBytes);
  config.forwardUs = parseDoubleFlag(flags.forwardUs, "--forward-us", 0);
  config.sliceUs = parseDoubleFlag(flags.sliceUs, "--slice-us", 0);
  if (!(config.sliceUs > 0)) throw UsageError("--slice-us must be > 0, got " + flags.sliceUs);
  config.modes = parseModes(flags.modes);
  config.algos = parseAlgos(flags.algos);
  config.iters = parseIntFlag(flags.iters, "--iters", 1);
  config.warmup = parseIntFlag(flags.warmup, "--warmup", 0);
  const int check = parseIntFlag(flags.check, "--check", 0);
  if (check > 1) throw UsageError("--check must be 0 or 1, got " + flags.check);
  config.check = check == 1;
  config.timeoutS = parseDoubleFlag(flags.timeoutS, "--timeout", 0);
  if (!(config.timeoutS > 0)) throw UsageError("--timeout must be > 0, got " + flags.timeoutS);
  config.jsonPath = flags.jsonPath;
  return config;
}

nlohmann::json overlapConfigJson(const OverlapConfig& config) {
  nlohmann::json layers = nlohmann::json::array();
  for (const Layer& l : config.profile.layers) {
    layers.push_back({{"name", l.name}, {"bytes", l.gradientBytes}, {"compute_us", l.backwardUs}, {"flops", l.forwardFlops}});
  }
  nlohmann::json buckets = nlohmann::json::array();
  for (const BucketPlan& b : config.buckets) buckets.push_back({{"layers", b.layers}, {"offset", b.offsetBytes}, {"bytes", b.bytes}});
  std::vector<std::string> modes;
  for (OverlapMode m : config.modes) modes.push_back(overlapModeName(m));
  return {{"profile", config.profile.name}, {"layers", layers}, {"buckets", buckets},
          {"bucket_bytes", config.bucketBytes}, {"first_bucket_bytes", config.firstBucketBytes},
          {"compute_source", config.computeSource}, {"scale", config.scale}, {"forward_us", config.forwardUs},
          {"backward_us", config.profile.backwardUs()}, {"slice_us", config.sliceUs}, {"modes", modes},
          {"algos", config.algos}, {"iters", config.iters}, {"warmup", config.warmup}, {"check", config.check},
          {"timeout_s", config.timeoutS}, {"dtype", "float32"}, {"op", "sum"}};
}

namespace {

nlohmann::json medianP99(std::vector<double> samples) {
  const TimeStatsUs s = summarize(std::move(samples));
  return {{"median", s.median}, {"p99", s.p99}};
}

// Per-iteration samples of one (mode, algo), each the maximum over ranks.
struct ModeSamples {
  std::vector<double> total, compute, comm, exposed, progress;
  std::vector<std::vector<double>> ready, start, finish;  // [bucket][iteration]
};

class OverlapBench {
 public:
  OverlapBench(const OverlapConfig& config, const std::string& command)
      : config_(config),
        timeout_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.timeoutS))),
        transport_(MPI_COMM_WORLD),
        crossRank_(transport_, reducer_, timeout_) {
    if (config_.check && transport_.size() > kMaxVerifiableRanks) {
      throw UsageError("--check 1 verifies at most " + std::to_string(kMaxVerifiableRanks) + " ranks (use -c 0)");
    }
    for (const std::string& name : config_.algos) comms_.push_back(makeAsyncAllReduce(name, transport_, reducer_, {}));
    context_ = collectRunContext(transport_, crossRank_, command, timeout_);
    openJson();
    const std::size_t count = config_.profile.totalBytes() / kElementBytes;
    gradients_.resize(count);
    pristine_.resize(count);
    fillInput(pristine_.data(), count, DType::kFloat32, ReduceOp::kSum, transport_.rank(), transport_.size());
    if (config_.check) {
      expected_.resize(count);
      fillExpected(expected_.data(), count, DType::kFloat32, ReduceOp::kSum, transport_.size());
    }
    // Each rank calibrates its own core, alone: the compute rate without communication.
    unitsPerUs_ = calibrateUnitsPerUs(kernel_, 5000, 7);
  }

  int run() {
    try {
      if (isLeader()) {
        for (const std::string& line : contextLines(context_)) std::cout << line << "\n";
        std::printf("# profile %s: %zu layers, %s of gradients, %zu buckets (first %s, then %s), backward %.0f us, "
                    "forward %.0f us, slice %.0f us, compute rate %.1f units/us\n",
                    config_.profile.name.c_str(), config_.profile.layers.size(),
                    formatBytes(config_.profile.totalBytes()).c_str(), config_.buckets.size(),
                    formatBytes(config_.firstBucketBytes).c_str(), formatBytes(config_.bucketBytes).c_str(),
                    config_.profile.backwardUs(), config_.forwardUs, config_.sliceUs, unitsPerUs_);
        std::printf("%-18s %7s %11s %11s %11s %11s %11s %9s %9s %9s %9s %7s\n", "mode_algo", "buckets", "total_us",
                    "p99_us", "compute_us", "comm_us", "exposed_us", "exp_frac", "ovh_frac", "slowdown", "eff_slow",
                    "#wrong");
      }
      long long wrong = 0;
      bool first = true;
      for (auto& comm : comms_) {
        BackwardPass pass(config_.profile, config_.buckets, *comm, kernel_, settings());
        const std::vector<double> bucketAloneUs = measureBucketsAlone(pass, comm->name());
        std::vector<OverlapMode> modes = {OverlapMode::kComputeOnly};
        modes.insert(modes.end(), config_.modes.begin(), config_.modes.end());
        std::vector<long long> nwrong(modes.size(), -1);
        const std::vector<ModeSamples> samples = measureInterleaved(pass, modes, comm->name(), nwrong);
        computeAloneUs_ = summarize(samples[0].compute).median;
        if (first) publish(record(OverlapMode::kComputeOnly, "", samples[0], -1, {}));
        first = false;
        std::optional<double> noOverlapCommUs;
        for (std::size_t m = 1; m < modes.size(); ++m) {
          wrong += std::max(0LL, nwrong[m]);
          Record r = record(modes[m], comm->name(), samples[m], nwrong[m], bucketAloneUs);
          if (modes[m] == OverlapMode::kNoOverlap) noOverlapCommUs = summarize(samples[m].comm).median;
          if (noOverlapCommUs && *noOverlapCommUs > 0) {
            r.extra["no_overlap_comm_us"] = *noOverlapCommUs;
            r.extra["exposed_fraction"] = r.extra["exposed_us"]["median"].get<double>() / *noOverlapCommUs;
            r.extra["overhead_fraction"] = r.extra["overhead_us"].get<double>() / *noOverlapCommUs;
          }
          publish(r);
        }
      }
      if (wrong > 0) {
        if (isLeader()) printError(std::to_string(wrong) + " wrongly reduced gradient elements");
        return kExitFailure;
      }
      return 0;
    } catch (const Error& e) {
      abandonRun(transport_.rank(), e.what());
    }
  }

 private:
  bool isLeader() const { return transport_.rank() == 0; }

  PassSettings settings() const { return PassSettings{unitsPerUs_, config_.sliceUs, config_.forwardUs, timeout_}; }

  void openJson() {
    if (config_.jsonPath.empty()) return;
    std::string problem;
    if (isLeader()) {
      try {
        writer_.emplace(config_.jsonPath, makeDocument(DocKind::kMeasured, context_, overlapConfigJson(config_)));
      } catch (const UsageError& e) {
        problem = e.what();
      }
    }
    if (crossRank_.max(problem.empty() ? 0 : 1, "checking the --json path") != 0) {
      throw UsageError(isLeader() ? "--json: " + problem : "--json: rank 0 cannot write the file");
    }
  }

  // Fresh gradients (untimed), then all ranks start the iteration together.
  void prepare(const std::string& what) {
    std::copy(pristine_.begin(), pristine_.end(), gradients_.begin());
    barrier(transport_, Clock::now() + timeout_, what + ": barrier");
  }

  // Each bucket's all-reduce alone, `iters` times: the C_j of the overlap model.
  std::vector<double> measureBucketsAlone(BackwardPass& pass, const std::string& algo) {
    std::vector<double> medians;
    for (std::size_t j = 0; j < config_.buckets.size(); ++j) {
      const std::string what = "overlap bucket " + std::to_string(j) + " alone " + algo;
      std::vector<double> samples;
      for (int i = 0; i < config_.iters; ++i) {
        prepare(what);
        samples.push_back(pass.reduceBucketAloneUs(gradients_.data(), j, what));
      }
      crossRank_.maxInPlace(samples, what + ": collecting times");
      medians.push_back(summarize(samples).median);
    }
    return medians;
  }

  // Checks each mode once, then runs the modes in turn within every iteration (compute alone, no overlap,
  // ddp, compute alone, ...), so that a slow spell of the machine hits every mode alike and the compute
  // slowdown compares compute times taken side by side.
  std::vector<ModeSamples> measureInterleaved(BackwardPass& pass, const std::vector<OverlapMode>& modes,
                                              const std::string& algo, std::vector<long long>& nwrong) {
    std::vector<std::string> whats;
    for (OverlapMode mode : modes) whats.push_back("overlap " + overlapModeName(mode) + " " + algo);
    for (std::size_t m = 0; m < modes.size(); ++m) {
      if (!config_.check || modes[m] == OverlapMode::kComputeOnly) continue;
      prepare(whats[m]);
      pass.run(gradients_.data(), modes[m], whats[m]);
      const std::size_t local = countWrong(gradients_.data(), expected_.data(), gradients_.size(), DType::kFloat32);
      nwrong[m] = crossRank_.sum(static_cast<std::int64_t>(local), whats[m] + ": summing wrong elements");
    }
    std::vector<ModeSamples> samples(modes.size());
    for (int i = 0; i < config_.warmup + config_.iters; ++i) {
      for (std::size_t m = 0; m < modes.size(); ++m) {
        prepare(whats[m]);
        const IterationTiming t = pass.run(gradients_.data(), modes[m], whats[m]);
        if (i >= config_.warmup) add(samples[m], t);
      }
    }
    for (std::size_t m = 0; m < modes.size(); ++m) {
      ModeSamples& s = samples[m];
      for (auto* v : {&s.total, &s.compute, &s.comm, &s.exposed, &s.progress}) {
        crossRank_.maxInPlace(*v, whats[m] + ": collecting times");
      }
      for (auto* group : {&s.ready, &s.start, &s.finish}) {
        for (auto& v : *group) crossRank_.maxInPlace(v, whats[m] + ": collecting bucket times");
      }
    }
    return samples;
  }

  static void add(ModeSamples& s, const IterationTiming& t) {
    s.total.push_back(t.totalUs);
    s.compute.push_back(t.computeUs);
    s.comm.push_back(t.commUs);
    s.exposed.push_back(t.exposedUs);
    s.progress.push_back(t.progressUs);
    s.ready.resize(t.readyUs.size());
    s.start.resize(t.readyUs.size());
    s.finish.resize(t.readyUs.size());
    for (std::size_t j = 0; j < t.readyUs.size(); ++j) {
      s.ready[j].push_back(t.readyUs[j]);
      s.start[j].push_back(t.startUs[j]);
      s.finish[j].push_back(t.finishUs[j]);
    }
  }

  Record record(OverlapMode mode, const std::string& algo, const ModeSamples& s, long long nwrong,
                const std::vector<double>& bucketAloneUs) {
    Record r;
    r.collective = "overlap";
    r.algo = algo.empty() ? overlapModeName(mode) : overlapModeName(mode) + "_" + algo;
    r.ranks = transport_.size();
    r.bytes = config_.profile.totalBytes();
    r.count = r.bytes / kElementBytes;
    r.iters = config_.iters;
    r.time = summarize(s.total);
    r.algBw = algBwGBps(r.bytes, r.time.median);
    r.busBw = r.algBw * allReduceBusFactor(r.ranks);
    r.nwrong = nwrong;
    const double computeMedian = summarize(s.compute).median;
    r.extra = {{"mode", overlapModeName(mode)}, {"comm_algo", algo.empty() ? "none" : algo},
               {"profile", config_.profile.name}, {"layers", config_.profile.layers.size()},
               {"buckets_count", mode == OverlapMode::kBucketed ? config_.buckets.size() : (algo.empty() ? 0 : 1)},
               {"slice_us", config_.sliceUs}, {"compute_us", medianP99(s.compute)}, {"comm_us", medianP99(s.comm)},
               {"exposed_us", medianP99(s.exposed)}, {"progress_us", medianP99(s.progress)},
               {"compute_alone_us", computeAloneUs_},
               {"compute_slowdown", computeAloneUs_ > 0 ? computeMedian / computeAloneUs_ : 1.0},
               {"units_per_us", unitsPerUs_},
               // What communication costs the iteration over compute alone, slowdown included.
               {"overhead_us", r.time.median - computeAloneUs_},
               // Compute plus the communication work done between slices on the same thread, against compute
               // alone: the factor by which backward stretches while buckets are in flight (the model's input).
               {"effective_slowdown",
                computeAloneUs_ > 0 ? (computeMedian + summarize(s.progress).median) / computeAloneUs_ : 1.0}};
    nlohmann::json buckets = nlohmann::json::array();
    for (std::size_t j = 0; j < s.finish.size(); ++j) {
      nlohmann::json b = {{"ready_us", medianP99(s.ready[j])}, {"start_us", medianP99(s.start[j])},
                          {"finish_us", medianP99(s.finish[j])}};
      if (mode == OverlapMode::kBucketed) {
        b["bytes"] = config_.buckets[j].bytes;
        b["layers"] = config_.buckets[j].layers;
        b["alone_us"] = bucketAloneUs[j];
      } else {
        b["bytes"] = r.bytes;
      }
      buckets.push_back(b);
    }
    r.extra["buckets"] = buckets;
    if (mode == OverlapMode::kBucketed) r.extra["bucket_alone_us"] = bucketAloneUs;
    return r;
  }

  void publish(const Record& r) {
    if (!isLeader()) return;
    const auto median = [&](const char* key) { return r.extra[key]["median"].get<double>(); };
    const auto fraction = [&](const char* key) {
      return r.extra.contains(key) ? std::to_string(r.extra[key].get<double>()).substr(0, 5) : std::string("-");
    };
    std::printf("%-18s %7d %11.1f %11.1f %11.1f %11.1f %11.1f %9s %9s %9.3f %9.3f %7s\n", r.algo.c_str(),
                r.extra["buckets_count"].get<int>(), r.time.median, r.time.p99, median("compute_us"),
                median("comm_us"), median("exposed_us"), fraction("exposed_fraction").c_str(),
                fraction("overhead_fraction").c_str(), r.extra["compute_slowdown"].get<double>(),
                r.extra["effective_slowdown"].get<double>(), r.nwrong < 0 ? "N/A" : std::to_string(r.nwrong).c_str());
    std::fflush(stdout);
    if (writer_) writer_->append(toJson(r));
  }

  OverlapConfig config_;
  Clock::duration timeout_;
  MpiTransport transport_;
  CpuReducer reducer_;
  CrossRank crossRank_;
  std::vector<std::unique_ptr<AsyncAllReduce>> comms_;
  RunContext context_;
  std::optional<DocumentWriter> writer_;
  ComputeKernel kernel_;
  double unitsPerUs_ = 0;
  double computeAloneUs_ = 0;
  std::vector<float> gradients_, pristine_, expected_;
};

}  // namespace

int runOverlapCommand(const OverlapConfig& config, const std::string& commandLine) {
  OverlapBench bench(config, commandLine);
  return bench.run();
}

}  // namespace ccb
