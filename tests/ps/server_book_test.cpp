// Every mode's rules on scripted event sequences: no transport, no threads.
#include "ps/server_book.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace ccb {
namespace {

BookOptions options(PsMode mode, int workers, std::int64_t steps) {
  BookOptions result;
  result.mode = mode;
  result.workers = workers;
  result.totalSteps = steps;
  return result;
}

// A push that arrives whole at once.
PushFate push(ServerBook& book, int worker, std::int64_t attempt, std::int64_t basedOn) {
  const PushFate fate = book.onPushHeader(worker, attempt, basedOn);
  book.onPushComplete(worker);
  return fate;
}

TEST(ServerBook, SyncHoldsEveryoneUntilTheStepCompletes) {
  ServerBook book(options(PsMode::kSync, 3, 2));
  EXPECT_EQ(book.stepQuorum(), 3);
  EXPECT_EQ(push(book, 0, 0, 0), PushFate::kCounted);
  EXPECT_EQ(push(book, 2, 0, 0), PushFate::kCounted);
  EXPECT_FALSE(book.stepReady());
  EXPECT_TRUE(book.takeReleased().empty());
  EXPECT_EQ(push(book, 1, 0, 0), PushFate::kCounted);
  ASSERT_TRUE(book.stepReady());
  book.completeStep();
  EXPECT_EQ(book.version(), 1);
  const std::vector<ReplyTicket> released = book.takeReleased();
  ASSERT_EQ(released.size(), 3u);
  EXPECT_EQ(released[0], (ReplyTicket{0, 1, false, true}));
  EXPECT_EQ(released[2], (ReplyTicket{2, 1, false, true}));
  for (int worker = 0; worker < 3; ++worker) push(book, worker, 1, 1);
  book.completeStep();
  for (const ReplyTicket& ticket : book.takeReleased()) EXPECT_TRUE(ticket.done);
  EXPECT_TRUE(book.finished());
  EXPECT_EQ(book.applied(), 6);
  EXPECT_EQ(book.dropped(), 0);
  EXPECT_EQ(book.stalenessHistogram().at(0), 6);
  EXPECT_EQ(book.stepPushCounts(), (std::vector<int>{3, 3}));
}

TEST(ServerBook, SyncRejectsAPushFromTheFuture) {
  ServerBook book(options(PsMode::kSync, 2, 2));
  EXPECT_THROW(book.onPushHeader(0, 0, 1), InvariantError);
}

TEST(ServerBook, BackupCompletesWithTheFirstKMinusBAndDropsTheRest) {
  BookOptions opts = options(PsMode::kBackup, 3, 2);
  opts.backup = 1;
  ServerBook book(opts);
  EXPECT_EQ(book.stepQuorum(), 2);
  EXPECT_EQ(push(book, 1, 0, 0), PushFate::kCounted);
  // Worker 2's header arrives before worker 0's: it is among the first two.
  EXPECT_EQ(book.onPushHeader(2, 0, 0), PushFate::kCounted);
  EXPECT_EQ(book.onPushHeader(0, 0, 0), PushFate::kDropped);  // the step is full
  book.onPushComplete(0);
  // The dropped push waits for the step's result: an answer now would carry the version it already has.
  EXPECT_TRUE(book.takeReleased().empty());
  EXPECT_FALSE(book.stepReady());
  book.onPushComplete(2);
  ASSERT_TRUE(book.stepReady());
  book.completeStep();
  EXPECT_EQ(book.takeReleased(),
            (std::vector<ReplyTicket>{{0, 1, false, false}, {1, 1, false, true}, {2, 1, false, true}}));
  // Worker 1 is slow this time: it pushes on version 1 only after step 1 completed without it.
  EXPECT_EQ(push(book, 0, 1, 1), PushFate::kCounted);
  EXPECT_EQ(push(book, 2, 1, 1), PushFate::kCounted);
  book.completeStep();
  EXPECT_EQ(book.version(), 2);
  for (const ReplyTicket& ticket : book.takeReleased()) EXPECT_TRUE(ticket.done);
  EXPECT_FALSE(book.finished());  // worker 1 has not heard it is done
  // Computed on an older version: dropped and answered at once, with the last version and "done".
  EXPECT_EQ(push(book, 1, 1, 1), PushFate::kDropped);
  EXPECT_EQ(book.takeReleased(), (std::vector<ReplyTicket>{{1, 2, true, false}}));
  EXPECT_TRUE(book.finished());
  EXPECT_EQ(book.applied(), 4);
  EXPECT_EQ(book.dropped(), 2);
  EXPECT_EQ(book.received(), book.applied() + book.dropped());
  EXPECT_EQ(book.stepPushCounts(), (std::vector<int>{2, 2}));
}

TEST(ServerBook, BackupAnswersAnOldPushAtOnce) {
  BookOptions opts = options(PsMode::kBackup, 3, 3);
  opts.backup = 1;
  ServerBook book(opts);
  push(book, 0, 0, 0);
  push(book, 1, 0, 0);
  book.completeStep();
  book.takeReleased();
  EXPECT_EQ(push(book, 2, 0, 0), PushFate::kDropped);
  EXPECT_EQ(book.takeReleased(), (std::vector<ReplyTicket>{{2, 1, false, false}}));
}

TEST(ServerBook, BackupRejectsBadB) {
  BookOptions opts = options(PsMode::kBackup, 3, 2);
  opts.backup = 3;
  EXPECT_THROW(ServerBook{opts}, UsageError);
  opts.backup = -1;
  EXPECT_THROW(ServerBook{opts}, UsageError);
}

TEST(ServerBook, AsyncAppliesAndAnswersAtOnceAndRecordsStaleness) {
  ServerBook book(options(PsMode::kAsync, 2, 2));
  EXPECT_EQ(push(book, 0, 0, 0), PushFate::kApplied);  // staleness 0, version -> 1
  EXPECT_EQ(book.takeReleased(), (std::vector<ReplyTicket>{{0, 1, false, true}}));
  EXPECT_EQ(push(book, 1, 0, 0), PushFate::kApplied);  // computed on 0, applied at 1: staleness 1
  EXPECT_EQ(book.takeReleased(), (std::vector<ReplyTicket>{{1, 2, false, true}}));
  push(book, 0, 1, 1);  // staleness 1
  EXPECT_EQ(book.takeReleased(), (std::vector<ReplyTicket>{{0, 3, true, true}}));
  push(book, 1, 1, 2);  // staleness 1
  EXPECT_TRUE(book.finished());
  EXPECT_EQ(book.stalenessHistogram(), (std::map<std::int64_t, std::int64_t>{{0, 1}, {1, 3}}));
  EXPECT_EQ(book.applied(), 4);
  EXPECT_EQ(book.appliedAttempts(1), (std::vector<std::int64_t>{0, 1}));
  EXPECT_EQ(book.maxLead(), 1);  // worker 0 was released at clock 1 while worker 1 was at 0
}

TEST(ServerBook, SspHoldsAWorkerTooFarAhead) {
  BookOptions opts = options(PsMode::kSsp, 2, 5);
  opts.staleness = 1;
  ServerBook book(opts);
  push(book, 0, 0, 0);  // clock 1, slowest 0: lead 1 <= 1, released
  EXPECT_EQ(book.takeReleased().size(), 1u);
  push(book, 0, 1, 1);  // clock 2, slowest 0: lead 2 > 1, held
  EXPECT_TRUE(book.takeReleased().empty());
  EXPECT_FALSE(book.awaitingPush(0));
  push(book, 1, 0, 0);  // worker 1 reaches clock 1: worker 0 may go on
  const std::vector<ReplyTicket> released = book.takeReleased();
  ASSERT_EQ(released.size(), 2u);
  EXPECT_EQ(released[0].worker, 0);
  EXPECT_EQ(released[1].worker, 1);
  EXPECT_LE(book.maxLead(), 1);
}

TEST(ServerBook, SspZeroIsLockstep) {
  BookOptions opts = options(PsMode::kSsp, 3, 3);
  opts.staleness = 0;
  ServerBook book(opts);
  push(book, 0, 0, 0);
  push(book, 1, 0, 0);
  EXPECT_TRUE(book.takeReleased().empty());
  push(book, 2, 0, 0);
  EXPECT_EQ(book.takeReleased().size(), 3u);
  EXPECT_EQ(book.maxLead(), 0);
}

TEST(ServerBook, SspReleasesWhenTheSlowestFails) {
  BookOptions opts = options(PsMode::kSsp, 2, 5);
  opts.staleness = 0;
  ServerBook book(opts);
  push(book, 0, 0, 0);
  EXPECT_TRUE(book.takeReleased().empty());
  book.declareFailed(1);
  EXPECT_EQ(book.takeReleased().size(), 1u);
  EXPECT_EQ(book.failedWorkers(), (std::vector<int>{1}));
  for (int attempt = 1; attempt < 5; ++attempt) {
    push(book, 0, attempt, book.version());
    book.takeReleased();
  }
  EXPECT_TRUE(book.finished());
}

TEST(ServerBook, SspRejectsNegativeStaleness) {
  BookOptions opts = options(PsMode::kSsp, 2, 5);
  opts.staleness = -1;
  EXPECT_THROW(ServerBook{opts}, UsageError);
}

TEST(ServerBook, FailureOnlyOfAWorkerAwaitedAndBackupQuorum) {
  BookOptions opts = options(PsMode::kBackup, 3, 4);
  opts.backup = 1;
  ServerBook book(opts);
  book.onPushHeader(0, 0, 0);
  EXPECT_THROW(book.declareFailed(0), InvariantError);  // mid-push: not a silent worker
  book.declareFailed(2);
  EXPECT_TRUE(book.canComplete());  // 2 alive, quorum 2
  book.onPushComplete(0);
  push(book, 1, 0, 0);
  book.completeStep();
  book.takeReleased();
  push(book, 0, 1, 1);
  book.takeReleased();
  book.declareFailed(1);
  EXPECT_FALSE(book.canComplete());
}

TEST(ServerBook, AsyncFinishesWithAFailedWorker) {
  ServerBook book(options(PsMode::kAsync, 2, 2));
  push(book, 0, 0, 0);
  push(book, 0, 1, 1);
  book.takeReleased();
  EXPECT_FALSE(book.finished());
  book.declareFailed(1);
  EXPECT_TRUE(book.finished());
  EXPECT_EQ(book.applied(), 2);
}

TEST(ServerBook, WarmupPushesAreNotTimed) {
  BookOptions opts = options(PsMode::kAsync, 1, 3);
  opts.warmupSteps = 1;
  ServerBook book(opts);
  for (int attempt = 0; attempt < 3; ++attempt) push(book, 0, attempt, attempt);
  EXPECT_EQ(book.applied(), 3);
  EXPECT_EQ(book.appliedTimed(), 2);
}

}  // namespace
}  // namespace ccb
