#include "bench/ps_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <optional>

#include "bench/cli_exit.h"
#include "bench/context.h"
#include "bench/cross_rank.h"
#include "bench/table.h"
#include "comm/mpi_transport.h"
#include "core/error.h"
#include "core/units.h"
#include "ps/pattern.h"
#include "reduce/cpu_reducer.h"

namespace ccb {
namespace {

std::vector<PsMode> parseModes(std::string_view text) {
  std::vector<PsMode> modes;
  for (const std::string& name : splitList(text)) {
    const PsMode mode = parsePsMode(name);
    if (std::find(modes.begin(), modes.end(), mode) == modes.end()) modes.push_back(mode);
  }
  if (modes.empty()) throw UsageError("--mode needs at least one of sync, async, ssp, backup");
  return modes;
}

std::uint64_t parseSeed(std::string_view text) {
  std::uint64_t seed = 0;
  const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), seed);
  if (text.empty() || err != std::errc() || end != text.data() + text.size()) {
    throw UsageError("--seed must be a non-negative integer, got '" + std::string(text) + "'");
  }
  return seed;
}

// The parameter server decides its own reduction and never works in place: other values of these sweep
// flags would be silently meaningless, so they are errors.
void checkSweepFitsPs(const SweepOptions& sweep) {
  if (sweep.ops != std::vector<ReduceOp>{ReduceOp::kSum}) {
    throw UsageError(
        "--op does not apply to ps: --mode decides (sync and backup average, async and ssp add)");
  }
  if (sweep.inPlace != std::vector<bool>{false})
    throw UsageError("--inplace does not apply to ps (leave it at 0)");
  for (DType dtype : sweep.dtypes) checkPsDType(dtype);
}

std::uint64_t parsePartition(const std::string& text, const SweepOptions& sweep) {
  const std::uint64_t bytes = parseBytes(text, "--partition");
  if (bytes == 0) throw UsageError("--partition must be at least one element, got '" + text + "'");
  for (DType dtype : sweep.dtypes) {
    if (bytes % dtypeSize(dtype) != 0) {
      throw UsageError("--partition " + std::to_string(bytes) + " is not a multiple of the " +
                       std::to_string(dtypeSize(dtype)) + "-byte " + std::string(dtypeName(dtype)) +
                       " element");
    }
  }
  if (bytes > sweep.maxBytes) {
    throw UsageError("--partition " + std::to_string(bytes) +
                     " is larger than the largest parameter vector (" + "--maxbytes " +
                     std::to_string(sweep.maxBytes) + ")");
  }
  return bytes;
}

