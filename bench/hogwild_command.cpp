#include "bench/hogwild_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <optional>

#include "bench/cli_exit.h"
#include "bench/context.h"
#include "bench/cross_rank.h"
#include "bench/table.h"
#include "comm/mpi_transport.h"
#include "core/error.h"
#include "core/stats.h"
#include "core/units.h"
#include "reduce/cpu_reducer.h"

namespace ccb {
namespace {

// Floats count exactly up to 2^24: no coordinate may receive more increments in one run.
constexpr std::int64_t kMaxExactCount = std::int64_t{1} << 24;
// The lock word sits a cache line before the vector, so locking does not false-share with coordinate 0.
constexpr std::size_t kHeaderBytes = 64;

std::vector<double> parseSparsities(std::string_view text) {
  std::vector<double> values;
  for (const std::string& item : splitList(text)) {
    double value = 0;
    const auto [end, err] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (err != std::errc() || end != item.data() + item.size() || !(value > 0 && value <= 1)) {
      throw UsageError("--sparsity must be fractions in (0, 1] (1 = dense), got '" + item + "'");
    }
    if (std::find(values.begin(), values.end(), value) == values.end()) values.push_back(value);
  }
  if (values.empty()) throw UsageError("--sparsity needs at least one fraction in (0, 1]");
  return values;
}

std::vector<HogwildVariant> parseVariants(std::string_view text) {
  std::vector<HogwildVariant> variants;
  for (const std::string& name : splitList(text)) {
    const HogwildVariant variant = parseHogwildVariant(name);
    if (std::find(variants.begin(), variants.end(), variant) == variants.end()) variants.push_back(variant);
  }
  if (variants.empty()) throw UsageError("--variant needs at least one of racy, atomic, locked");
  return variants;
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string scientific(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.2e", value);
  return text;
}

constexpr const char* kHogwildRowFormat = "%12s %11s %7s %9s %8s %11s %11s %12s %10s %7s";

std::string hogwildColumns(const char* size, const char* count, const char* variant, const char* sparsity,
                           const char* updates, const char* median, const char* p99, const char* rate,
                           const char* lost, const char* wrong) {
  char line[256];
  std::snprintf(line, sizeof line, kHogwildRowFormat, size, count, variant, sparsity, updates, median, p99,
                rate, lost, wrong);
  return line;
}

// Rank 0's share of MPI_Win_allocate_shared holds the lock word and the vector; every rank of the node maps
// it and updates it in place. The window stays in one passive-target epoch (lock_all) so MPI_Win_sync can
// order the plain stores around barriers.
class SharedVector {
 public:
  SharedVector(MPI_Comm comm, std::size_t bytes) {
    checkMpi(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node_),
             "MPI_Comm_split_type");
    int rank = 0;
    checkMpi(MPI_Comm_rank(node_, &rank), "MPI_Comm_rank");
    void* mine = nullptr;
    const auto size = static_cast<MPI_Aint>(rank == 0 ? kHeaderBytes + bytes : 0);
    checkMpi(MPI_Win_allocate_shared(size, 1, MPI_INFO_NULL, node_, &mine, &window_),
             "MPI_Win_allocate_shared");
    MPI_Aint sharedSize = 0;
    int unit = 0;
    checkMpi(MPI_Win_shared_query(window_, 0, &sharedSize, &unit, &base_), "MPI_Win_shared_query");
    checkMpi(MPI_Win_lock_all(MPI_MODE_NOCHECK, window_), "MPI_Win_lock_all");
  }
  ~SharedVector() {
    MPI_Win_unlock_all(window_);
    MPI_Win_free(&window_);
    MPI_Comm_free(&node_);
  }
  SharedVector(const SharedVector&) = delete;
  SharedVector& operator=(const SharedVector&) = delete;

  std::int32_t* lock() { return static_cast<std::int32_t*>(base_); }
  float* data() { return reinterpret_cast<float*>(static_cast<std::byte*>(base_) + kHeaderBytes); }
  void sync() { checkMpi(MPI_Win_sync(window_), "MPI_Win_sync"); }

 private:
  MPI_Comm node_ = MPI_COMM_NULL;
  MPI_Win window_ = MPI_WIN_NULL;
  void* base_ = nullptr;
};

class HogwildSweep {
 public:
  HogwildSweep(const HogwildConfig& config, const std::string& command)
      : config_(config),
        timeout_(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(config.sweep.timeoutS))),
        transport_(MPI_COMM_WORLD),
        crossRank_(transport_, reducer_, timeout_) {
    // Both checks see the same numbers on every rank, so every rank throws alike.
    const int local = localRanks(MPI_COMM_WORLD);
    if (local != transport_.size()) {
      throw UsageError("hogwild needs every rank on one host (shared memory): " + std::to_string(local) +
                       " of " + std::to_string(transport_.size()) + " ranks share this one");
    }
    if (config_.updates * transport_.size() >= kMaxExactCount) {
      throw UsageError("--updates " + std::to_string(config_.updates) + " on " +
                       std::to_string(transport_.size()) +
                       " ranks could push a coordinate past 2^24, where float32 stops counting exactly");
    }
    context_ = collectRunContext(transport_, crossRank_, command, timeout_);
    openJson();
    shared_.emplace(MPI_COMM_WORLD, config_.sweep.maxBytes);
  }

