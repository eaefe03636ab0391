// The subcommands' arguments and entry points (one .cpp each: cli_predict, cli_calibrate, cli_compare).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sim/cli_common.h"
#include "sim/closed_form.h"
#include "sim/straggler_model.h"

namespace ccb::sim::cli {

struct PredictArgs {
  bool selected = false;
  std::string collective = "allreduce";
  std::uint64_t minBytes = 8;
  std::uint64_t maxBytes = 64u << 20;
  std::uint64_t stepFactor = 2;
  std::uint64_t stepBytes = 0;
  std::vector<std::string> dtypes = {"float32"};
  std::vector<std::string> ops = {"sum"};
  std::vector<std::string> algos = {"ring", "mpi"};
  std::string model = "closed_form";
  std::string clusterFile;
  std::optional<int> ranks;
  std::optional<int> ranksPerHost;
  std::optional<std::string> topology;
  std::optional<double> intraLatencyUs, intraGBps, interLatencyUs, interGBps, reduceGBps;
  std::string output;
  bool quiet = false;
  int servers = 1;
  std::optional<double> computeUs;
  // overlap, the configuration ccbench overlap runs (cli_overlap.cpp)
  std::optional<std::string> layers;  // preset or gradient sizes, as ccbench overlap --layers
  std::string profileFile;
  double scale = 1;
  std::optional<double> gflops;
  int batch = 32;
  std::vector<std::string> modes = {"no_overlap", "ddp"};
  std::optional<double> computeSlowdown;
  std::string slowdownFrom;
  std::string slowdownKey = "effective_slowdown";
  std::string computeFrom;
  std::string commFrom;
  // overlap, uniform layers over a size sweep (the first model)
  std::optional<int> uniformLayers;
  std::optional<double> forwardUs, backwardUs;
  std::uint64_t bucketBytes = 25u << 20;
  std::uint64_t firstBucketBytes = 1u << 20;
  // straggler and train
  std::string dist;
  std::optional<int> backups;
  // train (cli_train.cpp)
  std::vector<std::string> strategies;
  std::vector<int> workers;
  std::vector<std::uint64_t> params;
  std::string computeSpec;  // ccbench train --compute (milliseconds)
  std::string stragglers;   // ccbench --straggler RANK:FACTOR,...
  int staleness = 2;
};
void addPredict(CLI::App& app, PredictArgs& args);
int runPredict(const PredictArgs& args, const Env& env);

// predict overlap with a layer profile: records keyed like ccbench overlap's (compute_only,
// no_overlap_<algo>, ddp_<algo>). `config` receives the profile and bucket plan.
bool isUniformOverlap(const PredictArgs& args);
void checkOverlapProfileArgs(const PredictArgs& args);
std::vector<Record> predictOverlapProfile(const PredictArgs& args, const ClusterDescription& cluster,
                                          const std::vector<AllReduceAlgo>& algos, nlohmann::json& config);

// "normal:MEAN,SD" | "exp:SHIFT,RATE" | "uniform:LO,HI" | "empirical:FILE" (microseconds), validated.
ComputeDistribution parseDist(const std::string& spec);

// predict train: one record per (strategy, workers, model size), as /work/prompts/train_record.md.
void checkTrainArgs(const PredictArgs& args);
std::vector<Record> predictTrain(const PredictArgs& args, const ClusterDescription& cluster,
                                 const std::vector<std::uint64_t>& sweepBytes, nlohmann::json& config);

struct CalibrateArgs {
  bool selected = false;
  std::vector<std::string> inputs;
  std::string output;
  std::string report;
  std::string format = "auto";
  std::string layout = "auto";  // auto | one-host | one-per-host
  std::optional<int> ranks;
  std::string algoName;
  bool perAlgo = false;
  std::string weighting = "relative";
  std::optional<double> gammaGBps;
  std::string baseCluster;
  std::string name;
  std::string dtype;  // "" = every data type in the inputs
};
void addCalibrate(CLI::App& app, CalibrateArgs& args);
int runCalibrate(const CalibrateArgs& args, const Env& env);

struct CompareArgs {
  bool selected = false;
  std::vector<std::string> measured;
  std::vector<std::string> predicted;
  std::string output;
  std::string format = "auto";
  std::optional<int> ranks;
  std::string algoName;
  std::vector<std::string> algoMap;  // "measured=predicted"
  std::uint64_t regimeBytes = 64 * 1024;
  bool inPlace = false;
  bool quiet = false;
};
void addCompare(CLI::App& app, CompareArgs& args);
int runCompare(const CompareArgs& args, const Env& env);

}  // namespace ccb::sim::cli
