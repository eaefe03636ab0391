// Loopback transport: matching, ordering, rendezvous completion, barriers, timeouts, failure propagation.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "comm/loopback_transport.h"
#include "core/error.h"

namespace ccb {
namespace {

using namespace std::chrono_literals;

Clock::time_point in(Clock::duration d) { return Clock::now() + d; }

template <typename T>
std::span<const std::byte> bytesOf(const T& value) {
  return std::as_bytes(std::span<const T>(&value, 1));
}
template <typename T>
std::span<std::byte> writableBytesOf(T& value) {
  return std::as_writable_bytes(std::span<T>(&value, 1));
}

// A payload that depends on (source, destination, index), so a misrouted or stale byte shows up.
std::vector<std::uint32_t> payload(int source, int destination, std::size_t count) {
  std::vector<std::uint32_t> values(count);
  for (std::size_t i = 0; i < count; ++i)
    values[i] = static_cast<std::uint32_t>(source * 1000003 + destination * 7919 + i);
  return values;
}

TEST(Loopback, NameRankSize) {
  runLoopback(3, [](Transport& t) {
    EXPECT_EQ(t.name(), "loopback");
    EXPECT_EQ(t.size(), 3);
    EXPECT_GE(t.rank(), 0);
    EXPECT_LT(t.rank(), 3);
  });
}

TEST(Loopback, RejectsBadRanks) {
  EXPECT_THROW(LoopbackFabric(0), UsageError);
  LoopbackFabric fabric(2);
  EXPECT_THROW(LoopbackTransport(fabric, 2), UsageError);
  LoopbackTransport t(fabric, 0);
  int value = 0;
  EXPECT_THROW(t.isend(2, bytesOf(value), 0), InvariantError);
  EXPECT_THROW(t.irecv(-1, writableBytesOf(value), 0), InvariantError);
  EXPECT_THROW(t.isend(1, bytesOf(value), -1), InvariantError);
}

// Messages of one tag arrive in send order even when the receiver drains another tag first.
TEST(Loopback, FifoPerTagAcrossInterleavedTags) {
  constexpr int kMessages = 64;
  runLoopback(2, [](Transport& t) {
    std::vector<int> values(2 * kMessages);
    std::vector<Request> requests;
    if (t.rank() == 0) {
      for (int i = 0; i < kMessages; ++i) {
        values[2 * i] = i;
        values[2 * i + 1] = 1000 + i;
        requests.push_back(t.isend(1, bytesOf(values[2 * i]), 7));
        requests.push_back(t.isend(1, bytesOf(values[2 * i + 1]), 8));
      }
    } else {
      for (int i = 0; i < kMessages; ++i)
        requests.push_back(t.irecv(0, writableBytesOf(values[kMessages + i]), 8));
      for (int i = 0; i < kMessages; ++i) requests.push_back(t.irecv(0, writableBytesOf(values[i]), 7));
    }
    waitAll(requests, in(5s), "fifo");
    if (t.rank() == 1) {
      for (int i = 0; i < kMessages; ++i) {
        EXPECT_EQ(values[i], i);
        EXPECT_EQ(values[kMessages + i], 1000 + i);
      }
    }
  });
}

// Receives posted in the opposite tag order from the sends still match by tag.
TEST(Loopback, ManyTagsMatchByTag) {
  constexpr int kTags = 1000;
  runLoopback(2, [](Transport& t) {
    std::vector<int> values(kTags, -1);
    std::vector<Request> requests;
    for (int tag = 0; tag < kTags; ++tag) {
      if (t.rank() == 0) {
        values[tag] = tag * 3;
        requests.push_back(t.isend(1, bytesOf(values[tag]), tag));
      } else {
        const int reversed = kTags - 1 - tag;
        requests.push_back(t.irecv(0, writableBytesOf(values[reversed]), reversed));
      }
    }
    waitAll(requests, in(5s), "many tags");
    if (t.rank() == 1) {
      for (int tag = 0; tag < kTags; ++tag) EXPECT_EQ(values[tag], tag * 3) << "tag " << tag;
    }
  });
}

TEST(Loopback, ZeroByteMessages) {
  runLoopback(2, [](Transport& t) {
    const int peer = 1 - t.rank();
    std::vector<Request> requests;
    requests.push_back(t.isend(peer, {}, 3));
    requests.push_back(t.irecv(peer, {}, 3));
    requests.push_back(t.irecv(peer, std::span<std::byte>(static_cast<std::byte*>(nullptr), 0), 4));
    requests.push_back(
        t.isend(peer, std::span<const std::byte>(static_cast<const std::byte*>(nullptr), 0), 4));
    waitAll(requests, in(5s), "zero bytes");
    for (const auto& r : requests) EXPECT_EQ(r, nullptr);
  });
}

TEST(Loopback, SendToSelf) {
  runLoopback(1, [](Transport& t) {
    const std::uint64_t sent = 0x0123456789abcdefULL;
    std::uint64_t received = 0;
    std::vector<Request> requests;
    requests.push_back(t.isend(0, bytesOf(sent), 0));
    requests.push_back(t.irecv(0, writableBytesOf(received), 0));
    waitAll(requests, in(5s), "self");
    EXPECT_EQ(received, sent);
  });
}

// Every rank sends a distinct payload (of a size that depends on the pair) to every rank, itself included.
class LoopbackAllToAll : public ::testing::TestWithParam<int> {};

TEST_P(LoopbackAllToAll, EveryPairDeliversItsOwnBytes) {
  const int ranks = GetParam();
  std::atomic<int> checkedPairs{0};
  runLoopback(ranks, [&](Transport& t) {
    const int me = t.rank();
    const auto count = [](int source, int destination) {
      return static_cast<std::size_t>(1 + 37 * source + 11 * destination);
    };
    std::vector<std::vector<std::uint32_t>> outgoing(ranks), incoming(ranks);
    std::vector<Request> requests;
    for (int peer = 0; peer < ranks; ++peer) {
      incoming[peer].assign(count(peer, me), 0);
      requests.push_back(t.irecv(peer, std::as_writable_bytes(std::span(incoming[peer])), 5));
    }
    for (int peer = 0; peer < ranks; ++peer) {
      outgoing[peer] = payload(me, peer, count(me, peer));
      requests.push_back(t.isend(peer, std::as_bytes(std::span(outgoing[peer])), 5));
    }
    waitAll(requests, in(10s), "all-to-all");
    for (int peer = 0; peer < ranks; ++peer) {
      EXPECT_EQ(incoming[peer], payload(peer, me, count(peer, me))) << peer << " -> " << me;
      ++checkedPairs;
    }
  });
  EXPECT_EQ(checkedPairs.load(), ranks * ranks);
}

INSTANTIATE_TEST_SUITE_P(Ranks1To16, LoopbackAllToAll, ::testing::Range(1, 17));

// Nobody leaves barrier r before everybody arrived at it, over several rounds.
TEST(Loopback, BarrierSeparatesRounds) {
  constexpr int kRanks = 8;
  constexpr int kRounds = 20;
  std::vector<std::atomic<int>> arrived(kRounds);
  runLoopback(kRanks, [&](Transport& t) {
    for (int round = 0; round < kRounds; ++round) {
      ++arrived[round];
      barrier(t, in(5s), "barrier round " + std::to_string(round));
      EXPECT_EQ(arrived[round].load(), kRanks) << "round " << round << " rank " << t.rank();
    }
  });
}

TEST(Loopback, SeveralOutstandingBarriersCompleteInOrder) {
  runLoopback(4, [](Transport& t) {
    std::vector<Request> requests;
    for (int i = 0; i < 3; ++i) requests.push_back(t.ibarrier());
    waitAll(requests, in(5s), "three barriers");
  });
}

TEST(Loopback, BarrierTimesOutWhenAPeerNeverArrives) {
  LoopbackFabric fabric(2);
  LoopbackTransport t(fabric, 0);
  EXPECT_THROW(barrier(t, in(50ms), "lonely barrier"), TimeoutError);
  // The abandoned arrival was withdrawn: the next barrier needs rank 1 again rather than passing alone.
  Request next = t.ibarrier();
  EXPECT_FALSE(next->test());
  LoopbackTransport other(fabric, 1);
  barrier(other, in(5s), "peer barrier");
  wait(next, in(5s), "second barrier");
}

// Rendezvous: a send completes only once its receive is posted and has copied the bytes.
TEST(Loopback, SendCompletesOnlyAfterMatchingReceive) {
  std::atomic<bool> sendPosted{false};
  std::atomic<bool> sendSeenPending{false};
  runLoopback(2, [&](Transport& t) {
    int value = 42;
    if (t.rank() == 0) {
      Request send = t.isend(1, bytesOf(value), 0);
      for (int i = 0; i < 5; ++i) {
        EXPECT_FALSE(send->test());
        std::this_thread::sleep_for(2ms);
      }
      sendSeenPending = true;
      sendPosted = true;
      wait(send, in(5s), "send");
    } else {
      while (!sendPosted) std::this_thread::yield();
      int received = 0;
      Request recv = t.irecv(0, writableBytesOf(received), 0);
      wait(recv, in(5s), "recv");
      EXPECT_EQ(received, 42);
    }
  });
  EXPECT_TRUE(sendSeenPending.load());
}

TEST(Loopback, ReceiveCompletesOnlyAfterMatchingSend) {
  LoopbackFabric fabric(2);
  LoopbackTransport sender(fabric, 0), receiver(fabric, 1);
  int received = 0;
  Request recv = receiver.irecv(0, writableBytesOf(received), 9);
  EXPECT_FALSE(recv->test());
  const int value = 17;
  Request send = sender.isend(1, bytesOf(value), 9);
  EXPECT_TRUE(send->test());
  EXPECT_TRUE(recv->test());
  EXPECT_EQ(received, 17);
}

// No intermediate copy: bytes changed after isend but before the receive is posted are what arrives. This is
// how an executor that reuses a send buffer too early gets caught.
TEST(Loopback, NoBufferingSoEarlyBufferReuseIsVisible) {
  LoopbackFabric fabric(2);
  LoopbackTransport sender(fabric, 0), receiver(fabric, 1);
  int buffer = 1;
  Request send = sender.isend(1, bytesOf(buffer), 0);
  buffer = 2;  // the bug under test: reused before the send completed
  int received = 0;
  Request recv = receiver.irecv(0, writableBytesOf(received), 0);
  EXPECT_TRUE(recv->test());
  EXPECT_EQ(received, 2);
}

TEST(Loopback, SizeMismatchIsAnInvariantErrorOnBothSides) {
  LoopbackFabric fabric(2);
  LoopbackTransport sender(fabric, 0), receiver(fabric, 1);
  const std::uint64_t value = 5;
  std::uint32_t small = 0;
  Request send = sender.isend(1, bytesOf(value), 0);
  Request recv = receiver.irecv(0, writableBytesOf(small), 0);
  EXPECT_THROW(recv->test(), InvariantError);
  try {
    send->test();
    FAIL() << "send completed despite the size mismatch";
  } catch (const InvariantError& e) {
    EXPECT_NE(std::string(e.what()).find("sent 8 bytes with tag 0 but rank 1 posted a receive of 4 bytes"),
              std::string::npos)
        << e.what();
  }
}

// A destroyed (cancelled) receive is withdrawn: the next send matches the next receive, not the dead buffer.
TEST(Loopback, DestroyedReceiveIsWithdrawn) {
  LoopbackFabric fabric(2);
  LoopbackTransport sender(fabric, 0), receiver(fabric, 1);
  {
    auto dead = std::make_unique<int>(0);
    Request cancelled = receiver.irecv(0, writableBytesOf(*dead), 0);
  }
  int received = 0;
  Request recv = receiver.irecv(0, writableBytesOf(received), 0);
  const int value = 99;
  Request send = sender.isend(1, bytesOf(value), 0);
  wait(recv, in(5s), "recv");
  EXPECT_EQ(received, 99);
}

TEST(Loopback, UnmatchedReceiveTimesOut) {
  LoopbackFabric fabric(2);
  LoopbackTransport t(fabric, 0);
  int value = 0;
  Request recv = t.irecv(1, writableBytesOf(value), 4);
  const auto start = Clock::now();
  try {
    wait(recv, in(200ms), "ring step 3 recv from rank 1");
    FAIL() << "a receive nobody sends to completed";
  } catch (const TimeoutError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("ring step 3 recv from rank 1: timed out after ", 0), 0u) << message;
    EXPECT_NE(message.find("waiting for 1 of 1 operation (peer not answering?)"), std::string::npos)
        << message;
  }
  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LT(elapsed, 1500ms);  // generous: a loaded 2-core CI machine
  EXPECT_NE(recv, nullptr);    // still pending, still owned by the caller
}

TEST(Loopback, RunLoopbackRethrowsTheFailingRanksError) {
  const auto start = Clock::now();
  try {
    runLoopback(4, [](Transport& t) {
      if (t.rank() == 2) throw UsageError("rank 2 broke");
      int value = 0;
      Request recv = t.irecv(2, writableBytesOf(value), 0);
      wait(recv, in(20s), "recv from rank 2");
    });
    FAIL() << "runLoopback swallowed an exception";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "rank 2 broke");
  }
  // The peers failed fast through the fabric's abort flag, not at their 20 s deadlines.
  EXPECT_LT(Clock::now() - start, 5s);
}

