#include "ps/server_book.h"

#include <algorithm>
#include <limits>
#include <string>

#include "core/error.h"

namespace ccb {

ServerBook::ServerBook(const BookOptions& options) : options_(options) {
  CCB_CHECK_LE(1, options.workers);
  if (options.totalSteps < 1) {
    throw UsageError("a parameter-server run needs at least 1 step, got " +
                     std::to_string(options.totalSteps));
  }
  if (options.mode == PsMode::kBackup && (options.backup < 0 || options.backup >= options.workers)) {
    throw UsageError("--backup " + std::to_string(options.backup) + " must be >= 0 and smaller than the " +
                     std::to_string(options.workers) + " workers (a step needs at least one push)");
  }
  if (options.mode == PsMode::kSsp && options.staleness < 0) {
    throw UsageError("--staleness must be >= 0, got " + std::to_string(options.staleness));
  }
  workers_.resize(static_cast<std::size_t>(options.workers));
}

ServerBook::WorkerBook& ServerBook::at(int worker) {
  CCB_CHECK_LE(0, worker);
  CCB_CHECK_LT(worker, options_.workers);
  return workers_[static_cast<std::size_t>(worker)];
}

const ServerBook::WorkerBook& ServerBook::at(int worker) const {
  CCB_CHECK_LE(0, worker);
  CCB_CHECK_LT(worker, options_.workers);
  return workers_[static_cast<std::size_t>(worker)];
}

int ServerBook::stepQuorum() const {
  if (options_.mode == PsMode::kSync) return options_.workers;
  if (options_.mode == PsMode::kBackup) return options_.workers - options_.backup;
  return 1;
}

PushFate ServerBook::onPushHeader(int worker, std::int64_t attempt, std::int64_t basedOnVersion) {
  WorkerBook& book = at(worker);
  CCB_CHECK(book.state == State::kAwaiting);
  // A worker only ever holds versions this shard has already sent.
  CCB_CHECK_LE(basedOnVersion, version_);
  CCB_CHECK_LE(0, basedOnVersion);
  book.state = State::kReceiving;
  book.attempt = attempt;
  book.basedOn = basedOnVersion;
  ++received_;
  if (!averaging()) {
    book.fate = PushFate::kApplied;
  } else if (basedOnVersion == version_ && reserved_ < stepQuorum() && version_ < options_.totalSteps) {
    // "First K - b": a push joins the step when its header arrives while the step still has room.
    book.fate = PushFate::kCounted;
    ++reserved_;
  } else {
    // Sync has no room for a late push: every worker is held until the step it is part of completes.
    CCB_CHECK(options_.mode == PsMode::kBackup);
    book.fate = PushFate::kDropped;
  }
  return book.fate;
}

void ServerBook::recordApplied(WorkerBook& book, std::int64_t staleness) {
  ++applied_;
  if (book.attempt >= options_.warmupSteps) ++appliedTimed_;
  ++staleness_[staleness];
  book.appliedAttempts.push_back(book.attempt);
}

void ServerBook::onPushComplete(int worker) {
  WorkerBook& book = at(worker);
  CCB_CHECK(book.state == State::kReceiving);
  book.state = State::kHeld;
  switch (book.fate) {
    case PushFate::kCounted:
      ++completed_;
      break;
    case PushFate::kDropped:
      ++dropped_;
      // Computed on the current version but too late for its step: answered with the step's result, like
      // the pushes that made it (a reply now would only send the version the worker already has). A push
      // computed on an older version is answered at once with the newest one.
      if (book.basedOn < version_ || version_ >= options_.totalSteps) {
        release(worker, /*applied=*/false, version_ >= options_.totalSteps);
      }
      break;
    case PushFate::kApplied:
      recordApplied(book, version_ - book.basedOn);
      ++version_;
      ++book.clock;
      // Async answers at once; ssp's gate is checked in takeReleased(), after every event.
      if (options_.mode == PsMode::kAsync || book.clock >= options_.totalSteps) {
        release(worker, /*applied=*/true, book.clock >= options_.totalSteps);
      }
      break;
  }
}

bool ServerBook::stepReady() const { return averaging() && completed_ == stepQuorum(); }

void ServerBook::completeStep() {
  CCB_CHECK(stepReady());
  stepPushCounts_.push_back(completed_);
  ++version_;
  const bool done = version_ >= options_.totalSteps;
  for (int worker = 0; worker < options_.workers; ++worker) {
    WorkerBook& book = at(worker);
    if (book.state != State::kHeld) continue;
    const bool counted = book.fate == PushFate::kCounted;
    // Counted pushes were computed on the previous version: staleness 0 by construction.
    if (counted) recordApplied(book, 0);
    release(worker, /*applied=*/counted, done);
  }
  reserved_ = 0;
  completed_ = 0;
}

void ServerBook::release(int worker, bool applied, bool done) {
  WorkerBook& book = at(worker);
  CCB_CHECK(book.state == State::kHeld);
  if (!done && !averaging()) maxLead_ = std::max(maxLead_, book.clock - slowestClock());
  book.state = done ? State::kDone : State::kAwaiting;
  released_.push_back({worker, version_, done, applied});
}

std::int64_t ServerBook::slowestClock() const {
  std::int64_t slowest = std::numeric_limits<std::int64_t>::max();
  for (const WorkerBook& book : workers_) {
    if (book.state != State::kFailed) slowest = std::min(slowest, book.clock);
  }
  return slowest;
}

std::vector<ReplyTicket> ServerBook::takeReleased() {
  if (options_.mode == PsMode::kSsp) {
    // A held worker may start its next step once it is at most s steps ahead of the slowest live worker.
    // Releasing one never lowers the slowest clock, so one pass in worker order is enough.
    for (int worker = 0; worker < options_.workers; ++worker) {
      const WorkerBook& book = at(worker);
      if (book.state == State::kHeld && book.clock - slowestClock() <= options_.staleness) {
        release(worker, /*applied=*/true, /*done=*/false);
      }
    }
  }
  std::vector<ReplyTicket> tickets;
  tickets.swap(released_);
  return tickets;
}

void ServerBook::declareFailed(int worker) {
  WorkerBook& book = at(worker);
  CCB_CHECK(book.state == State::kAwaiting);
  book.state = State::kFailed;
}

bool ServerBook::canComplete() const {
  if (!averaging() || version_ >= options_.totalSteps) return true;
  int alive = 0;
  for (const WorkerBook& book : workers_) alive += book.state == State::kFailed ? 0 : 1;
  return alive >= stepQuorum();
}

bool ServerBook::awaitingPush(int worker) const { return at(worker).state == State::kAwaiting; }

bool ServerBook::receivingPush(int worker) const { return at(worker).state == State::kReceiving; }

bool ServerBook::finished() const {
  return std::all_of(workers_.begin(), workers_.end(), [](const WorkerBook& book) {
    return book.state == State::kDone || book.state == State::kFailed;
  });
}

const std::vector<std::int64_t>& ServerBook::appliedAttempts(int worker) const {
  return at(worker).appliedAttempts;
}

std::vector<int> ServerBook::failedWorkers() const {
  std::vector<int> failed;
  for (int worker = 0; worker < options_.workers; ++worker) {
    if (at(worker).state == State::kFailed) failed.push_back(worker);
  }
  return failed;
}

}  // namespace ccb
