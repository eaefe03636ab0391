// From every rank's PsRankResult to one point's figures and accounting verdicts (pure), and a fixed-size
// encoding of a PsRankResult as doubles so a harness can gather them with one element-wise max over ranks
// (each rank fills its own slot, every other slot holds the -1 that max ignores).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "core/stats.h"
#include "ps/ps.h"

namespace ccb {

struct PsSummary {
  TimeStatsUs step, compute, push, pull, idle;  // pooled over every worker's timed attempts
  // Gradients applied per second: the sum over workers of each one's timed attempts that every server
  // applied, divided by that worker's timed duration (sync: K per step; backup: K - b per step).
  double updatesPerS = 0;
  std::map<std::int64_t, std::int64_t> staleness;  // summed over servers
  std::int64_t pushMessages = 0;                   // sent by workers
  std::int64_t received = 0;                       // by servers
  std::int64_t applied = 0;
  std::int64_t dropped = 0;
  std::int64_t lostPushes = 0;  // pushMessages - applied - dropped: must be 0
  std::int64_t maxLead = 0;
  int minStepPushes = 0;  // sync/backup: fewest and most pushes any server averaged into a step
  int maxStepPushes = 0;
  std::vector<int> failedWorkerRanks;   // declared failed by some server
  std::vector<int> stoppedWorkerRanks;  // stopped themselves (--fail)
  long long wrong = -1;  // wrong elements over servers and workers; -1 when nothing was checked
};

PsSummary summarizePs(const std::vector<PsRankResult>& ranks);

// Size of one rank's encoded slot for runs of at most `iters` timed attempts per worker, staleness values up
// to `maxStaleness` and `ranks` ranks.
std::size_t encodedSlotSize(int iters, std::int64_t maxStaleness, int ranks);
// The counts and samples of `result` as exactly encodedSlotSize(...) doubles, none below -1. Not encoded: the
// parameter bytes, and of stepPushCounts only the smallest and largest (all a PsSummary needs).
std::vector<double> encodeRankResult(const PsRankResult& result, int iters, std::int64_t maxStaleness,
                                     int ranks);
// The inverse of encodeRankResult (stepPushCounts comes back as {smallest, largest} when it was not empty).
PsRankResult decodeRankResult(std::span<const double> slot, int iters, std::int64_t maxStaleness, int ranks);

}  // namespace ccb