nlohmann::json statsJson(const TimeStatsUs& stats) {
  return {{"min", stats.min},
          {"median", stats.median},
          {"mean", stats.mean},
          {"p99", stats.p99},
          {"max", stats.max}};
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string joinedRanks(const std::vector<int>& ranks) {
  std::string text;
  for (int rank : ranks) text += (text.empty() ? "" : ",") + std::to_string(rank);
  return text.empty() ? "-" : text;
}

// Column layout shared by the header and the rows.
constexpr const char* kPsRowFormat =
    "%12s %11s %8s %6s %3s %3s %10s %10s %9s %9s %9s %8s %9s %7s %7s %6s %6s";

std::string psColumns(const std::vector<std::string>& cells) {
  CCB_CHECK_EQ(cells.size(), std::size_t{17});
  char line[320];
  std::snprintf(line, sizeof line, kPsRowFormat, cells[0].c_str(), cells[1].c_str(), cells[2].c_str(),
                cells[3].c_str(), cells[4].c_str(), cells[5].c_str(), cells[6].c_str(), cells[7].c_str(),
                cells[8].c_str(), cells[9].c_str(), cells[10].c_str(), cells[11].c_str(), cells[12].c_str(),
                cells[13].c_str(), cells[14].c_str(), cells[15].c_str(), cells[16].c_str());
  return line;
}

// Median and largest staleness of a histogram {"staleness": count}, as "median/max", "-" when empty.
std::string stalenessCell(const nlohmann::json& histogram) {
  std::int64_t total = 0;
  for (const auto& [key, count] : histogram.items()) total += count.get<std::int64_t>();
  if (total == 0) return "-";
  std::vector<std::pair<std::int64_t, std::int64_t>> bins;
  for (const auto& [key, count] : histogram.items())
    bins.emplace_back(std::stoll(key), count.get<std::int64_t>());
  std::sort(bins.begin(), bins.end());
  std::int64_t seen = 0, median = bins.front().first;
  for (const auto& [staleness, count] : bins) {
    seen += count;
    if (2 * seen >= total) {
      median = staleness;
      break;
    }
  }
  return std::to_string(median) + "/" + std::to_string(bins.back().first);
}

std::string settingsLine(const PsCommandConfig& config, const PsLayout& layout) {
  const SweepOptions& sweep = config.sweep;
  std::string modes;
  for (PsMode mode : config.modes) modes += (modes.empty() ? "" : ",") + std::string(psModeName(mode));
  std::string line = "sweep " + formatBytes(sweep.minBytes) + ".." + formatBytes(sweep.maxBytes) + " x" +
                     std::to_string(sweep.stepFactor) + ", steps " + std::to_string(sweep.iters) +
                     " + warmup " + std::to_string(sweep.warmup) + ", mode " + modes + ", " +
                     std::to_string(layout.servers()) + " server(s) " +
                     (layout.colocated() ? "co-located" : "dedicated") + ", " +
                     std::to_string(layout.workers()) + " workers, partition " +
                     (config.partitionGiven ? "" : "min(size, ") + formatBytes(config.partitionBytes) +
                     (config.partitionGiven ? "" : ")") + ", compute " + formatComputeDist(config.compute) +
                     ", seed " + std::to_string(config.seed);
  if (!config.stragglers.empty()) {
    line += ", stragglers";
    for (const Straggler& straggler : config.stragglers) {
      line += " " + std::to_string(straggler.rank) + ":" + fixed(straggler.factor, 2);
    }
  }
  if (config.fail) {
    line +=
        ", fail rank " + std::to_string(config.fail->rank) + " at step " + std::to_string(config.fail->step);
  }
  return line + ", timeout " + fixed(sweep.timeoutS, 1) + " s";
}

void printPsHeader(std::ostream& out, const RunContext& context, const std::string& settings) {
  for (const std::string& line : contextLines(context)) out << line << '\n';
  out << "# " << settings << "\n";
  out << "# times are medians over every worker's timed steps; step = compute + push + idle + pull\n#\n";
  std::string names = psColumns({"size", "count", "type", "mode", "M", "K", "step", "step p99", "push",
                                 "idle", "pull", "algbw", "upd/s", "stale", "dropped", "failed", "#wrong"});
  std::string units = psColumns({"(B)", "(elements)", "", "", "", "", "(us)", "(us)", "(us)", "(us)", "(us)",
                                 "(GB/s)", "", "med/max", "", "", ""});
  names[0] = '#';
  units[0] = '#';
  out << names << '\n' << units << std::endl;
}

// One sweep on MPI_COMM_WORLD. The constructor checks everything that fails alike on every rank before the
// first message (layout, modes against it), then collects the context; run() measures.
class PsSweep {
 public:
  PsSweep(const PsCommandConfig& config, const std::string& command)
      : config_(config),
        timeout_(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(config.sweep.timeoutS))),
        transport_(MPI_COMM_WORLD),
        layout_(psLayout(config, transport_.size())),
        crossRank_(transport_, reducer_, timeout_) {
    // psSetup validates: a bad --backup or --fail for this layout fails before any communication.
    for (DType dtype : config_.sweep.dtypes) {
      for (PsMode mode : config_.modes) psSetup(config_, layout_, dtype, mode, config_.sweep.maxBytes);
    }
    context_ = collectRunContext(transport_, crossRank_, command, timeout_);
    openJson();
  }

  int run() {
    try {
      const bool leader = transport_.rank() == 0;
      if (leader) printPsHeader(std::cout, context_, settingsLine(config_, layout_));
      long long wrong = 0;
      std::int64_t lost = 0;
      std::vector<std::string> failures;
      for (DType dtype : config_.sweep.dtypes) {
        for (std::uint64_t bytes : sweepSizes(config_.sweep)) {
          for (PsMode mode : config_.modes) {
            const PsSetup setup = psSetup(config_, layout_, dtype, mode, bytes);
            const PsSummary summary = measurePoint(setup);
            const Record record = psRecord(setup, summary);
            wrong += std::max(0LL, summary.wrong);
            lost += summary.lostPushes;
            if (!summary.failedWorkerRanks.empty()) {
              failures.push_back(setup.what + ": worker rank(s) " + joinedRanks(summary.failedWorkerRanks) +
                                 " declared failed after " + fixed(config_.sweep.timeoutS, 1) +
                                 " s of silence; the others finished");
            }
            if (leader) {
              std::cout << formatPsRow(record) << std::endl;
              if (writer_) writer_->append(toJson(record));
            }
          }
        }
      }
      if (leader) {
        std::cout << "# Out of bounds values : "
                  << (config_.sweep.check ? std::to_string(wrong) : "not checked")
                  << (config_.sweep.check ? (wrong == 0 ? " OK" : " FAILED") : " (-c 0)") << '\n';
        std::cout << "# Lost pushes          : " << lost << (lost == 0 ? " OK" : " FAILED") << '\n';
        for (const std::string& failure : failures) std::cout << "# Failure: " << failure << '\n';
        std::cout.flush();
      }
      if (wrong > 0 || lost != 0) {
        if (leader)
          printError(std::to_string(wrong) + " wrong elements, " + std::to_string(lost) + " lost pushes");
        return kExitFailure;
      }
      return 0;
    } catch (const Error& e) {
      abandonRun(transport_.rank(), e.what());
    }
  }

 private:
  void openJson() {
    if (config_.sweep.jsonPath.empty()) return;
    std::string problem;
    if (transport_.rank() == 0) {
      try {
        writer_.emplace(config_.sweep.jsonPath,
                        makeDocument(DocKind::kMeasured, context_, psConfigJson(config_, layout_)));
      } catch (const UsageError& e) {
        problem = e.what();
      }
    }
    if (crossRank_.max(problem.empty() ? 0 : 1, "checking the --json path") != 0) {
      throw UsageError(transport_.rank() == 0 ? "--json: " + problem
                                              : "--json: rank 0 cannot write the file");
    }
  }

  // Runs one point on every rank and gathers every rank's result on every rank (each fills its own slot of
  // a -1 vector, then one element-wise max).
  PsSummary measurePoint(const PsSetup& setup) {
    barrier(transport_, Clock::now() + timeout_, setup.what + ": barrier before the run");
    const PsRankResult mine = runPs(transport_, reducer_, setup);
    std::int64_t localMaxStaleness = 0;
    for (const auto& [staleness, count] : mine.server.staleness) {
      localMaxStaleness = std::max(localMaxStaleness, staleness);
    }
    const std::int64_t maxStaleness = crossRank_.max(localMaxStaleness, setup.what + ": largest staleness");
    const int ranks = transport_.size();
    const int iters = static_cast<int>(setup.timedSteps);
    const std::size_t slot = encodedSlotSize(iters, maxStaleness, ranks);
    std::vector<double> all(slot * static_cast<std::size_t>(ranks), -1.0);
    const std::vector<double> encoded = encodeRankResult(mine, iters, maxStaleness, ranks);
    std::copy(encoded.begin(), encoded.end(),
              all.begin() + static_cast<std::ptrdiff_t>(slot * transport_.rank()));
    crossRank_.maxInPlace(all, setup.what + ": gathering results");
    std::vector<PsRankResult> results;
    for (int rank = 0; rank < ranks; ++rank) {
      results.push_back(decodeRankResult(std::span<const double>(all).subspan(slot * rank, slot), iters,
                                         maxStaleness, ranks));
    }
    return summarizePs(results);
  }

  PsCommandConfig config_;
  Clock::duration timeout_;
  MpiTransport transport_;
  PsLayout layout_;
  CpuReducer reducer_;
  CrossRank crossRank_;
  RunContext context_;
  std::optional<DocumentWriter> writer_;
};

}  // namespace