  int run() {
    try {
      const bool leader = transport_.rank() == 0;
      if (leader) printHeader();
      long long wrong = 0;
      std::int64_t exactLost = 0;
      for (std::uint64_t bytes : sweepSizes(config_.sweep)) {
        for (double sparsity : config_.sparsities) {
          for (HogwildVariant variant : config_.variants) {
            const HogwildPoint point = measurePoint(variant, sparsity, bytes);
            if (!leader) continue;
            const Record record = hogwildRecord(point);
            std::cout << formatHogwildRow(record) << std::endl;
            if (writer_) writer_->append(toJson(record));
            wrong += std::max(0LL, point.wrong);
            if (variant != HogwildVariant::kRacy) exactLost += point.lostIncrements;
          }
        }
      }
      // Only rank 0 counted; it decides the exit status for everyone.
      const std::int64_t failed = crossRank_.max(wrong > 0 || exactLost != 0 ? 1 : 0, "hogwild verdict");
      if (leader) {
        std::cout << "# Lost by atomic/locked: " << exactLost << (exactLost == 0 ? " OK" : " FAILED")
                  << "; wrong coordinates: " << wrong << std::endl;
      }
      if (failed != 0) {
        if (leader) printError("the atomic or locked variant lost increments");
        return kExitFailure;
      }
      return 0;
    } catch (const Error& e) {
      abandonRun(transport_.rank(), e.what());
    }
  }

 private:
  void printHeader() {
    for (const std::string& line : contextLines(context_)) std::cout << line << '\n';
    std::string variants;
    for (HogwildVariant variant : config_.variants) {
      variants += (variants.empty() ? "" : ",") + std::string(hogwildVariantName(variant));
    }
    std::cout << "# sweep " << formatBytes(config_.sweep.minBytes) << ".."
              << formatBytes(config_.sweep.maxBytes) << " x" << config_.sweep.stepFactor << ", runs "
              << config_.sweep.iters << " + warmup " << config_.sweep.warmup << ", " << config_.updates
              << " updates per rank and run, variants " << variants << ", seed " << config_.seed << "\n#\n";
    std::string names = hogwildColumns("size", "count", "variant", "sparsity", "upd/rank", "median", "p99",
                                       "updates/s", "lost", "#wrong");
    std::string units = hogwildColumns("(B)", "(elements)", "", "", "", "(us)", "(us)", "", "(fraction)", "");
    names[0] = '#';
    units[0] = '#';
    std::cout << names << '\n' << units << std::endl;
  }

  void openJson() {
    if (config_.sweep.jsonPath.empty()) return;
    std::string problem;
    if (transport_.rank() == 0) {
      try {
        writer_.emplace(config_.sweep.jsonPath,
                        makeDocument(DocKind::kMeasured, context_, hogwildConfigJson(config_)));
      } catch (const UsageError& e) {
        problem = e.what();
      }
    }
    if (crossRank_.max(problem.empty() ? 0 : 1, "checking the --json path") != 0) {
      throw UsageError(transport_.rank() == 0 ? "--json: " + problem
                                              : "--json: rank 0 cannot write the file");
    }
  }

  HogwildWork work(double sparsity, std::size_t count, std::int64_t run, int rank) const {
    return HogwildWork{count, sparsity, config_.updates, config_.seed, rank, run};
  }

