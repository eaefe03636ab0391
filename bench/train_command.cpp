#include "bench/train_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>

#include "bench/cli_exit.h"
#include "bench/context.h"
#include "bench/cross_rank.h"
#include "bench/sweep_options.h"
#include "bench/table.h"
#include "comm/mpi_transport.h"
#include "core/error.h"
#include "reduce/cpu_reducer.h"

namespace ccb {
namespace {

// A finite decimal number (strtod syntax); throws UsageError naming the flag otherwise.
double parseNumberFlag(const std::string& text, std::string_view flag) {
  double value = 0;
  const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || err != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    throw UsageError(std::string(flag) + " must be a number, got '" + text + "'");
  }
  return value;
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// "fixed", "normal", ... : the part of the canonical spec before the colon.
std::string distName(const ComputeDist& dist) {
  const std::string spec = formatComputeDist(dist);
  return spec.substr(0, spec.find(':'));
}

nlohmann::json computeJson(const ComputeDist& dist) {
  nlohmann::json j = {{"dist", distName(dist)}, {"mean_us", meanMs(dist) * 1e3}, {"spec", formatComputeDist(dist)}};
  switch (dist.kind) {
    case ComputeDist::Kind::kNormal:
      j["stddev_us"] = dist.b * 1e3;
      break;
    case ComputeDist::Kind::kExponential:
      j["exp_mean_us"] = dist.a * 1e3;
      j["shift_us"] = dist.b * 1e3;
      break;
    case ComputeDist::Kind::kUniform:
      j["lo_us"] = dist.a * 1e3;
      j["hi_us"] = dist.b * 1e3;
      break;
    case ComputeDist::Kind::kFixed:
      break;
  }
  return j;
}

nlohmann::json optionalNumber(const std::optional<double>& value) {
  return value && std::isfinite(*value) ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json finiteOrNull(double value) { return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json(nullptr); }

double median(std::vector<double> values) { return summarize(std::move(values)).median; }

std::vector<double> pooled(const TrainSummary& summary, std::vector<double> TrainWorkerResult::*member) {
  std::vector<double> all;
  for (const TrainWorkerResult& worker : summary.workers)
    all.insert(all.end(), (worker.*member).begin(), (worker.*member).end());
  return all;
}

// Median and largest staleness "med/max" of a histogram.
std::string stalenessCell(const std::map<std::int64_t, std::int64_t>& histogram) {
  std::int64_t total = 0;
  for (const auto& [stale, count] : histogram) total += count;
  if (total == 0) return "-";
  std::int64_t seen = 0, med = histogram.begin()->first;
  for (const auto& [stale, count] : histogram) {
    seen += count;
    if (2 * seen >= total) {
      med = stale;
      break;
    }
  }
  return std::to_string(med) + "/" + std::to_string(histogram.rbegin()->first);
}

constexpr const char* kRowFormat = "%10s %3s %6s %9s %9s %9s %9s %9s %8s %9s %7s %9s %9s";

std::string columns(const std::vector<std::string>& c) {
  CCB_CHECK_EQ(c.size(), std::size_t{13});
  char line[320];
  std::snprintf(line, sizeof line, kRowFormat, c[0].c_str(), c[1].c_str(), c[2].c_str(), c[3].c_str(),
                c[4].c_str(), c[5].c_str(), c[6].c_str(), c[7].c_str(), c[8].c_str(), c[9].c_str(),
                c[10].c_str(), c[11].c_str(), c[12].c_str());
  return line;
}

std::string settingsLine(const TrainConfig& c) {
  std::string line = "strategy " + std::string(strategyName(c.strategy)) + ", " + std::to_string(c.workers) +
                     " workers, " + std::string(modelKindName(c.model)) + " on " +
                     std::string(datasetKindName(c.data.kind)) + " data (" + std::to_string(c.data.samples) +
                     " samples x " + std::to_string(c.data.features) + " features, " +
                     std::to_string(c.data.classes) + " classes, seed " + std::to_string(c.data.seed) +
                     "), batch " + std::to_string(c.globalBatch) + ", lr " + fixed(c.lr, 4) + ", max " +
                     std::to_string(c.maxSteps) + " steps" +
                     (c.maxTimeS > 0 ? " / " + fixed(c.maxTimeS, 1) + " s" : "") + ", compute " +
                     formatComputeDist(c.compute);
  for (const Straggler& s : c.stragglers) line += ", straggler " + std::to_string(s.rank) + ":" + fixed(s.factor, 2);
  if (isPsStrategy(c.strategy)) line += ", " + std::to_string(c.servers) + " server(s)";
  if (c.strategy == Strategy::kSspPs) line += ", staleness " + std::to_string(c.staleness);
  if (c.strategy == Strategy::kBackupPs) line += ", backup " + std::to_string(c.backup);
  return line;
}

// One run on MPI_COMM_WORLD: the constructor checks what fails alike on every rank, then collects the
// context and opens the JSON file; run() trains, gathers on rank 0 and reports.
class TrainRun {
 public:
  TrainRun(const TrainCommandConfig& config, const std::string& command)
      : config_(config.train),
        timeout_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config_.timeoutS))),
        transport_(MPI_COMM_WORLD),
        crossRank_(transport_, reducer_, timeout_),
        data_(generateDataset(config_.data)),
        model_(config_.model, data_.features, data_.classes) {
    const int ranks = transport_.size();
    if (!isDistributed(config_.strategy) && ranks != 1) {
      throw UsageError(std::string(strategyName(config_.strategy)) +
                       " runs its workers in one process: start it with mpiexec -n 1 (or without mpiexec) and "
                       "--workers K, not on " + std::to_string(ranks) + " ranks");
    }
    const int workers = trainWorkers(config_, ranks);
    if (isDistributed(config_.strategy) && config.workersGiven && workers != config_.workers) {
      throw UsageError("--workers " + std::to_string(config_.workers) + " does not match the " +
                       std::to_string(workers) + " workers of " + std::string(strategyName(config_.strategy)) +
                       " on " + std::to_string(ranks) + " ranks" +
                       (isPsStrategy(config_.strategy) ? " (ranks minus --servers)" : ""));
    }
    if (isPsStrategy(config_.strategy) && workers < 1) {
      throw UsageError(std::string(strategyName(config_.strategy)) + " needs more ranks than --servers " +
                       std::to_string(config_.servers));
    }
    if (isDistributed(config_.strategy)) {
      config_ = checkTrainLayout(config_, model_, ranks);
    } else {
      validateTrainConfig(config_);
    }
    context_ = collectRunContext(transport_, crossRank_, command, timeout_);
    // Threads count like ranks: K hogwild threads on fewer cores measure the scheduler too.
    if (config_.strategy == Strategy::kHogwild && config_.workers > context_.coresPerHost) context_.oversubscribed = true;
    openJson(config.jsonPath);
  }