CLI::App* addPsCommand(CLI::App& parent, PsFlags& flags) {
  CLI::App* command = parent.add_subcommand(
      "ps",
      "Parameter server under mpiexec: servers and workers (or co-located), sync/async/ssp/backup modes");
  addSweepFlags(*command, flags.sweep);
  command->add_option("--mode", flags.modes, "sync, async, ssp, backup, or a comma list")
      ->capture_default_str();
  command->add_option("--servers", flags.servers,
                      "server ranks M (ranks 0..M-1; the rest are workers); default 1, or every rank with "
                      "--colocated");
  command->add_flag("--colocated", flags.colocated,
                    "every rank is a worker, ranks 0..M-1 also serve a shard (M = 1: central storage)");
  command->add_option("--partition", flags.partition,
                      "partition size in bytes (K/M/G); default 4M, cut to the vector when it is smaller");
  command
      ->add_option("--staleness", flags.staleness,
                   "ssp: how many steps a worker may run ahead of the slowest")
      ->capture_default_str();
  command
      ->add_option("--backup", flags.backup, "backup: b backup workers (a step completes with K - b pushes)")
      ->capture_default_str();
  command
      ->add_option("--compute", flags.compute,
                   "emulated compute per step in ms: fixed:MS, normal:MEAN,SD, exponential:MEAN[,SHIFT], "
                   "uniform:LO,HI")
      ->capture_default_str();
  command->add_option("--straggler", flags.stragglers,
                      "RANK:FACTOR[,RANK:FACTOR]: slow these workers' compute");
  command->add_option("--seed", flags.seed, "seed of the compute-time draws")->capture_default_str();
  command->add_option("--fail", flags.fail,
                      "RANK:STEP: this worker stops before step STEP (0-based, warm-up included)");
  return command;
}