  // One run: rank 0 zeroes the vector, everyone starts together, updates, and waits for the others. Returns
  // this rank's update time.
  double runOnce(HogwildVariant variant, double sparsity, std::size_t count, std::int64_t run,
                 const std::string& what) {
    if (transport_.rank() == 0) {
      std::memset(shared_->data(), 0, count * sizeof(float));
      *shared_->lock() = 0;
    }
    shared_->sync();
    barrier(transport_, Clock::now() + timeout_, what + ": barrier before the run");
    shared_->sync();
    const Clock::time_point start = Clock::now();
    applyHogwildUpdates(shared_->data(), shared_->lock(), work(sparsity, count, run, transport_.rank()),
                        variant);
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    shared_->sync();
    barrier(transport_, Clock::now() + timeout_, what + ": barrier after the run");
    shared_->sync();
    return us;
  }

  // Rank 0: coordinates that differ from every rank's increments of `run` (exact variants only).
  long long countWrongCoordinates(double sparsity, std::size_t count, std::int64_t run) {
    std::vector<std::uint32_t> expected(count, 0);
    for (int rank = 0; rank < transport_.size(); ++rank)
      addHogwildIncrements(expected, work(sparsity, count, run, rank));
    long long wrong = 0;
    const float* data = shared_->data();
    for (std::size_t i = 0; i < count; ++i) wrong += data[i] != static_cast<float>(expected[i]) ? 1 : 0;
    return wrong;
  }

  HogwildPoint measurePoint(HogwildVariant variant, double sparsity, std::uint64_t bytes) {
    const std::size_t count = bytes / sizeof(float);
    const std::string what = "hogwild " + std::string(hogwildVariantName(variant)) + " " +
                             formatBytes(bytes) + " sparsity " + fixed(sparsity, 3);
    HogwildPoint point;
    point.variant = variant;
    point.sparsity = sparsity;
    point.bytes = bytes;
    point.ranks = transport_.size();
    point.updates = config_.updates;
    point.seed = config_.seed;
    std::int64_t run = 0;
    if (config_.sweep.check) {
      runOnce(variant, sparsity, count, run, what);
      if (transport_.rank() == 0 && variant != HogwildVariant::kRacy) {
        point.wrong = countWrongCoordinates(sparsity, count, run);
      }
      ++run;
    }
    for (int i = 0; i < config_.sweep.warmup; ++i) runOnce(variant, sparsity, count, run++, what);
    // Every rank adds the same number of increments per run.
    const std::int64_t perRun =
        config_.updates * static_cast<std::int64_t>(touchedPerUpdate(count, sparsity)) * transport_.size();
    for (int i = 0; i < config_.sweep.iters; ++i) {
      point.timesUs.push_back(runOnce(variant, sparsity, count, run++, what));
      if (transport_.rank() == 0) {
        // Counts are exact integers below 2^24 per coordinate; their sum fits a double exactly.
        double total = 0;
        for (std::size_t j = 0; j < count; ++j) total += shared_->data()[j];
        point.increments += perRun;
        point.lostIncrements += perRun - static_cast<std::int64_t>(total);
      }
    }
    crossRank_.maxInPlace(point.timesUs, what + ": collecting run times");
    return point;
  }

  HogwildConfig config_;
  Clock::duration timeout_;
  MpiTransport transport_;
  CpuReducer reducer_;
  CrossRank crossRank_;
  RunContext context_;
  std::optional<DocumentWriter> writer_;
  std::optional<SharedVector> shared_;
};

}  // namespace

HogwildFlags::HogwildFlags() {
  sweep.minBytes = "4K";
  sweep.maxBytes = "1M";
  sweep.stepFactor = "4";
  sweep.iters = "5";
  sweep.warmup = "1";
}

CLI::App* addHogwildCommand(CLI::App& parent, HogwildFlags& flags) {
  CLI::App* command = parent.add_subcommand(
      "hogwild", "Lock-free shared-memory updates (Hogwild) on one host vs atomic and locked variants");
  addSweepFlags(*command, flags.sweep);
  command->add_option("--variant", flags.variants, "racy, atomic, locked, or a comma list")
      ->capture_default_str();
  command
      ->add_option("--sparsity", flags.sparsity,
                   "fraction of coordinates one update touches, (0, 1], comma list; 1 = dense")
      ->capture_default_str();
  command->add_option("--updates", flags.updates, "updates per rank and run")->capture_default_str();
  command->add_option("--seed", flags.seed, "seed of the sparse coordinates")->capture_default_str();
  return command;
}