  int run() {
    try {
      const bool leader = transport_.rank() == 0;
      if (leader) printHeader();
      const TrainRankResult mine = isDistributed(config_.strategy)
                                       ? runDistributedTraining(transport_, reducer_, config_, model_, data_)
                                       : runLocalTraining(config_, model_, data_);
      std::vector<TrainRankResult> all = gatherTrainResults(transport_, mine, timeout_);
      int diverged = 0;
      if (leader) {
        const TrainSummary summary = mergeTrainResults(config_, model_, data_, std::move(all));
        const Record record = trainRecord(config_, summary);
        std::cout << formatTrainRow(record) << '\n';
        for (const std::string& line : trainOutcomeLines(config_, summary)) std::cout << line << '\n';
        std::cout.flush();
        if (writer_) writer_->append(toJson(record));
        diverged = summary.stop == StopReason::kDiverged ? 1 : 0;
        if (diverged) {
          printError("training diverged (" + std::string(strategyName(config_.strategy)) + ", --lr " +
                     fixed(config_.lr, 4) + "): the loss left the finite range or grew 100x; try a smaller --lr");
        }
      }
      // Every rank ends with the same status.
      return crossRank_.max(diverged, "train: exit status") != 0 ? kExitDiverged : 0;
    } catch (const Error& e) {
      abandonRun(transport_.rank(), e.what());
    }
  }

