// The ring schedule, proved symbolically (suite 'unit'): all K ranks' schedules are executed step by step on
// symbols that record which ranks' contributions an element holds and how often it was finalized. Every
// output element must end with each rank's contribution exactly once, finalized exactly once.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "algo/ring_schedule.h"
#include "core/error.h"

namespace ccb {
namespace {

// What one element holds: a set of contributing ranks (bit r = rank r) and a finalize count.
struct Symbol {
  std::uint32_t ranks = 0;
  int finalized = 0;
  bool written = false;
};
using Buffer = std::vector<Symbol>;

// Thrown by the checker with the first inconsistency it meets.
struct ScheduleFault : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void require(bool ok, const std::string& what) {
  if (!ok) throw ScheduleFault(what);
}

struct Rank {
  Schedule schedule;
  Buffer input;
  Buffer separateOutput;
  Buffer& output(bool inPlace) { return inPlace ? input : separateOutput; }
};

// Element indices of a byte range, after checking that it is whole elements inside the buffer.
std::pair<std::size_t, std::size_t> elements(const ByteRange& r, std::size_t elementBytes, std::size_t count,
                                             const std::string& where) {
  require(r.offset % elementBytes == 0 && r.bytes % elementBytes == 0, where + ": range not element aligned");
  require(r.bytes > 0, where + ": zero-byte transfer");
  require(r.offset + r.bytes <= count * elementBytes, where + ": range past the buffer");
  return {r.offset / elementBytes, r.bytes / elementBytes};
}

// Executes all ranks' schedules in step order. Within a step every send is read before any receive is
// applied (they run concurrently in the executor), and each send must meet the matching receive of the
// same step (tag = step) on its peer. Local copies run first, local finalizes after them, as in the executor.
using ScheduleMaker = std::function<Schedule(int rank, int ranks, std::size_t count, std::size_t elementBytes)>;

void runSymbolically(int ranks, std::size_t count, std::size_t elementBytes, bool inPlace,
                     const ScheduleMaker& makeSchedule = ringAllReduceSchedule) {
  std::vector<Rank> rs(ranks);
  for (int r = 0; r < ranks; ++r) {
    rs[r].schedule = makeSchedule(r, ranks, count, elementBytes);
    rs[r].input.assign(count, Symbol{1u << r, 0, true});
    rs[r].separateOutput.assign(count, Symbol{});
    require(rs[r].schedule.steps.size() == rs[0].schedule.steps.size(), "ranks disagree on the step count");
    for (const ByteRange& c : rs[r].schedule.localCopies) {
      auto [first, n] = elements(c, elementBytes, count, "local copy");
      for (std::size_t i = first; i < first + n; ++i) rs[r].output(inPlace)[i] = rs[r].input[i];
    }
    for (const ByteRange& f : rs[r].schedule.localFinalize) {
      auto [first, n] = elements(f, elementBytes, count, "local finalize");
      for (std::size_t i = first; i < first + n; ++i) ++rs[r].output(inPlace)[i].finalized;
    }
  }

  for (std::size_t s = 0; s < rs[0].schedule.steps.size(); ++s) {
    const std::string at = "step " + std::to_string(s);
    // Sends: snapshot the bytes into a mailbox keyed by (from, to).
    std::map<std::pair<int, int>, Buffer> mailbox;
    for (int r = 0; r < ranks; ++r) {
      const Step& step = rs[r].schedule.steps[s];
      if (step.sendPeer == Step::kNoPeer) continue;
      auto [first, n] = elements(step.sendRange, elementBytes, count, at + " send of rank " + std::to_string(r));
      const Buffer& from = step.sendFromInput ? rs[r].input : rs[r].output(inPlace);
      Buffer message(from.begin() + first, from.begin() + first + n);
      for (const Symbol& x : message) require(x.written, at + ": rank " + std::to_string(r) + " sends unwritten bytes");
      if (step.recvPeer != Step::kNoPeer) {
        const ByteRange& a = step.sendRange;
        const ByteRange& b = step.recvRange;
        require(a.offset + a.bytes <= b.offset || b.offset + b.bytes <= a.offset,
                at + ": send and receive ranges overlap");
      }
      require(mailbox.emplace(std::make_pair(r, step.sendPeer), std::move(message)).second, at + ": two sends");
    }
    // Receives: take the matching message and reduce or store it.
    for (int r = 0; r < ranks; ++r) {
      const Step& step = rs[r].schedule.steps[s];
      if (step.recvPeer == Step::kNoPeer) continue;
      auto [first, n] = elements(step.recvRange, elementBytes, count, at + " receive of rank " + std::to_string(r));
      auto it = mailbox.find({step.recvPeer, r});
      require(it != mailbox.end(), at + ": rank " + std::to_string(r) + " receives what nobody sent");
      require(it->second.size() == n, at + ": send and receive sizes differ");
      Buffer& out = rs[r].output(inPlace);
      for (std::size_t i = 0; i < n; ++i) {
        const Symbol& got = it->second[i];
        Symbol result = got;
        if (step.reduceOnRecv) {
          const Symbol& own = rs[r].input[first + i];
          require(own.written, at + ": reduces with unwritten input");
          require((own.ranks & got.ranks) == 0, at + ": a contribution would count twice");
          result = Symbol{own.ranks | got.ranks, own.finalized + got.finalized, true};
        }
        if (step.finalizeOnRecv) ++result.finalized;
        out[first + i] = result;
      }
      mailbox.erase(it);
    }
    require(mailbox.empty(), at + ": a send has no matching receive");
  }

  const std::uint32_t everyone = ranks == 32 ? ~0u : (1u << ranks) - 1;
  for (int r = 0; r < ranks; ++r) {
    const Buffer& out = rs[r].output(inPlace);
    for (std::size_t i = 0; i < count; ++i) {
      std::ostringstream where;
      where << "rank " << r << " element " << i;
      require(out[i].written, where.str() + " never written");
      require(out[i].ranks == everyone, where.str() + " misses a contribution");
      require(out[i].finalized == 1, where.str() + " finalized " + std::to_string(out[i].finalized) + " times");
    }
  }
}

std::vector<std::size_t> countsFor(int k) {
  const auto n = static_cast<std::size_t>(k);
  return {0, 1, 2, n - 1, n, n + 1, 2 * n + 3, 13, 97, 1009};
}

TEST(RingSchedule, EveryElementGetsEveryContributionOnceAndOneFinalize) {
  for (int k = 1; k <= 16; ++k) {
    for (std::size_t count : countsFor(k)) {
      for (bool inPlace : {false, true}) {
        for (std::size_t elementBytes : {std::size_t{2}, std::size_t{8}}) {
          SCOPED_TRACE(testing::Message() << "K " << k << " count " << count << " in place " << inPlace
                                          << " element bytes " << elementBytes);
          EXPECT_NO_THROW(runSymbolically(k, count, elementBytes, inPlace));
        }
      }
    }
  }
}

// The checker must be able to fail: ring schedules with one flag of rank 1 broken are each caught.
TEST(RingSchedule, CheckerCatchesBrokenSchedules) {
  auto broken = [](std::function<void(Schedule&)> breakIt) {
    return [breakIt](int rank, int ranks, std::size_t count, std::size_t elementBytes) {
      Schedule s = ringAllReduceSchedule(rank, ranks, count, elementBytes);
      if (rank == 1) breakIt(s);
      return s;
    };
  };
  auto expectFault = [&](std::function<void(Schedule&)> breakIt, bool inPlace, const std::string& message) {
    try {
      runSymbolically(4, 9, 4, inPlace, broken(breakIt));
      ADD_FAILURE() << "not caught: " << message;
    } catch (const ScheduleFault& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  expectFault([](Schedule& s) { s.steps[2].finalizeOnRecv = false; }, false, "finalized 0 times");
  expectFault([](Schedule& s) { s.steps[1].finalizeOnRecv = true; }, true, "finalized 2 times");
  expectFault([](Schedule& s) { s.steps[0].reduceOnRecv = false; }, false, "misses a contribution");
  expectFault([](Schedule& s) { s.steps[0].sendFromInput = false; }, false, "sends unwritten bytes");
  expectFault([](Schedule& s) { s.steps[3].recvPeer = Step::kNoPeer; }, false, "no matching receive");
  expectFault([](Schedule& s) { s.steps[4].sendRange.bytes -= 4; }, false, "sizes differ");
  expectFault([](Schedule& s) { s.steps[1].sendRange = s.steps[1].recvRange; }, true, "overlap");
  expectFault([](Schedule& s) { s.steps.pop_back(); }, false, "step count");
}

// Bytes on the wire: each chunk crosses K-1 links in each phase, so all ranks together send
// 2 (K-1) * count elements, and every step has the same peers on all ranks.
TEST(RingSchedule, BytesOnTheWireAndPeers) {
  for (int k = 1; k <= 16; ++k) {
    for (std::size_t count : countsFor(k)) {
      std::size_t sent = 0;
      for (int r = 0; r < k; ++r) {
        const Schedule s = ringAllReduceSchedule(r, k, count, 4);
        EXPECT_EQ(s.steps.size(), static_cast<std::size_t>(2 * (k - 1)));
        for (const Step& step : s.steps) {
          if (step.sendPeer != Step::kNoPeer) {
            EXPECT_EQ(step.sendPeer, (r + 1) % k);
            EXPECT_GT(step.sendRange.bytes, 0u);
            sent += step.sendRange.bytes;
          }
          if (step.recvPeer != Step::kNoPeer) {
            EXPECT_EQ(step.recvPeer, (r + k - 1) % k);
            EXPECT_GT(step.recvRange.bytes, 0u);
          }
        }
      }
      EXPECT_EQ(sent, 2 * static_cast<std::size_t>(k - 1) * count * 4) << "K " << k << " count " << count;
    }
  }
}

TEST(RingSchedule, KnownStepsForThreeRanks) {
  // 7 float32 over 3 ranks: chunks of 3, 2, 2 elements at bytes [0,12), [12,20), [20,28).
  const Schedule s = ringAllReduceSchedule(0, 3, 7, 4);
  ASSERT_EQ(s.steps.size(), 4u);
  EXPECT_TRUE(s.localCopies.empty());
  // Reduce-scatter step 0: own chunk 0 from the input to rank 1; chunk 2 from rank 2, reduced.
  EXPECT_EQ(s.steps[0].sendPeer, 1);
  EXPECT_EQ(s.steps[0].sendRange, (ByteRange{0, 12}));
  EXPECT_TRUE(s.steps[0].sendFromInput);
  EXPECT_EQ(s.steps[0].recvPeer, 2);
  EXPECT_EQ(s.steps[0].recvRange, (ByteRange{20, 8}));
  EXPECT_TRUE(s.steps[0].reduceOnRecv);
  EXPECT_FALSE(s.steps[0].finalizeOnRecv);
  // Step 1 (last reduce-scatter): forward chunk 2, complete chunk 1 and finalize it.
  EXPECT_EQ(s.steps[1].sendRange, (ByteRange{20, 8}));
  EXPECT_FALSE(s.steps[1].sendFromInput);
  EXPECT_EQ(s.steps[1].recvRange, (ByteRange{12, 8}));
  EXPECT_TRUE(s.steps[1].finalizeOnRecv);
  // All-gather: pass on chunk 1, take chunk 0; then pass on chunk 0, take chunk 2.
  EXPECT_EQ(s.steps[2].sendRange, (ByteRange{12, 8}));
  EXPECT_EQ(s.steps[2].recvRange, (ByteRange{0, 12}));
  EXPECT_FALSE(s.steps[2].reduceOnRecv);
  EXPECT_EQ(s.steps[3].sendRange, (ByteRange{0, 12}));
  EXPECT_EQ(s.steps[3].recvRange, (ByteRange{20, 8}));
}

TEST(RingSchedule, EmptyChunksHaveNoTraffic) {
  // 1 element over 4 ranks: only chunk 0 is non-empty; rank 0 sends it in step 0 and nothing else moves
  // in reduce-scatter step 0 on the other ranks' chunks.
  const Schedule s0 = ringAllReduceSchedule(0, 4, 1, 4);
  EXPECT_EQ(s0.steps[0].sendPeer, 1);
  EXPECT_EQ(s0.steps[0].recvPeer, Step::kNoPeer);
  const Schedule s2 = ringAllReduceSchedule(2, 4, 1, 4);
  EXPECT_EQ(s2.steps[0].sendPeer, Step::kNoPeer);
  EXPECT_EQ(s2.steps[0].recvPeer, Step::kNoPeer);
  for (int r = 0; r < 4; ++r) {
    for (const Step& step : ringAllReduceSchedule(r, 4, 0, 4).steps) {
      EXPECT_EQ(step.sendPeer, Step::kNoPeer);
      EXPECT_EQ(step.recvPeer, Step::kNoPeer);
    }
  }
}

TEST(RingSchedule, OneRankCopiesAndFinalizesLocally) {
  const Schedule s = ringAllReduceSchedule(0, 1, 5, 8);
  EXPECT_TRUE(s.steps.empty());
  ASSERT_EQ(s.localCopies.size(), 1u);
  EXPECT_EQ(s.localCopies[0], (ByteRange{0, 40}));
  ASSERT_EQ(s.localFinalize.size(), 1u);
  EXPECT_EQ(s.localFinalize[0], (ByteRange{0, 40}));
}

TEST(RingSchedule, RejectsBadRank) {
  EXPECT_THROW(ringAllReduceSchedule(3, 3, 10, 4), InvariantError);
  EXPECT_THROW(ringAllReduceSchedule(0, 0, 10, 4), InvariantError);
  EXPECT_THROW(ringAllReduceSchedule(0, 2, 10, 0), InvariantError);
}

}  // namespace
}  // namespace ccb
