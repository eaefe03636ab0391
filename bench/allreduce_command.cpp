#include "bench/allreduce_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>

#include "bench/check.h"
#include "bench/cli_exit.h"
#include "bench/context.h"
#include "bench/cross_rank.h"
#include "bench/table.h"
#include "bench/timing.h"
#include "comm/mpi_transport.h"
#include "core/error.h"
#include "core/result_json.h"
#include "core/stats.h"
#include "core/units.h"
#include "reduce/cpu_reducer.h"
#include "reduce/verify.h"

namespace ccb {
namespace {

std::vector<std::string> parseAlgos(std::string_view text) {
  const std::vector<std::string> known = allReduceNames();
  std::vector<std::string> algos;
  for (const std::string& name : splitList(text)) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      throw UsageError("--algo: unknown algorithm '" + name + "' (expected " + joinList(known, ", ") +
                       ", or a comma list)");
    }
    if (std::find(algos.begin(), algos.end(), name) == algos.end()) algos.push_back(name);
  }
  if (algos.empty()) throw UsageError("--algo needs at least one algorithm name");
  return algos;
}

// The settings line of the table header.
std::string settingsLine(const AllReduceConfig& config) {
  const SweepOptions& sweep = config.sweep;
  const std::string placement = sweep.inPlace.size() == 2 ? "both" : (sweep.inPlace[0] ? "1" : "0");
  std::ostringstream seconds;  // 60, 2.5: no trailing zeros
  seconds << sweep.timeoutS;
  return "sweep " + formatBytes(sweep.minBytes) + ".." + formatBytes(sweep.maxBytes) + " x" +
         std::to_string(sweep.stepFactor) + ", iters " + std::to_string(sweep.iters) + ", warmup " +
         std::to_string(sweep.warmup) + ", check " + (sweep.check ? "1" : "0") + ", inplace " + placement +
         ", algo " + joinList(config.algos, ",") + ", segment " + formatBytes(config.algoOptions.segmentBytes) +
         ", inflight " + std::to_string(config.algoOptions.maxInFlight) + ", timeout " +
         seconds.str() + " s";
}

// One sweep on MPI_COMM_WORLD. The constructor does everything that can fail alike on every rank (before
// the first message, except for the JSON path, which only rank 0 writes and then shares its verdict);
// run() measures.
class AllReduceSweep {
 public:
  AllReduceSweep(const AllReduceConfig& config, const std::string& command)
      : config_(config),
        timeout_(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.sweep.timeoutS))),
        transport_(MPI_COMM_WORLD),
        crossRank_(transport_, reducer_, timeout_) {
    if (config_.sweep.check && transport_.size() > kMaxVerifiableRanks) {
      throw UsageError("--check 1 verifies at most " + std::to_string(kMaxVerifiableRanks) + " ranks, running " +
                       std::to_string(transport_.size()) + " (use -c 0)");
    }
    for (const std::string& name : config_.algos) {
      algorithms_.push_back(makeAllReduce(name, transport_, reducer_, config_.algoOptions));
    }
    context_ = collectRunContext(transport_, crossRank_, command, timeout_);
    openJson();
    const std::size_t maxBytes = config_.sweep.maxBytes;
    input_.resize(maxBytes);
    output_.resize(maxBytes);
    if (config_.sweep.check) expected_.resize(maxBytes);
  }

  int run() {
    try {
      ResultTable table(std::cout);
      if (isLeader()) table.printHeader(context_, settingsLine(config_));
      long long wrong = 0;
      for (DType dtype : config_.sweep.dtypes) {
        for (ReduceOp op : config_.sweep.ops) {
          for (std::uint64_t bytes : sweepSizes(config_.sweep)) {
            for (const auto& algorithm : algorithms_) {
              for (bool inPlace : config_.sweep.inPlace) {
                const Record record = measurePoint(*algorithm, dtype, op, bytes, inPlace);
                wrong += std::max(0LL, record.nwrong);
                if (isLeader()) publish(table, record);
              }
            }
          }
        }
      }
      if (isLeader()) table.printFooter();
      if (wrong > 0) {
        if (isLeader()) printError(std::to_string(wrong) + " wrong elements (see the #wrong column)");
        return kExitFailure;
      }
      return 0;
    } catch (const Error& e) {
      abandonRun(transport_.rank(), e.what());
    }
  }

 private:
  bool isLeader() const { return transport_.rank() == 0; }

  // Rank 0 writes the empty document now, so an unwritable path stops the run before the sweep; every
  // rank learns the verdict and throws alike.
  void openJson() {
    if (config_.sweep.jsonPath.empty()) return;
    std::string problem;
    if (isLeader()) {
      try {
        writer_.emplace(config_.sweep.jsonPath,
                        makeDocument(DocKind::kMeasured, context_, allReduceConfigJson(config_)));
      } catch (const UsageError& e) {
        problem = e.what();
      }
    }
    if (crossRank_.max(problem.empty() ? 0 : 1, "checking the --json path") != 0) {
      throw UsageError(isLeader() ? "--json: " + problem : "--json: rank 0 cannot write the file");
    }
  }

  void publish(ResultTable& table, const Record& record) {
    table.printRow(record);
    if (writer_) writer_->append(toJson(record));
  }

  // Checks (optionally), warms up and times one point; every rank returns the same record.
  Record measurePoint(AllReduce& algorithm, DType dtype, ReduceOp op, std::uint64_t bytes, bool inPlace) {
    const std::size_t count = bytes / dtypeSize(dtype);
    const std::string what = "allreduce " + algorithm.name() + " " + formatBytes(bytes) + " " +
                             std::string(dtypeName(dtype)) + " " + std::string(opName(op)) +
                             (inPlace ? " in-place" : " out-of-place");
    const PointBuffers buffers{inPlace ? output_.data() : input_.data(), output_.data(), expected_.data()};
    const AllReduceArgs args{buffers.input, buffers.output, count, dtype, op};

    Record record;
    record.algo = algorithm.name();
    record.ranks = transport_.size();
    record.dtype = dtype;
    record.op = op;
    record.bytes = bytes;
    record.count = count;
    record.inPlace = inPlace;
    record.iters = config_.sweep.iters;
    if (config_.sweep.check) {
      const std::size_t localWrong = runAndCountWrong(algorithm, buffers, count, dtype, op, transport_.rank(),
                                                      transport_.size(), Clock::now() + timeout_, what);
      record.nwrong = crossRank_.sum(static_cast<std::int64_t>(localWrong), what + ": summing wrong elements");
    }
    for (int i = 0; i < config_.sweep.warmup; ++i) algorithm.run(args, Clock::now() + timeout_, what);
    // Start the timed iterations together; from here on no barrier, so the samples include the skew
    // between ranks that a real application would see.
    barrier(transport_, Clock::now() + timeout_, what + ": barrier before timing");
    std::vector<double> samplesUs = timeIterationsUs(
        config_.sweep.iters, [&](Clock::time_point start) { algorithm.run(args, start + timeout_, what); });
    crossRank_.maxInPlace(samplesUs, what + ": collecting iteration times");
    record.time = summarize(std::move(samplesUs));
    record.algBw = algBwGBps(bytes, record.time.median);
    record.busBw = record.algBw * allReduceBusFactor(record.ranks);
    return record;
  }

  AllReduceConfig config_;
  Clock::duration timeout_;
  MpiTransport transport_;
  CpuReducer reducer_;
  CrossRank crossRank_;
  std::vector<std::unique_ptr<AllReduce>> algorithms_;
  RunContext context_;
  std::optional<DocumentWriter> writer_;
  std::vector<std::byte> input_, output_, expected_;
};

}  // namespace

