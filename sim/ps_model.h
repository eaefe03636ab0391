// Parameter server: K workers push gradients to M server shards and pull parameters back (BytePS, OSDI'20,
// has the full analysis). Every worker sends S/M bytes to each shard, so each shard's down-link receives
// K S / M bytes (incast) while each worker's up-link sends S: with fair sharing a push takes
//   alpha + max(S beta_worker, K S / M beta_server),
// the shard folds in K contributions of S/M bytes ((K-1) S/M gamma), and the pull mirrors the push.
// Synchronous: the step waits for the slowest worker's compute, then push, aggregate, pull.
// Asynchronous: each worker cycles compute + push + pull on its own; the shards' links cap the total rate at
// M / (S beta_server) updates per second per direction. Pure functions.
#pragma once

#include <vector>

#include "sim/cost.h"

namespace ccb::sim {

struct PsConfig {
  int workers = 1;            // K
  int servers = 1;            // M shards, each on its own host
  double modelBytes = 0;      // S: gradient and parameter bytes per step
  AlphaBetaGamma workerLink;  // each worker's host link (the slowest one for synchronous steps)
  AlphaBetaGamma serverLink;  // each shard's host link; gamma = the shard's reduction cost
};

struct PsTimes {
  double pushUs = 0;
  double aggregateUs = 0;
  double pullUs = 0;
  double commUs() const { return pushUs + aggregateUs + pullUs; }
};

// Throws UsageError for workers < 1, servers < 1 or modelBytes < 0.
PsTimes psCommunication(const PsConfig& config);
// Synchronous step: slowest compute + push + aggregate + pull.
double psSyncStepUs(const PsConfig& config, double slowestComputeUs);
// Asynchronous updates per second for workers whose mean compute times are `computeUs` (one per worker).
double psAsyncUpdatesPerSecond(const PsConfig& config, const std::vector<double>& computeUs);
// The seed formula kept for comparison: T_sync = params * 4 bytes / bandwidth (one fp32 copy over one link).
double naivePsSyncUs(double params, double bandwidthGBps);

}  // namespace ccb::sim