// A timeout that follows a real failure is a consequence and must not mask it, whatever the order.
TEST(Loopback, RunLoopbackPrefersRealErrorsOverTimeouts) {
  try {
    runLoopback(3, [](Transport& t) {
      if (t.rank() == 0) {
        int value = 0;
        Request recv = t.irecv(1, writableBytesOf(value), 0);
        wait(recv, in(10ms), "early timeout");
      } else if (t.rank() == 1) {
        std::this_thread::sleep_for(100ms);
        throw std::logic_error("late real failure");
      }
    });
    FAIL() << "runLoopback swallowed an exception";
  } catch (const std::logic_error& e) {
    EXPECT_STREQ(e.what(), "late real failure");
  }
}

TEST(Loopback, RunLoopbackReportsATimeoutWhenThatIsAllThereIs) {
  EXPECT_THROW(runLoopback(2,
                           [](Transport& t) {
                             if (t.rank() == 1) return;
                             int value = 0;
                             Request recv = t.irecv(1, writableBytesOf(value), 0);
                             wait(recv, in(20ms), "orphan recv");
                           }),
               TimeoutError);
}

TEST(Loopback, AbortFailsPendingOperationsWithPeerFailedError) {
  LoopbackFabric fabric(2);
  LoopbackTransport t(fabric, 0);
  int value = 0;
  Request recv = t.irecv(1, writableBytesOf(value), 0);
  EXPECT_FALSE(recv->test());
  fabric.abort(1, "disk on fire");
  try {
    recv->test();
    FAIL() << "aborted fabric still pending";
  } catch (const PeerFailedError& e) {
    EXPECT_STREQ(e.what(), "loopback: rank 1 failed (disk on fire)");
  }
}

}  // namespace
}  // namespace ccb