PsCommandConfig validatePsFlags(const PsFlags& flags) {
  PsCommandConfig config;
  config.sweep = validateSweepFlags(flags.sweep);
  checkSweepFitsPs(config.sweep);
  config.modes = parseModes(flags.modes);
  config.servers = flags.servers.empty() ? 0 : parseIntFlag(flags.servers, "--servers", 1);
  config.colocated = flags.colocated;
  config.partitionGiven = !flags.partition.empty();
  if (config.partitionGiven) config.partitionBytes = parsePartition(flags.partition, config.sweep);
  config.staleness = parseIntFlag(flags.staleness, "--staleness", 0);
  config.backup = parseIntFlag(flags.backup, "--backup", 0);
  config.compute = parseComputeDist(flags.compute);
  config.stragglers = parseStragglers(flags.stragglers);
  config.seed = parseSeed(flags.seed);
  if (!flags.fail.empty()) {
    config.fail = parseFailPoint(flags.fail);
    const std::int64_t steps = config.sweep.warmup + config.sweep.iters;
    if (config.fail->step >= steps) {
      throw UsageError("--fail: step " + std::to_string(config.fail->step) + " is past the run's " +
                       std::to_string(steps) + " steps (--warmup + --iters)");
    }
  }
  return config;
}

PsLayout psLayout(const PsCommandConfig& config, int ranks) {
  const int servers = config.servers > 0 ? config.servers : (config.colocated ? ranks : 1);
  return PsLayout(ranks, servers, config.colocated);
}

PsSetup psSetup(const PsCommandConfig& config, const PsLayout& layout, DType dtype, PsMode mode,
                std::uint64_t bytes) {
  const std::uint64_t partition = std::min(config.partitionBytes, bytes);
  PsSetup setup(layout, planPartitions(bytes, partition, dtypeSize(dtype), layout.servers()));
  setup.dtype = dtype;
  setup.mode = mode;
  setup.staleness = config.staleness;
  setup.backup = config.backup;
  setup.warmupSteps = config.sweep.warmup;
  setup.timedSteps = config.sweep.iters;
  setup.compute = config.compute;
  setup.stragglers = config.stragglers;
  setup.seed = config.seed;
  setup.fail = config.fail;
  setup.timeout = std::chrono::duration<double>(config.sweep.timeoutS);
  setup.check = config.sweep.check;
  setup.what =
      "ps " + std::string(psModeName(mode)) + " " + formatBytes(bytes) + " " + std::string(dtypeName(dtype));
  validatePsSetup(setup, layout.ranks());
  return setup;
}

nlohmann::json psConfigJson(const PsCommandConfig& config, const PsLayout& layout) {
  nlohmann::json j = sweepConfigJson(config.sweep);
  nlohmann::json modes = nlohmann::json::array();
  for (PsMode mode : config.modes) modes.push_back(psModeName(mode));
  nlohmann::json stragglers = nlohmann::json::array();
  for (const Straggler& straggler : config.stragglers) {
    stragglers.push_back({{"rank", straggler.rank}, {"factor", straggler.factor}});
  }
  j["modes"] = modes;
  j["servers"] = layout.servers();
  j["workers"] = layout.workers();
  j["colocated"] = layout.colocated();
  j["partition_bytes"] = config.partitionBytes;
  j["partition_given"] = config.partitionGiven;
  j["staleness"] = config.staleness;
  j["backup"] = config.backup;
  j["compute"] = formatComputeDist(config.compute);
  j["stragglers"] = stragglers;
  j["seed"] = config.seed;
  j["fail"] = config.fail ? nlohmann::json{{"rank", config.fail->rank}, {"step", config.fail->step}}
                          : nlohmann::json(nullptr);
  return j;
}

