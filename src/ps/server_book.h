// The bookkeeping of one parameter-server shard, free of I/O: which push counts, which is dropped, when a
// step completes, when each worker may have its reply, and every count the accounting identities need. The
// server (ps/server.h) only moves bytes and does what this book decides, so every mode's rules are
// unit-tested with scripted event sequences.
//
// Versions: the shard starts at version 0. Sync and backup advance it by one per completed step (T steps in
// all); async and ssp by one per applied push (K * T in all). A push carries the version its worker computed
// on; staleness = the shard's version when the push is applied minus that version.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "ps/mode.h"

namespace ccb {

struct BookOptions {
  PsMode mode = PsMode::kSync;
  int workers = 1;               // K
  int backup = 0;                // b (backup mode)
  int staleness = 0;             // s (ssp mode)
  std::int64_t totalSteps = 1;   // T: steps per worker (async, ssp) or versions (sync, backup)
  std::int64_t warmupSteps = 0;  // pushes with attempt < warmupSteps are not "timed"
};

enum class PushFate {
  kCounted,  // sync/backup: part of the current step; fold its partitions into the step's sum
  kDropped,  // backup: late (an older version, or the step already has K - b pushes); discard its bytes
  kApplied,  // async/ssp: add it to the parameters once all its bytes are in
};

// A reply the server may send now: the shard's parameters at `version`.
struct ReplyTicket {
  int worker = 0;
  std::int64_t version = 0;
  bool done = false;     // the worker's last reply from this shard: it pushes here no more
  bool applied = false;  // the push being answered was applied (counted or applied), not dropped
  bool operator==(const ReplyTicket&) const = default;
};

class ServerBook {
 public:
  // Throws UsageError when backup mode has b < 0 or b >= K, ssp has s < 0, or T < 1.
  explicit ServerBook(const BookOptions& options);

  // The header of `worker`'s next push arrived: its attempt index and the version it computed on. Decides its
  // fate. A worker must be awaiting a push (InvariantError otherwise, or for a version from the future).
  PushFate onPushHeader(int worker, std::int64_t attempt, std::int64_t basedOnVersion);
  // All bytes of that push are in and the caller has done what its fate says (folded or applied it).
  void onPushComplete(int worker);

  // Sync/backup: the step has its K - b complete pushes; the caller averages them into the parameters and
  // then calls completeStep().
  bool stepReady() const;
  void completeStep();
  // Pushes averaged per step: K - b (sync: K), or 1 for async/ssp.
  int stepQuorum() const;

  // Replies that may go out now, in worker order within each event; each ticket is handed out once. A worker
  // whose ticket is not done awaits its next push again.
  std::vector<ReplyTicket> takeReleased();

  // The worker sent nothing for too long while its push was awaited: it no longer counts (ssp's slowest
  // clock, backup's quorum, the end of the run). Only a worker that is awaiting a push can fail.
  void declareFailed(int worker);
  // False when failures left too few workers for the remaining steps (backup: fewer than K - b alive).
  bool canComplete() const;

  bool awaitingPush(int worker) const;
  bool receivingPush(int worker) const;
  // Every worker is done or failed.
  bool finished() const;

  // Accounting.
  std::int64_t version() const { return version_; }
  std::int64_t applied() const { return applied_; }
  std::int64_t appliedTimed() const { return appliedTimed_; }
  std::int64_t dropped() const { return dropped_; }
  std::int64_t received() const { return received_; }
  const std::map<std::int64_t, std::int64_t>& stalenessHistogram() const { return staleness_; }
  // Sync/backup: pushes averaged into each completed step, one entry per step.
  const std::vector<int>& stepPushCounts() const { return stepPushCounts_; }
  // Async/ssp: the largest lead (worker's clock minus the slowest live worker's) with which a reply was
  // released to a worker that still had steps to run. SSP keeps it <= s.
  std::int64_t maxLead() const { return maxLead_; }
  // Attempt indices of `worker`'s applied pushes, in the order applied.
  const std::vector<std::int64_t>& appliedAttempts(int worker) const;
  std::vector<int> failedWorkers() const;

 private:
  enum class State { kAwaiting, kReceiving, kHeld, kDone, kFailed };
  struct WorkerBook {
    State state = State::kAwaiting;
    PushFate fate = PushFate::kCounted;
    std::int64_t attempt = 0;
    std::int64_t basedOn = 0;
    std::int64_t clock = 0;  // applied pushes (async/ssp)
    std::vector<std::int64_t> appliedAttempts;
  };

  bool averaging() const { return options_.mode == PsMode::kSync || options_.mode == PsMode::kBackup; }
  WorkerBook& at(int worker);
  const WorkerBook& at(int worker) const;
  void release(int worker, bool applied, bool done);
  void recordApplied(WorkerBook& book, std::int64_t staleness);
  // Smallest clock among workers that have not failed (async/ssp).
  std::int64_t slowestClock() const;

  BookOptions options_;
  std::vector<WorkerBook> workers_;
  std::vector<ReplyTicket> released_;
  std::int64_t version_ = 0;
  int reserved_ = 0;   // counted pushes of the current step (header seen)
  int completed_ = 0;  // counted pushes of the current step with all bytes in
  std::int64_t applied_ = 0;
  std::int64_t appliedTimed_ = 0;
  std::int64_t dropped_ = 0;
  std::int64_t received_ = 0;
  std::int64_t maxLead_ = 0;
  std::map<std::int64_t, std::int64_t> staleness_;
  std::vector<int> stepPushCounts_;
};

}  // namespace ccb