 private:
  void printHeader() {
    for (const std::string& line : contextLines(context_)) std::cout << line << '\n';
    std::cout << "# " << settingsLine(config_) << '\n';
    for (const std::string& line : trainHeaderLines()) std::cout << line << '\n';
    std::cout.flush();
  }

  void openJson(const std::string& path) {
    if (path.empty()) return;
    std::string problem;
    if (transport_.rank() == 0) {
      try {
        writer_.emplace(path, makeDocument(DocKind::kMeasured, context_, trainConfigJson(config_)));
      } catch (const UsageError& e) {
        problem = e.what();
      }
    }
    if (crossRank_.max(problem.empty() ? 0 : 1, "checking the --json path") != 0) {
      throw UsageError(transport_.rank() == 0 ? "--json: " + problem : "--json: rank 0 cannot write the file");
    }
  }

  TrainConfig config_;
  Clock::duration timeout_;
  MpiTransport transport_;
  CpuReducer reducer_;
  CrossRank crossRank_;
  Dataset data_;
  LinearModel model_;
  RunContext context_;
  std::optional<DocumentWriter> writer_;
};

}  // namespace

CLI::App* addTrainCommand(CLI::App& parent, TrainFlags& flags) {
  CLI::App* c = parent.add_subcommand(
      "train", "Data-parallel SGD on a synthetic dataset: sync (ring, PS), async PS, SSP, backup, Hogwild, single");
  c->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  c->add_option("--strategy", flags.strategy, "single, sync_ring, sync_ps, async_ps, ssp_ps, backup_ps, hogwild")
      ->capture_default_str();
  c->add_option("--workers", flags.workers,
                "K for single (its compute = K shares) and hogwild (threads); others take K from the ranks");
  c->add_option("--dataset", flags.dataset, "dense or sparse")->capture_default_str();
  c->add_option("--model", flags.model, "softmax or logistic (needs --classes 2)")->capture_default_str();
  c->add_option("--samples", flags.samples, "samples in the dataset")->capture_default_str();
  c->add_option("--features", flags.features, "features (default 32 dense, 2000 sparse)");
  c->add_option("--classes", flags.classes, "classes")->capture_default_str();
  c->add_option("--density", flags.density, "sparse: fraction of features set per sample")->capture_default_str();
  c->add_option("--label-noise", flags.labelNoise, "fraction of labels drawn at random")->capture_default_str();
  c->add_option("--data-seed", flags.dataSeed, "seed of the dataset")->capture_default_str();
  c->add_option("--batch", flags.batch, "global batch B per step (split across the K workers)")->capture_default_str();
  c->add_option("--lr", flags.lr, "learning rate (per-sample mean gradient)")->capture_default_str();
  c->add_option("--max-steps", flags.maxSteps, "steps per worker")->capture_default_str();
  c->add_option("--max-time", flags.maxTime, "seconds per worker before it stops (0: no limit)")->capture_default_str();
  c->add_option("--target-loss", flags.targetLoss, "report the time and steps to reach this loss");
  c->add_option("--eval-every", flags.evalEvery, "worker 0 evaluates every N of its steps")->capture_default_str();
  c->add_option("--eval-samples", flags.evalSamples, "samples evaluated (0: all)")->capture_default_str();
  c->add_option("--servers", flags.servers, "PS strategies: server ranks 0..M-1 (workers are the rest)")
      ->capture_default_str();
  c->add_option("--staleness", flags.staleness, "ssp_ps: steps a worker may run ahead of the slowest")
      ->capture_default_str();
  c->add_option("--backup", flags.backup, "backup_ps: b backup workers (a step takes the first K - b)")
      ->capture_default_str();
  c->add_option("--compute", flags.compute,
                "emulated compute per worker step in ms: fixed:MS, normal:MEAN,SD, exponential:MEAN[,SHIFT], "
                "uniform:LO,HI (as ccbench ps)")
      ->capture_default_str();
  c->add_option("--straggler", flags.stragglers, "RANK:FACTOR[,...]: slow these workers' compute (as ccbench ps)");
  c->add_option("--seed", flags.seed, "seed of the compute-time draws")->capture_default_str();
  c->add_option("--timeout", flags.timeoutS, "seconds a collective or a silent peer may take")->capture_default_str();
  c->add_option("--json", flags.jsonPath, "write the record to this file");
  return c;
}