CLI::App* addAllReduceCommand(CLI::App& parent, AllReduceFlags& flags) {
  CLI::App* command = parent.add_subcommand(
      "allreduce", "Sweep all-reduce sizes under mpiexec: check results, time iterations, print and save them");
  addSweepFlags(*command, flags.sweep);
  command->add_option("--algo", flags.algos, "algorithm(s): ring, mpi, or a comma list such as ring,mpi")
      ->capture_default_str();
  const AllReduceOptions defaults;
  command->add_option("--segment", flags.segment,
                      "ring pipelining segment in bytes (K/M/G suffixes; default " +
                          formatBytes(defaults.segmentBytes) + ")");
  command->add_option("--inflight", flags.inFlight,
                      "ring segments in flight per direction (default " + std::to_string(defaults.maxInFlight) +
                          ")");
  return command;
}

AllReduceConfig validateAllReduceFlags(const AllReduceFlags& flags) {
  AllReduceConfig config;
  config.sweep = validateSweepFlags(flags.sweep);
  config.algos = parseAlgos(flags.algos);
  if (!flags.segment.empty()) {
    config.algoOptions.segmentBytes = parseBytes(flags.segment, "--segment");
    if (config.algoOptions.segmentBytes == 0) throw UsageError("--segment must be at least 1 byte, got '0'");
    for (DType dtype : config.sweep.dtypes) {
      if (config.algoOptions.segmentBytes % dtypeSize(dtype) != 0) {
        throw UsageError("--segment " + std::to_string(config.algoOptions.segmentBytes) +
                         " does not divide into " + std::string(dtypeName(dtype)) + " elements of " +
                         std::to_string(dtypeSize(dtype)) + " bytes");
      }
    }
  }
  if (!flags.inFlight.empty()) config.algoOptions.maxInFlight = parseIntFlag(flags.inFlight, "--inflight", 1);
  return config;
}

nlohmann::json allReduceConfigJson(const AllReduceConfig& config) {
  nlohmann::json j = sweepConfigJson(config.sweep);
  j["algos"] = config.algos;
  j["segment_bytes"] = config.algoOptions.segmentBytes;
  j["max_in_flight"] = config.algoOptions.maxInFlight;
  return j;
}

int runAllReduce(const AllReduceConfig& config, const std::string& commandLine) {
  AllReduceSweep sweep(config, commandLine);
  return sweep.run();
}

}  // namespace ccb