Record psRecord(const PsSetup& setup, const PsSummary& summary) {
  Record record;
  record.collective = "ps";
  record.algo = "ps_" + std::string(psModeName(setup.mode));
  record.ranks = setup.layout.ranks();
  record.dtype = setup.dtype;
  record.op = psModeOp(setup.mode);
  record.bytes = setup.plan.vectorBytes;
  record.count = setup.count();
  record.inPlace = false;
  record.iters = static_cast<int>(setup.timedSteps);
  record.time = summary.step;
  record.algBw = algBwGBps(record.bytes, record.time.median);
  const double incast = static_cast<double>(busiestLinkBytes(setup.layout, setup.plan)) /
                        static_cast<double>(setup.plan.vectorBytes);
  record.busBw = record.algBw * incast;
  record.nwrong = summary.wrong;
  nlohmann::json histogram = nlohmann::json::object();
  for (const auto& [staleness, count] : summary.staleness) histogram[std::to_string(staleness)] = count;
  nlohmann::json stragglers = nlohmann::json::array();
  for (const Straggler& straggler : setup.stragglers) {
    stragglers.push_back({{"rank", straggler.rank}, {"factor", straggler.factor}});
  }
  record.extra = {
      {"mode", psModeName(setup.mode)},
      {"servers", setup.layout.servers()},
      {"workers", setup.layout.workers()},
      {"colocated", setup.layout.colocated()},
      {"partition_bytes", setup.plan.partitionBytes},
      {"step_time", statsJson(summary.step)},
      {"push_time", statsJson(summary.push)},
      {"pull_time", statsJson(summary.pull)},
      {"idle_time", statsJson(summary.idle)},
      {"compute_time", statsJson(summary.compute)},
      {"updates_per_s", summary.updatesPerS},
      {"staleness_histogram", histogram},
      {"dropped_pushes", summary.dropped},
      {"applied_pushes", summary.applied},
      {"lost_pushes", summary.lostPushes},
      {"failed_workers", summary.failedWorkerRanks},
      {"stopped_workers", summary.stoppedWorkerRanks},
      {"seed", setup.seed},
      {"compute", formatComputeDist(setup.compute)},
      {"stragglers", stragglers},
      {"incast_factor", incast},
      {"warmup", setup.warmupSteps},
  };
  if (setup.mode == PsMode::kSsp) record.extra["staleness_bound"] = setup.staleness;
  if (setup.mode == PsMode::kSsp || setup.mode == PsMode::kAsync) record.extra["max_lead"] = summary.maxLead;
  if (setup.mode == PsMode::kBackup) {
    record.extra["backup_workers"] = setup.backup;
    record.extra["step_pushes"] = {{"min", summary.minStepPushes}, {"max", summary.maxStepPushes}};
  }
  return record;
}

std::string formatPsRow(const Record& record) {
  const nlohmann::json& extra = record.extra;
  const std::string wrong = record.nwrong < 0 ? "N/A" : std::to_string(record.nwrong);
  auto median = [&](const char* key) { return fixed(extra.at(key).at("median").get<double>(), 1); };
  return psColumns({std::to_string(record.bytes), std::to_string(record.count),
                    std::string(dtypeName(record.dtype)), extra.at("mode").get<std::string>(),
                    std::to_string(extra.at("servers").get<int>()),
                    std::to_string(extra.at("workers").get<int>()), fixed(record.time.median, 1),
                    fixed(record.time.p99, 1), median("push_time"), median("idle_time"), median("pull_time"),
                    fixed(record.algBw, 3), fixed(extra.at("updates_per_s").get<double>(), 0),
                    stalenessCell(extra.at("staleness_histogram")),
                    std::to_string(extra.at("dropped_pushes").get<std::int64_t>()),
                    joinedRanks(extra.at("failed_workers").get<std::vector<int>>()), wrong});
}

int runPsCommand(const PsCommandConfig& config, const std::string& commandLine) {
  PsSweep sweep(config, commandLine);
  return sweep.run();
}

}  // namespace ccb
