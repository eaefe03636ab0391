// `ccbench train`: data-parallel SGD (src/train) on a synthetic dataset with K workers and one strategy,
// recording loss and accuracy against time and steps, step times, staleness and the time to a target
// loss as one schema-1 record (collective "train"; keys in results/train/README.md). Flags and the record
// are pure (unit-tested without MPI); runTrainCommand() needs an initialised MPI.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result_json.h"
#include "train/trainer.h"

namespace CLI {
class App;
}

namespace ccb {

// Exit status of a run whose loss diverged (NaN, inf, or 100x its start); the record is written first.
inline constexpr int kExitDiverged = 4;

// The flags as typed; numbers stay text until validateTrainFlags() so every bad value gets one line.
struct TrainFlags {
  std::string strategy = "sync_ring";
  std::string workers;  // single, hogwild: K (default 1); others: derived from the ranks, must match if given
  std::string dataset = "dense";
  std::string model = "softmax";
  std::string samples = "4096";
  std::string features;  // default 32 dense, 2000 sparse
  std::string classes = "4";
  std::string density = "0.005";
  std::string labelNoise = "0.05";
  std::string dataSeed = "1";
  std::string batch = "64";
  std::string lr = "0.5";
  std::string maxSteps = "200";
  std::string maxTime = "0";
  std::string targetLoss;
  std::string evalEvery = "5";
  std::string evalSamples = "0";
  std::string servers = "1";
  std::string staleness = "2";
  std::string backup = "1";
  std::string compute = "fixed:0";
  std::string stragglers;
  std::string seed = "1";
  std::string timeoutS = "60";
  std::string jsonPath;
};

struct TrainCommandConfig {
  TrainConfig train;
  bool workersGiven = false;
  std::string jsonPath;
};

CLI::App* addTrainCommand(CLI::App& parent, TrainFlags& flags);

// Validates every flag without communicating; throws UsageError with one line naming the flag.
TrainCommandConfig validateTrainFlags(const TrainFlags& flags);

// The "config" object of the JSON document.
nlohmann::json trainConfigJson(const TrainConfig& config);

// The schema-1 record of one run (see the header comment; `config.workers` is the run's K).
Record trainRecord(const TrainConfig& config, const TrainSummary& summary);

// The table: column header lines, the row, and the target / stop lines.
std::vector<std::string> trainHeaderLines();
std::string formatTrainRow(const Record& record);
std::vector<std::string> trainOutcomeLines(const TrainConfig& config, const TrainSummary& summary);

// Runs one training run on MPI_COMM_WORLD; returns 0, or kExitDiverged. Bad layouts throw UsageError on
// every rank before any communication; failures during the run end the process through abandonRun().
int runTrainCommand(const TrainCommandConfig& config, const std::string& commandLine);

}  // namespace ccb