HogwildConfig validateHogwildFlags(const HogwildFlags& flags) {
  HogwildConfig config;
  config.sweep = validateSweepFlags(flags.sweep);
  if (config.sweep.dtypes != std::vector<DType>{DType::kFloat32}) {
    throw UsageError("--datatype: hogwild updates a float32 vector (leave -d at float32)");
  }
  if (config.sweep.ops != std::vector<ReduceOp>{ReduceOp::kSum})
    throw UsageError("--op does not apply to hogwild");
  if (config.sweep.inPlace != std::vector<bool>{false})
    throw UsageError("--inplace does not apply to hogwild");
  config.variants = parseVariants(flags.variants);
  config.sparsities = parseSparsities(flags.sparsity);
  config.updates = parseIntFlag(flags.updates, "--updates", 1);
  const std::string& seed = flags.seed;
  const auto [end, err] = std::from_chars(seed.data(), seed.data() + seed.size(), config.seed);
  if (seed.empty() || err != std::errc() || end != seed.data() + seed.size()) {
    throw UsageError("--seed must be a non-negative integer, got '" + seed + "'");
  }
  return config;
}

nlohmann::json hogwildConfigJson(const HogwildConfig& config) {
  nlohmann::json j = sweepConfigJson(config.sweep);
  nlohmann::json variants = nlohmann::json::array();
  for (HogwildVariant variant : config.variants) variants.push_back(hogwildVariantName(variant));
  j["variants"] = variants;
  j["sparsities"] = config.sparsities;
  j["updates_per_rank"] = config.updates;
  j["seed"] = config.seed;
  return j;
}

Record hogwildRecord(const HogwildPoint& point) {
  Record record;
  record.collective = "hogwild";
  record.algo = "hogwild_" + std::string(hogwildVariantName(point.variant));
  record.ranks = point.ranks;
  record.dtype = DType::kFloat32;
  record.op = ReduceOp::kSum;
  record.bytes = point.bytes;
  record.count = point.bytes / sizeof(float);
  record.iters = static_cast<int>(point.timesUs.size());
  record.time = summarize(point.timesUs);
  record.algBw = algBwGBps(point.bytes, record.time.median);
  record.busBw = record.algBw;
  record.nwrong = point.wrong;
  const double updatesPerS =
      record.time.median > 0 ? static_cast<double>(point.updates) * point.ranks / (record.time.median * 1e-6)
                             : 0;
  record.extra = {
      {"variant", hogwildVariantName(point.variant)},
      {"sparsity", point.sparsity},
      {"updates_per_rank", point.updates},
      {"touched_per_update", touchedPerUpdate(record.count, point.sparsity)},
      {"updates_per_s", updatesPerS},
      {"increments", point.increments},
      {"lost_increments", point.lostIncrements},
      {"lost_fraction",
       point.increments > 0 ? static_cast<double>(point.lostIncrements) / point.increments : 0.0},
      {"seed", point.seed},
  };
  return record;
}

std::string formatHogwildRow(const Record& record) {
  const nlohmann::json& extra = record.extra;
  const std::string wrong = record.nwrong < 0 ? "N/A" : std::to_string(record.nwrong);
  return hogwildColumns(std::to_string(record.bytes).c_str(), std::to_string(record.count).c_str(),
                        extra.at("variant").get<std::string>().c_str(),
                        fixed(extra.at("sparsity").get<double>(), 3).c_str(),
                        std::to_string(extra.at("updates_per_rank").get<std::int64_t>()).c_str(),
                        fixed(record.time.median, 1).c_str(), fixed(record.time.p99, 1).c_str(),
                        fixed(extra.at("updates_per_s").get<double>(), 0).c_str(),
                        scientific(extra.at("lost_fraction").get<double>()).c_str(), wrong.c_str());
}

int runHogwildCommand(const HogwildConfig& config, const std::string& commandLine) {
  HogwildSweep sweep(config, commandLine);
  return sweep.run();
}

}  // namespace ccb
