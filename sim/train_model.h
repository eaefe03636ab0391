// Step time and throughput of each data-parallel training strategy `ccbench train` runs (issue 7), from a
// compute-time distribution, the workers' compute factors (a straggler has factor F > 1) and the
// communication models (closed-form ring all-reduce, ps_model). Pure functions. With K workers, c one
// worker's compute draw, f_i worker i's factor and X_(k) the k-th smallest of the K scaled draws
// (straggler_model):
//   single     one worker, the whole batch: K draws one after another, K f_0 E[c]; no communication
//   sync_ring  E[X_(K)] + T_ring(S)                       (everyone waits for the slowest)
//   sync_ps    E[X_(K)] + push + aggregate + pull           (ps_model, incast on the shards)
//   backup_ps  E[X_(K-b)] + push + aggregate + pull         (the first K-b pushes make the step)
//   async_ps   worker i cycles f_i E[c] + push + pull alone; updates/s = sum of the workers' rates,
//              capped by the shards' links (psAsyncUpdatesPerSecond); step = the median worker's cycle
//   ssp_ps     an approximation: a worker may lead the slowest by s steps, so waits average over s+1
//              steps: E[max_i f_i Y_i] + push + pull, Y ~ normal(E[c], sd(c)/sqrt(s+1)) (the mean of s+1
//              draws, by the central limit theorem). s = 0 is the normal approximation of sync; s -> inf
//              leaves the slowest worker's mean: with a straggler every worker is paced by it (runs much
//              longer than s steps)
//   hogwild    worker i cycles f_i E[c] with no communication term (one host, shared memory)
// updates_per_s counts gradients applied per second, summed over workers: K per step for sync_ring, sync_ps
// and ssp_ps, K-b for backup_ps, one for single.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sim/ps_model.h"
#include "sim/straggler_model.h"

namespace ccb::sim {

enum class TrainStrategy { kSingle, kSyncRing, kSyncPs, kAsyncPs, kSspPs, kBackupPs, kHogwild };
std::string_view trainStrategyName(TrainStrategy strategy);  // "single", "sync_ring", ...
TrainStrategy parseTrainStrategy(std::string_view name);     // throws UsageError naming the accepted values
const std::vector<TrainStrategy>& allTrainStrategies();

struct TrainSetup {
  ComputeDistribution compute;        // one worker's compute per step, factor 1 (us)
  std::vector<double> workerFactors;  // K entries > 0; workerFactors[0] is the single baseline's worker
  double ringUs = 0;                  // one ring all-reduce of the model's bytes
  PsConfig ps;                        // workers = K, servers, modelBytes, links
  int backups = 1;                    // b of backup_ps, 0 <= b < K
  int staleness = 2;                  // s of ssp_ps, >= 0
};

struct TrainPrediction {
  double stepUs = 0;       // the record's time: one step of one worker
  double updatesPerS = 0;  // gradients applied per second, summed over workers
  double computeUs = 0;    // the compute part of a step (waiting included for sync strategies)
  double commUs = 0;       // the communication part
};

// Throws UsageError for an empty or non-positive factor list, a mean compute time <= 0, b outside 0..K-1,
// s < 0, or ps.workers != K.
TrainPrediction predictTrainStep(TrainStrategy strategy, const TrainSetup& setup);

}  // namespace ccb::sim