TrainCommandConfig validateTrainFlags(const TrainFlags& flags) {
  TrainCommandConfig result;
  TrainConfig& c = result.train;
  c.strategy = parseStrategy(flags.strategy);
  result.workersGiven = !flags.workers.empty();
  c.workers = result.workersGiven ? parseIntFlag(flags.workers, "--workers", 1) : 1;
  c.data.kind = parseDatasetKind(flags.dataset);
  c.model = parseModelKind(flags.model);
  c.data.samples = static_cast<std::size_t>(parseIntFlag(flags.samples, "--samples", 1));
  c.data.features = flags.features.empty() ? (c.data.kind == DatasetKind::kDense ? 32 : 2000)
                                           : static_cast<std::size_t>(parseIntFlag(flags.features, "--features", 1));
  c.data.classes = parseIntFlag(flags.classes, "--classes", 2);
  c.data.density = parseNumberFlag(flags.density, "--density");
  c.data.labelNoise = parseNumberFlag(flags.labelNoise, "--label-noise");
  c.data.seed = static_cast<std::uint64_t>(parseIntFlag(flags.dataSeed, "--data-seed", 0));
  c.globalBatch = static_cast<std::size_t>(parseIntFlag(flags.batch, "--batch", 1));
  c.lr = parseNumberFlag(flags.lr, "--lr");
  c.maxSteps = parseIntFlag(flags.maxSteps, "--max-steps", 1);
  c.maxTimeS = parseNumberFlag(flags.maxTime, "--max-time");
  if (!flags.targetLoss.empty()) c.targetLoss = parseNumberFlag(flags.targetLoss, "--target-loss");
  c.evalEvery = parseIntFlag(flags.evalEvery, "--eval-every", 1);
  c.evalSamples = static_cast<std::size_t>(parseIntFlag(flags.evalSamples, "--eval-samples", 0));
  c.servers = parseIntFlag(flags.servers, "--servers", 1);
  c.staleness = parseIntFlag(flags.staleness, "--staleness", 0);
  c.backup = parseIntFlag(flags.backup, "--backup", 0);
  c.compute = parseComputeDist(flags.compute);
  c.stragglers = parseStragglers(flags.stragglers);
  c.seed = static_cast<std::uint64_t>(parseIntFlag(flags.seed, "--seed", 0));
  c.timeoutS = parseNumberFlag(flags.timeoutS, "--timeout");
  if (c.timeoutS <= 0 || c.timeoutS > 86400) throw UsageError("--timeout must be in (0, 86400] seconds");
  if (c.maxTimeS < 0) throw UsageError("--max-time must be >= 0 (0: no limit), got '" + flags.maxTime + "'");
  if (c.model == ModelKind::kLogistic && c.data.classes != 2) {
    throw UsageError("--model logistic needs --classes 2, got " + std::to_string(c.data.classes));
  }
  if (!(c.data.density > 0 && c.data.density <= 1)) throw UsageError("--density must be in (0, 1], got '" + flags.density + "'");
  if (!(c.data.labelNoise >= 0 && c.data.labelNoise <= 1))
    throw UsageError("--label-noise must be in [0, 1], got '" + flags.labelNoise + "'");
  // Distributed strategies learn K from the ranks; the rest can be checked now.
  if (!isDistributed(c.strategy)) validateTrainConfig(c);
  else {
    TrainConfig probe = c;
    probe.workers = 1;
    probe.backup = 0;
    probe.stragglers.clear();  // ranks are checked against the layout once the ranks are known
    validateTrainConfig(probe);
  }
  result.jsonPath = flags.jsonPath;
  return result;
}

