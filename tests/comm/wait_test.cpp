// waitAll / wait / barrier over fake requests: completion, reset, deadlines and the timeout message.
#include <gtest/gtest.h>

#include <memory>
#include <thread>

#include "comm/transport.h"
#include "core/error.h"

namespace ccb {
namespace {

using namespace std::chrono_literals;

// Completes on its `testsToComplete`-th test(); never, when that is 0. Counts tests in a shared counter.
class FakeOp final : public PendingOp {
 public:
  FakeOp(int testsToComplete, int* testCalls) : left_(testsToComplete), testCalls_(testCalls) {}
  bool test() override {
    ++*testCalls_;
    EXPECT_NE(left_, -1) << "tested again after it completed";
    if (left_ == 0) return false;
    if (--left_ > 0) return false;
    left_ = -1;
    return true;
  }

 private:
  int left_;
  int* testCalls_;
};

Request fake(int testsToComplete, int* testCalls) {
  return std::make_unique<FakeOp>(testsToComplete, testCalls);
}

TEST(Wait, WaitAllCompletesAndResetsEveryRequest) {
  int calls = 0;
  std::vector<Request> requests;
  requests.push_back(fake(1, &calls));
  requests.push_back(nullptr);  // already complete
  requests.push_back(fake(5, &calls));
  requests.push_back(fake(3, &calls));
  waitAll(requests, Clock::now() + 5s, "fakes");
  for (const auto& r : requests) EXPECT_EQ(r, nullptr);
  EXPECT_EQ(calls, 1 + 5 + 3);  // completed requests are not tested again
}

TEST(Wait, EmptyAndAllNullReturnAtOnceEvenPastTheDeadline) {
  std::vector<Request> none;
  waitAll(none, Clock::now() - 1s, "nothing");
  std::vector<Request> nulls(3);
  waitAll(nulls, Clock::now() - 1s, "nulls");
}

// Work that is already done is not a timeout, even with an expired deadline.
TEST(Wait, CompletedWorkWinsOverAnExpiredDeadline) {
  int calls = 0;
  Request r = fake(1, &calls);
  wait(r, Clock::now() - 1s, "instant");
  EXPECT_EQ(r, nullptr);
}

TEST(Wait, TimeoutNamesTheOperationAndCountsWhatIsPending) {
  int calls = 0;
  std::vector<Request> requests;
  requests.push_back(fake(1, &calls));
  requests.push_back(fake(0, &calls));
  requests.push_back(fake(0, &calls));
  const auto start = Clock::now();
  try {
    waitAll(requests, start + 50ms, "allreduce 4M step 2");
    FAIL() << "requests that never complete did not time out";
  } catch (const TimeoutError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("allreduce 4M step 2: timed out after 0.", 0), 0u) << e.what();
    EXPECT_NE(std::string(e.what()).find(" s waiting for 2 of 3 operations (peer not answering?)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_GE(Clock::now() - start, 50ms);
  EXPECT_EQ(requests[0], nullptr);  // the completed one was released
  EXPECT_NE(requests[1], nullptr);  // the pending ones stay with the caller
  EXPECT_NE(requests[2], nullptr);
}

TEST(Wait, ErrorsFromTestPropagate) {
  class Failing final : public PendingOp {
   public:
    bool test() override { throw BackendError("MPI_Test: broken"); }
  };
  Request r = std::make_unique<Failing>();
  EXPECT_THROW(wait(r, Clock::now() + 1s, "failing"), BackendError);
}

// The loop yields between fruitless rounds, so a peer thread on the same core gets to run: with one request
// completed by another thread, the wait ends long before the deadline.
TEST(Wait, YieldsSoAnotherThreadCanComplete) {
  class Flag final : public PendingOp {
   public:
    explicit Flag(const std::atomic<bool>& flag) : flag_(flag) {}
    bool test() override { return flag_.load(); }

   private:
    const std::atomic<bool>& flag_;
  };
  std::atomic<bool> flag{false};
  Request r = std::make_unique<Flag>(flag);
  std::thread setter([&] {
    std::this_thread::sleep_for(10ms);
    flag = true;
  });
  wait(r, Clock::now() + 10s, "flag");
  setter.join();
  EXPECT_EQ(r, nullptr);
}

class BarrierOnly final : public Transport {
 public:
  explicit BarrierOnly(int testsToComplete) : testsToComplete_(testsToComplete) {}
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string name() const override { return "fake"; }
  Request isend(int, std::span<const std::byte>, int) override { return nullptr; }
  Request irecv(int, std::span<std::byte>, int) override { return nullptr; }
  Request ibarrier() override { return fake(testsToComplete_, &calls); }
  int calls = 0;

 private:
  int testsToComplete_;
};

TEST(Wait, BarrierWaitsForTheBarrierRequest) {
  BarrierOnly transport(4);
  barrier(transport, Clock::now() + 5s, "barrier");
  EXPECT_EQ(transport.calls, 4);
}

TEST(Wait, BarrierTimesOut) {
  BarrierOnly never(0);
  EXPECT_THROW(barrier(never, Clock::now() + 20ms, "stuck barrier"), TimeoutError);
}

}  // namespace
}  // namespace ccb
