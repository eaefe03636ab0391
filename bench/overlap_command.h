// `ccbench overlap`: compute/communication overlap, DDP style (issue 8). An emulated training iteration over
// a model given by its layers (src/overlap): real compute per layer, gradients packed into DDP's buckets, each
// bucket's all-reduce started as soon as it is ready and progressed between compute slices; against no
// overlap (compute, then one all-reduce of everything) and compute alone. Flags are pure (unit-tested
// without MPI); runOverlapCommand needs MPI.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "overlap/backward_pass.h"
#include "overlap/buckets.h"
#include "overlap/profile.h"

namespace CLI {
class App;
}

namespace ccb {

struct OverlapFlags {
  std::optional<std::string> layers;  // preset or size list; unset: resnet50 unless --profile
  std::string profile;  // JSON profile file
  std::string scale = "1";
  std::string computeUs;  // total backward time
  std::string gflops;     // or: backward time from a FLOP rate
  std::string batch = "32";
  std::string forwardUs = "0";
  std::string bucket = "25M";
  std::string firstBucket = "1M";
  std::string modes = "no_overlap,ddp";
  std::string algos = "ring,mpi";
  std::string sliceUs = "50";
  std::string iters = "20";
  std::string warmup = "3";
  std::string check = "1";
  std::string timeoutS = "60";
  std::string jsonPath;
};

struct OverlapConfig {
  LayerProfile profile;  // validated, backward times set
  std::vector<BucketPlan> buckets;
  std::uint64_t bucketBytes = kDdpBucketBytes;
  std::uint64_t firstBucketBytes = kDdpFirstBucketBytes;
  std::string computeSource;  // "compute-us", "gflops", "profile"
  double scale = 1;
  double forwardUs = 0;
  double sliceUs = 50;
  std::vector<OverlapMode> modes;   // no_overlap first when both are given (ddp's exposed fraction needs it)
  std::vector<std::string> algos;
  int iters = 20;
  int warmup = 3;
  bool check = true;
  double timeoutS = 60;
  std::string jsonPath;
};

CLI::App* addOverlapCommand(CLI::App& parent, OverlapFlags& flags);

// Validates every flag without communicating; throws UsageError with one line naming the problem (empty layer
// list, bucket size 0, negative compute time, a profile file that does not parse, ...).
OverlapConfig validateOverlapFlags(const OverlapFlags& flags);

// The "config" object of the JSON document: the flags plus the profile's layers and the buckets.
nlohmann::json overlapConfigJson(const OverlapConfig& config);

// Runs the measurement on MPI_COMM_WORLD; 0, or kExitFailure when a gradient was reduced wrongly.
int runOverlapCommand(const OverlapConfig& config, const std::string& commandLine);

}  // namespace ccb