nlohmann::json trainConfigJson(const TrainConfig& c) {
  nlohmann::json stragglers = nlohmann::json::array();
  for (const Straggler& s : c.stragglers) stragglers.push_back({{"rank", s.rank}, {"factor", s.factor}});
  return {{"strategy", strategyName(c.strategy)},
          {"workers", c.workers},
          {"dataset",
           {{"kind", datasetKindName(c.data.kind)},
            {"samples", c.data.samples},
            {"features", c.data.features},
            {"classes", c.data.classes},
            {"nonzeros_per_sample", nonzerosPerSample(c.data)},
            {"label_noise", c.data.labelNoise},
            {"seed", c.data.seed}}},
          {"model", modelKindName(c.model)},
          {"batch", c.globalBatch},
          {"lr", c.lr},
          {"max_steps", c.maxSteps},
          {"max_time_s", c.maxTimeS},
          {"target_loss", optionalNumber(c.targetLoss)},
          {"eval_every", c.evalEvery},
          {"eval_samples", c.evalSamples},
          {"servers", isPsStrategy(c.strategy) ? c.servers : 0},
          {"staleness", c.staleness},
          {"backup", c.backup},
          {"compute", formatComputeDist(c.compute)},
          {"stragglers", stragglers},
          {"seed", c.seed},
          {"timeout_s", c.timeoutS}};
}

Record trainRecord(const TrainConfig& config, const TrainSummary& summary) {
  Record record;
  record.collective = "train";
  record.algo = std::string(strategyName(config.strategy));
  record.ranks = config.workers;
  record.dtype = DType::kFloat32;
  const bool adds = config.strategy == Strategy::kAsyncPs || config.strategy == Strategy::kSspPs ||
                    config.strategy == Strategy::kHogwild;
  record.op = adds ? ReduceOp::kSum : ReduceOp::kAvg;
  record.count = summary.params.size();
  record.bytes = record.count * 4;
  std::int64_t steps = 0;
  for (const TrainWorkerResult& worker : summary.workers) steps = std::max(steps, worker.steps);
  record.iters = static_cast<int>(steps);
  record.time = summarize(pooled(summary, &TrainWorkerResult::stepUs));
  record.nwrong = -1;

  nlohmann::json& x = record.extra;
  x["updates_per_s"] = summary.updatesPerS;
  x["samples_per_s"] = summary.samplesPerS;
  x["step_time_us"] = record.time.median;
  x["compute_us_median"] = median(pooled(summary, &TrainWorkerResult::computeUs));
  x["comm_us_median"] = median(pooled(summary, &TrainWorkerResult::commUs));
  x["servers"] = isPsStrategy(config.strategy) ? config.servers : 0;
  const bool bounded = config.strategy != Strategy::kAsyncPs && config.strategy != Strategy::kHogwild;
  x["staleness_bound"] = config.strategy == Strategy::kSspPs ? nlohmann::json(config.staleness)
                         : bounded                           ? nlohmann::json(0)
                                                             : nlohmann::json(nullptr);
  x["backup"] = config.strategy == Strategy::kBackupPs ? config.backup : 0;
  x["straggler"] = config.stragglers.empty()
                       ? nlohmann::json(nullptr)
                       : nlohmann::json{{"rank", config.stragglers[0].rank}, {"factor", config.stragglers[0].factor}};
  x["compute"] = computeJson(config.compute);
  x["target_loss"] = optionalNumber(config.targetLoss);
  x["time_to_target_s"] = optionalNumber(summary.timeToTargetS);
  x["steps_to_target"] = summary.stepsToTarget ? nlohmann::json(*summary.stepsToTarget) : nlohmann::json(nullptr);
  x["final_loss"] = finiteOrNull(summary.final.loss);
  x["final_accuracy"] = summary.final.accuracy;
  x["diverged"] = summary.stop == StopReason::kDiverged;
  x["stop_reason"] = stopReasonName(summary.stop);
  nlohmann::json curve = nlohmann::json::array();
  for (const CurvePoint& p : summary.curve) {
    curve.push_back({{"step", p.step}, {"time_s", p.timeS}, {"loss", finiteOrNull(p.loss)}, {"accuracy", p.accuracy}});
  }
  x["curve"] = curve;
  nlohmann::json staleness = nlohmann::json::object();
  for (const auto& [stale, count] : summary.staleness) staleness[std::to_string(stale)] = count;
  x["staleness"] = staleness;
  x["staleness_unit"] = "updates";  // updates applied between a gradient's read and its own application
  x["max_lead"] = summary.maxLead;  // async/ssp: steps ahead of the slowest worker (ssp keeps it <= s)
  x["dropped_pushes"] = summary.dropped;
  x["steps"] = steps;
  x["classifier"] = modelKindName(config.model);  // not "model": ccsim uses that for its prediction model
  x["dataset"] = datasetKindName(config.data.kind);
  x["batch"] = config.globalBatch;
  x["lr"] = config.lr;
  nlohmann::json perWorker = nlohmann::json::array();
  for (const TrainWorkerResult& worker : summary.workers) {
    perWorker.push_back({{"rank", worker.rank},
                         {"steps", worker.steps},
                         {"step_us_median", median(worker.stepUs)},
                         {"compute_us_median", median(worker.computeUs)},
                         {"comm_us_median", median(worker.commUs)}});
  }
  x["workers"] = perWorker;
  return record;
}

