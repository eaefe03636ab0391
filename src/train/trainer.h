// Data-parallel SGD on LinearModel (train/model.h) with K workers and one strategy. Every strategy uses the
// same global batch of B samples per step (train/model.h's batchShare splits it) and the same per-sample
// learning rate: a step's gradient is the sum over the samples used, scaled by -lr/B, so
//   single      one worker takes the whole batch (compute: K draws of --compute, done one after another);
//   sync_ring   each worker sums its share, a ring all-reduce (src/algo) adds the K sums, all apply;
//   sync_ps     each worker pushes -lr*K/B * its sum, the server averages the K pushes (src/ps);
//   backup_ps   the same average over the first K - b pushes (-lr * the mean over the samples used);
//   async_ps    each worker pushes -lr/B * its sum, the server adds each push as it arrives;
//   ssp_ps      async, but no worker runs more than s steps ahead of the slowest;
//   hogwild     K threads of one process add -lr/B * their sum to shared parameters without a lock.
// So K async pushes of one round add up to the sync step when nothing is stale, and the strategies differ
// only in waiting and staleness. Each worker's step "computes" for a --compute draw (slowed for
// --straggler ranks); the real gradient (and worker 0's evaluation) runs inside that time.
//
// A run ends after --max-steps steps per worker, or when a worker's clock passes --max-time (each worker
// stops at its own clock; sync_ring agrees through the all-reduce), or when the parameters stop being
// finite (diverged). Loss and accuracy are evaluated by worker 0 every --eval-every steps on the
// parameters it computes on.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "comm/transport.h"
#include "ps/compute_model.h"
#include "reduce/reducer.h"
#include "train/dataset.h"
#include "train/model.h"

namespace ccb {

enum class Strategy { kSingle, kSyncRing, kSyncPs, kAsyncPs, kSspPs, kBackupPs, kHogwild };
std::string_view strategyName(Strategy strategy);
// Throws UsageError naming the accepted values.
Strategy parseStrategy(std::string_view name);
std::vector<std::string> strategyNames();
bool isPsStrategy(Strategy strategy);
// Whether workers are separate ranks of a Transport (false: single and hogwild run in one process).
bool isDistributed(Strategy strategy);

struct TrainConfig {
  DatasetSpec data;
  ModelKind model = ModelKind::kSoftmax;
  Strategy strategy = Strategy::kSyncRing;
  int workers = 1;  // K
  std::size_t globalBatch = 64;
  double lr = 0.5;
  std::int64_t maxSteps = 200;  // per worker
  double maxTimeS = 0;          // 0: no limit
  std::optional<double> targetLoss;
  std::int64_t evalEvery = 5;
  std::size_t evalSamples = 0;  // 0: the whole dataset
  int servers = 1;              // PS: dedicated server ranks 0..M-1
  int staleness = 2;            // ssp: s
  int backup = 1;               // backup: b
  ComputeDist compute;
  std::vector<Straggler> stragglers;  // by rank (PS: worker ranks start at M; hogwild: thread index)
  std::uint64_t seed = 1;             // compute-time draws
  double timeoutS = 60;
};

// Throws UsageError (one line) for a bad combination: batch < K, lr <= 0 or not finite, no steps, ...
void validateTrainConfig(const TrainConfig& config);

struct CurvePoint {
  std::int64_t step = 0;  // the evaluating worker's steps done before these parameters
  double timeS = 0;       // since the run started
  double loss = 0;
  double accuracy = 0;
};

// What one worker measured (times in microseconds, steps that did real work only).
struct TrainWorkerResult {
  int rank = -1;
  std::vector<double> stepUs;
  std::vector<double> computeUs;
  std::vector<double> commUs;  // step - compute: all-reduce or push + wait + pull, and the update
  std::int64_t steps = 0;
  std::vector<CurvePoint> curve;  // worker 0 only
  double endS = 0;                // when its last step ended, since the run started
};

enum class StopReason { kMaxSteps, kMaxTime, kDiverged };
std::string_view stopReasonName(StopReason reason);  // "max_steps", "max_time", "diverged"

// What one rank (or the whole single/hogwild process) contributes; merged by mergeTrainResults.
struct TrainRankResult {
  std::vector<TrainWorkerResult> workers;
  std::vector<float> params;          // final parameters held by this rank (ring rank 0, PS server shard)
  std::size_t paramsFirst = 0;        // element offset of `params` in the vector
  std::map<std::int64_t, std::int64_t> staleness;  // updates applied between read and write
  std::int64_t maxLead = 0;           // ssp/async: largest lead over the slowest worker (steps)
  std::int64_t received = 0;          // PS: pushes received / dropped
  std::int64_t dropped = 0;
  bool diverged = false;
  bool timeLimited = false;
};
nlohmann::json toJson(const TrainRankResult& result);
TrainRankResult trainRankResultFromJson(const nlohmann::json& j);

// The run as a whole.
struct TrainSummary {
  std::vector<TrainWorkerResult> workers;  // by rank
  std::vector<float> params;               // final parameters
  std::vector<CurvePoint> curve;           // worker 0's, plus the final parameters' point
  std::map<std::int64_t, std::int64_t> staleness;
  std::int64_t maxLead = 0;
  std::int64_t received = 0;
  std::int64_t dropped = 0;
  Evaluation final;
  StopReason stop = StopReason::kMaxSteps;
  std::optional<double> timeToTargetS;
  std::optional<std::int64_t> stepsToTarget;
  double updatesPerS = 0;  // applied gradients per second, summed over workers
  double samplesPerS = 0;
};
TrainSummary mergeTrainResults(const TrainConfig& config, const LinearModel& model, const Dataset& data,
                               std::vector<TrainRankResult> ranks);

// Runs single or hogwild in this process.
TrainRankResult runLocalTraining(const TrainConfig& config, const LinearModel& model, const Dataset& data);
// The config with K set for `ranks` ranks, checked against that layout without communicating (stragglers
// that are no worker or a server, b >= K, no worker besides the servers): throws UsageError (one line).
TrainConfig checkTrainLayout(const TrainConfig& config, const LinearModel& model, int ranks);
// Runs this rank's part of sync_ring (K = transport.size()) or a PS strategy (K = size - servers); every rank
// calls it with the same config. Throws UsageError (alike on every rank) for a layout that cannot run.
TrainRankResult runDistributedTraining(Transport& transport, Reducer& reducer, const TrainConfig& config,
                                       const LinearModel& model, const Dataset& data);
// Workers the strategy has on `ranks` ranks (single/hogwild: config.workers).
int trainWorkers(const TrainConfig& config, int ranks);

// Sends every rank's result to rank 0 (as JSON text); rank 0 gets all of them in rank order, others an
// empty vector. Collective.
std::vector<TrainRankResult> gatherTrainResults(Transport& transport, const TrainRankResult& mine,
                                                Clock::duration timeout);

}  // namespace ccb
