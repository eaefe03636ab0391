#include "bench/allreduce_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <limits>
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

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::vector<std::string> parseAlgos(std::string_view text) {
  const std::vector<std::string> known = allReduceNamesWithBackends();
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
         ", inflight " + std::to_string(config.algoOptions.maxInFlight) + ", mem " +
         std::string(memKindName(config.mem)) + ", timeout " + seconds.str() + " s";
}

// The "config" object of the document: the flags, plus the versions of the device libraries the run used
// (NCCL's JSON keys: its version; NCCL_ALGO / NCCL_PROTO are in context.env when set).
nlohmann::json documentConfig(const AllReduceConfig& config) {
  nlohmann::json j = allReduceConfigJson(config);
  if (config.mem == MemKind::kDevice) j["cuda_version"] = cudaVersionText();
  if (contains(config.algos, "nccl")) j["nccl_version"] = ncclVersionText();
  return j;
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
    if (config_.mem == MemKind::kDevice) bindAndCheckDevice();
    for (const std::string& name : config_.algos) {
      algorithms_.push_back(
          makeAllReduceOn(config_.mem, name, transport_, reducer_, config_.algoOptions, timeout_));
    }
    context_ = collectRunContext(transport_, crossRank_, command, timeout_);
    context_.device = memoryDeviceName(config_.mem);
    allocateBuffers();
    openJson();
    const std::size_t maxBytes = config_.sweep.maxBytes;
    if (config_.sweep.check) {
      expected_.resize(maxBytes);
      // Device results are checked on the host: patterns are written here and copied over, results back.
      if (config_.mem == MemKind::kDevice) hostStage_.resize(maxBytes);
    }
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

  // One GPU per local rank (exclusively when NCCL runs: it refuses two ranks on one GPU), then the memory
  // check against cudaMemGetInfo before anything is allocated. Both collective: every rank throws alike.
  void bindAndCheckDevice() {
    bindDevice(transport_.comm(), contains(config_.algos, "nccl"), timeout_);
    std::string purpose = "2 buffers of --maxbytes " + formatBytes(config_.sweep.maxBytes);
    if (contains(config_.algos, "ring")) purpose += " plus the ring's staging scratch";
    requireDeviceFits(transport_.comm(), deviceBytesPerRank(config_), purpose, timeout_);
  }

  // The send and receive buffers. A GPU can still refuse them after the check above (NCCL's own buffers,
  // another process): every rank learns it and throws alike, before the JSON file is written.
  void allocateBuffers() {
    std::string problem;
    try {
      input_ = allocateBuffer(config_.mem, config_.sweep.maxBytes);
      output_ = allocateBuffer(config_.mem, config_.sweep.maxBytes);
    } catch (const UsageError& e) {
      problem = e.what();
    }
    if (crossRank_.max(problem.empty() ? 0 : 1, "allocating the buffers") != 0) {
      throw UsageError(problem.empty() ? "--mem device: another rank could not allocate its buffers (see its "
                                         "message)"
                                       : "--mem " + std::string(memKindName(config_.mem)) + ": " + problem);
    }
  }

  // Rank 0 writes the empty document now, so an unwritable path stops the run before the sweep; every
  // rank learns the verdict and throws alike.
  void openJson() {
    if (config_.sweep.jsonPath.empty()) return;
    std::string problem;
    if (isLeader()) {
      try {
        writer_.emplace(config_.sweep.jsonPath,
                        makeDocument(DocKind::kMeasured, context_, documentConfig(config_)));
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
    const PointBuffers buffers{inPlace ? output_->data() : input_->data(), output_->data(), expected_.data(),
                               config_.mem, hostStage_.data()};
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
  std::unique_ptr<Buffer> input_, output_;       // host or device memory (--mem)
  std::vector<std::byte> expected_, hostStage_;  // host memory
};

}  // namespace

CLI::App* addAllReduceCommand(CLI::App& parent, AllReduceFlags& flags) {
  CLI::App* command = parent.add_subcommand(
      "allreduce", "Sweep all-reduce sizes under mpiexec: check results, time iterations, print and save them");
  addSweepFlags(*command, flags.sweep);
  command->add_option("--algo", flags.algos,
                      "algorithm(s): ring, mpi, nccl (--mem device only), or a comma list such as ring,mpi")
      ->capture_default_str();
  command->add_option("--mem", flags.mem,
                      "where the buffers live: host, or device (GPU memory, one GPU per local rank; for ring "
                      "and nccl)")
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
  config.mem = parseMemKind(flags.mem);
  // What this build and this machine can run: before MPI starts, so a missing GPU costs no start-up.
  for (const std::string& name : config.algos) requireAlgorithmOn(config.mem, name);
  if (config.mem == MemKind::kDevice) requireDevice();
  return config;
}

std::size_t deviceBytesPerRank(const AllReduceConfig& config) {
  if (config.mem != MemKind::kDevice) return 0;
  constexpr std::uint64_t kMax = std::numeric_limits<std::size_t>::max();
  const std::uint64_t buffers = config.sweep.maxBytes > kMax / 2 ? kMax : 2 * config.sweep.maxBytes;
  std::uint64_t scratch = 0;
  if (contains(config.algos, "ring")) {
    // The staged ring keeps --inflight received segments in device scratch before reducing them.
    const std::uint64_t segment =
        std::min<std::uint64_t>(config.algoOptions.segmentBytes, config.sweep.maxBytes);
    const auto slots = static_cast<std::uint64_t>(config.algoOptions.maxInFlight);
    scratch = segment > kMax / slots ? kMax : segment * slots;
  }
  return static_cast<std::size_t>(buffers > kMax - scratch ? kMax : buffers + scratch);
}

nlohmann::json allReduceConfigJson(const AllReduceConfig& config) {
  nlohmann::json j = sweepConfigJson(config.sweep);
  j["algos"] = config.algos;
  j["segment_bytes"] = config.algoOptions.segmentBytes;
  j["max_in_flight"] = config.algoOptions.maxInFlight;
  j["mem"] = memKindName(config.mem);
  return j;
}

int runAllReduce(const AllReduceConfig& config, const std::string& commandLine) {
  AllReduceSweep sweep(config, commandLine);
  return sweep.run();
}

}  // namespace ccb