std::vector<std::string> trainHeaderLines() {
  std::string names = columns({"strategy", "K", "steps", "step", "step p99", "compute", "comm", "upd/s", "stale",
                               "loss", "acc", "to target", "stop"});
  std::string units = columns({"", "", "", "(ms)", "(ms)", "(ms)", "(ms)", "", "med/max", "(final)", "", "(s)", ""});
  names[0] = '#';
  units[0] = '#';
  return {names, units};
}

std::string formatTrainRow(const Record& record) {
  const nlohmann::json& x = record.extra;
  std::map<std::int64_t, std::int64_t> histogram;
  for (const auto& [key, count] : x.at("staleness").items()) histogram[std::stoll(key)] = count.get<std::int64_t>();
  const nlohmann::json& toTarget = x.at("time_to_target_s");
  const nlohmann::json& loss = x.at("final_loss");
  return columns({record.algo, std::to_string(record.ranks), std::to_string(record.iters),
                  fixed(record.time.median / 1e3, 2), fixed(record.time.p99 / 1e3, 2),
                  fixed(x.at("compute_us_median").get<double>() / 1e3, 2),
                  fixed(x.at("comm_us_median").get<double>() / 1e3, 2), fixed(x.at("updates_per_s").get<double>(), 0),
                  stalenessCell(histogram), loss.is_null() ? "nan" : fixed(loss.get<double>(), 4),
                  fixed(x.at("final_accuracy").get<double>(), 3),
                  toTarget.is_null() ? "-" : fixed(toTarget.get<double>(), 2), x.at("stop_reason").get<std::string>()});
}

std::vector<std::string> trainOutcomeLines(const TrainConfig& config, const TrainSummary& summary) {
  std::vector<std::string> lines;
  std::int64_t steps = 0;
  double endS = 0;
  for (const TrainWorkerResult& worker : summary.workers) {
    steps = std::max(steps, worker.steps);
    endS = std::max(endS, worker.endS);
  }
  const std::string stopped = summary.stop == StopReason::kMaxTime    ? "--max-time"
                              : summary.stop == StopReason::kMaxSteps ? "--max-steps"
                                                                      : "divergence";
  if (config.targetLoss) {
    if (summary.timeToTargetS) {
      lines.push_back("# Target loss " + fixed(*config.targetLoss, 4) + ": reached at " +
                      fixed(*summary.timeToTargetS, 3) + " s, step " + std::to_string(*summary.stepsToTarget) +
                      " of worker 0");
    } else {
      lines.push_back("# Target loss " + fixed(*config.targetLoss, 4) + ": NOT REACHED (final loss " +
                      fixed(summary.final.loss, 4) + " after " + std::to_string(steps) + " steps, " +
                      fixed(endS, 2) + " s; stopped by " + stopped + ")");
    }
  }
  lines.push_back("# Stopped by " + stopped + " after " + std::to_string(steps) + " steps (" + fixed(endS, 2) +
                  " s); final loss " + fixed(summary.final.loss, 4) + ", accuracy " +
                  fixed(summary.final.accuracy, 3));
  return lines;
}

int runTrainCommand(const TrainCommandConfig& config, const std::string& commandLine) {
  TrainRun run(config, commandLine);
  return run.run();
}

}  // namespace ccb
