// The parameter server: one entry point that every rank of a run calls with the same setup. Each rank plays
// the roles the layout gives it (server, worker, or both when co-located) in one polling loop over the
// Transport, so the same code runs over the loopback transport in tests and over MPI in ccbench.
//
// Protocol per worker step: compute (emulated: ps/compute_model.h), push the update to every server (header +
// one message per partition, ps/protocol.h), then wait for each server's reply carrying that shard's
// parameters. The reply is the pull: each server answers a push when its mode allows (ps/server_book.h).
// Updates follow ps/pattern.h unless a test supplies its own, so every run can check its accounting.
//
// Failures: a server declares a worker failed when it has waited `timeout` for that worker's push with
// nothing arriving. Sync mode cannot go on without it and throws TimeoutError naming the worker; async, ssp
// and backup (while K - b workers remain) carry on and report it. Workers give a server twice that long to
// answer, so the server's verdict comes first.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "comm/transport.h"
#include "core/dtype.h"
#include "ps/compute_model.h"
#include "ps/layout.h"
#include "ps/mode.h"
#include "reduce/reducer.h"

namespace ccb {

struct PsSetup {
  PsSetup(PsLayout layoutIn, PartitionPlan planIn) : layout(layoutIn), plan(std::move(planIn)) {}

  PsLayout layout;
  PartitionPlan plan;  // planPartitions(bytes, partition, element size, layout.servers())
  DType dtype = DType::kFloat32;
  PsMode mode = PsMode::kSync;
  int staleness = 0;  // ssp: s
  int backup = 0;     // backup: b
  std::int64_t warmupSteps = 0;
  std::int64_t timedSteps = 1;
  ComputeDist compute;
  std::vector<Straggler> stragglers;  // by rank
  std::uint64_t seed = 1;
  std::optional<FailPoint> fail;
  std::chrono::duration<double> timeout = std::chrono::seconds(60);
  bool check = true;        // count wrong elements at the end (the default update pattern only)
  std::string what = "ps";  // names the run in error messages

  std::int64_t totalSteps() const { return warmupSteps + timedSteps; }
  std::size_t count() const { return plan.vectorBytes / dtypeSize(dtype); }
};

// Test seams; empty members keep the defaults.
struct PsHooks {
  // The update worker `worker` pushes at attempt `attempt`: plan.vectorBytes bytes that stay valid until the
  // next call for that worker. Replaces the accounting pattern (then nothing is checked).
  std::function<const std::byte*(int worker, std::int64_t attempt)> update;
  // Called as worker `worker` starts computing attempt `attempt` (from the rank's own thread).
  std::function<void(int worker, std::int64_t attempt)> onComputeStart;
  // Fills `count` initial parameters starting at element `first` of the vector (a worker its whole vector,
  // a server its shard). Replaces the accounting pattern's p0 (then nothing is checked). Used by src/train.
  std::function<void(std::byte* params, std::size_t first, std::size_t count)> initialParams;
  // Called right after onComputeStart with the parameters the attempt computes on (the freshly pulled ones,
  // the initial ones for attempt 0). Real work done here overlaps the emulated compute time, which starts
  // counting before the call. Used by src/train to compute the gradient.
  std::function<void(int worker, std::int64_t attempt, std::span<const std::byte> params)> onPulled;
  // Replaces the emulated compute time (ms) drawn for an attempt (the draw is still made, so the random
  // stream stays the same); e.g. 0 for the no-op steps of a training run that stopped early.
  std::function<double(int worker, std::int64_t attempt, double drawnMs)> computeMs;
};

// Checks the setup against the number of ranks without communicating. Throws UsageError with one line for:
// b >= K or b < 0 (backup), s < 0 (ssp), an unsupported dtype, a --fail rank that is no worker or a step
// past the run, a --straggler rank that is no worker, a plan for another number of servers.
void validatePsSetup(const PsSetup& setup, int ranks);

// What one worker measured. Times are of timed attempts (attempt >= warmupSteps), in microseconds.
struct PsWorkerResult {
  bool present = false;
  int rank = -1;
  std::vector<double> stepUs;     // compute + push + idle + pull
  std::vector<double> computeUs;  // emulated compute
  std::vector<double> pushUs;     // until every push message was sent
  std::vector<double> idleUs;     // waiting for the servers to answer (barrier, ssp gate)
  std::vector<double> pullUs;     // receiving the replies
  double timedUs = 0;             // first timed attempt's start to the last attempt's end
  std::int64_t attempts = 0;      // steps started (pushed)
  std::int64_t pushMessages = 0;  // (attempt, server) pushes sent
  std::int64_t appliedTimed = 0;  // timed attempts that every server applied (not dropped)
  bool stopped = false;           // stopped by --fail
  long long wrong = -1;           // sync: elements of the final parameters that differ; -1 unchecked
  std::vector<std::byte> params;  // the parameters after the last reply
};

// What one server shard recorded.
struct PsServerResult {
  bool present = false;
  int server = -1;
  std::int64_t received = 0;
  std::int64_t applied = 0;
  std::int64_t appliedTimed = 0;  // applied pushes of timed attempts
  std::int64_t dropped = 0;
  std::int64_t version = 0;
  std::map<std::int64_t, std::int64_t> staleness;
  std::vector<int> stepPushCounts;  // sync/backup
  std::int64_t maxLead = 0;         // async/ssp
  std::vector<int> failedWorkerRanks;
  long long wrong = -1;          // elements differing from the accounting identity; -1 unchecked
  std::vector<std::byte> shard;  // the final parameters of this shard
};

struct PsRankResult {
  PsWorkerResult worker;
  PsServerResult server;
};

// Runs one parameter-server run on this rank (every rank of `transport` calls it with the same setup) and
// returns when every rank is done. Throws UsageError from validatePsSetup, TimeoutError as described above.
PsRankResult runPs(Transport& transport, Reducer& reducer, const PsSetup& setup, const PsHooks& hooks = {});

}  // namespace ccb
