// The replayed schedules are real all-reduces: an interpreter runs every rank's steps on symbolic data and
// checks that each rank ends with every rank's contribution exactly once, for many K and counts (including
// counts that do not divide evenly and counts smaller than K).
#include <gtest/gtest.h>

#include <random>

#include "sim/schedules.h"

namespace ccb::sim {
namespace {

// Contribution of rank r to every element: a random 64-bit value; sums wrap mod 2^64, so a missing or
// doubled contribution changes the result (with overwhelming probability).
std::vector<std::uint64_t> contributions(int ranks) {
  std::mt19937_64 rng(42);
  std::vector<std::uint64_t> c(static_cast<std::size_t>(ranks));
  for (auto& x : c) x = rng();
  return c;
}

struct RankRun {
  std::size_t step = 0;
  bool started = false;
  bool sendDone = false;
  bool recvDone = false;
  std::vector<std::uint64_t> buffer;    // per element
  std::vector<std::uint64_t> outgoing;  // what the current step sends, captured when it starts
  std::vector<std::uint64_t> incoming;  // what the current step received
};

// Runs the schedules with rendezvous semantics (a message moves when both ends are in the step that carries
// it); returns false on a deadlock.
bool interpret(const AllRankSchedules& schedules, std::size_t elementBytes, std::vector<RankRun>& runs) {
  const std::size_t k = schedules.size();
  auto stepOf = [&](std::size_t r) -> const Step& { return schedules[r].steps[runs[r].step]; };
  auto finished = [&](std::size_t r) { return runs[r].step >= schedules[r].steps.size(); };
  while (true) {
    bool progress = false;
    bool allDone = true;
    for (std::size_t r = 0; r < k; ++r) {
      if (finished(r)) continue;
      allDone = false;
      RankRun& run = runs[r];
      const Step& s = stepOf(r);
      if (!run.started) {
        run.started = true;
        run.sendDone = s.sendPeer == Step::kNoPeer;
        run.recvDone = s.recvPeer == Step::kNoPeer;
        const std::size_t first = s.sendRange.offset / elementBytes;
        run.outgoing.assign(run.buffer.begin() + static_cast<std::ptrdiff_t>(first),
                            run.buffer.begin() + static_cast<std::ptrdiff_t>(first + s.sendRange.bytes / elementBytes));
        progress = true;
      }
      if (!run.sendDone) {
        const auto p = static_cast<std::size_t>(s.sendPeer);
        if (!finished(p) && runs[p].started && !runs[p].recvDone && stepOf(p).recvPeer == static_cast<int>(r)) {
          EXPECT_EQ(stepOf(p).recvRange.bytes, s.sendRange.bytes);
          runs[p].incoming = run.outgoing;
          runs[p].recvDone = true;
          run.sendDone = true;
          progress = true;
        }
      }
    }
    for (std::size_t r = 0; r < k; ++r) {
      if (finished(r) || !runs[r].started || !runs[r].sendDone || !runs[r].recvDone) continue;
      const Step& s = stepOf(r);
      if (s.recvPeer != Step::kNoPeer) {
        const std::size_t first = s.recvRange.offset / elementBytes;
        for (std::size_t i = 0; i < runs[r].incoming.size(); ++i) {
          std::uint64_t& x = runs[r].buffer[first + i];
          x = s.reduceOnRecv ? x + runs[r].incoming[i] : runs[r].incoming[i];
        }
      }
      ++runs[r].step;
      runs[r].started = false;
      progress = true;
    }
    if (allDone) return true;
    if (!progress) return false;
  }
}

void expectAllReduce(const char* name, const AllRankSchedules& schedules, std::size_t count) {
  SCOPED_TRACE(std::string(name) + " K=" + std::to_string(schedules.size()) + " count=" + std::to_string(count));
  const auto c = contributions(static_cast<int>(schedules.size()));
  std::uint64_t total = 0;
  for (std::uint64_t x : c) total += x;
  std::vector<RankRun> runs(schedules.size());
  for (std::size_t r = 0; r < schedules.size(); ++r) runs[r].buffer.assign(count, c[r]);
  ASSERT_TRUE(interpret(schedules, 4, runs)) << "deadlock";
  for (std::size_t r = 0; r < schedules.size(); ++r) {
    for (std::size_t i = 0; i < count; ++i) ASSERT_EQ(runs[r].buffer[i], total) << "rank " << r << " element " << i;
  }
}

TEST(Schedules, EveryAlgorithmComputesTheSum) {
  for (int k = 1; k <= 13; ++k) {
    for (std::size_t count : {std::size_t{1}, std::size_t{5}, std::size_t{37}, std::size_t{64}}) {
      expectAllReduce("ring", ringSchedules(k, count, 4), count);
      expectAllReduce("recursive_doubling", recursiveDoublingSchedules(k, count, 4), count);
      expectAllReduce("rabenseifner", rabenseifnerSchedules(k, count, 4), count);
      expectAllReduce("binomial", binomialSchedules(k, count, 4), count);
      for (int perHost : {1, 2, 3, 4}) {
        expectAllReduce("hierarchical", hierarchicalSchedules(k, perHost, count, 4), count);
      }
    }
  }
}

TEST(Schedules, MessageCountsMatchTheClosedForms) {
  // Rabenseifner on 8 ranks: 2 lg 8 = 6 exchanges per rank; recursive doubling on 6 ranks: rank 0 sits out
  // (fold-in send, hand-back receive), rank 1 does fold-in + 2 exchanges + hand-back.
  EXPECT_EQ(rabenseifnerSchedules(8, 64, 4)[3].steps.size(), 6u);
  EXPECT_EQ(recursiveDoublingSchedules(6, 64, 4)[0].steps.size(), 2u);
  EXPECT_EQ(recursiveDoublingSchedules(6, 64, 4)[1].steps.size(), 4u);
  // Binomial on 5 ranks: rank 0 receives from 1, 2, 4 and then sends to 4, 2, 1.
  EXPECT_EQ(binomialSchedules(5, 64, 4)[0].steps.size(), 6u);
}

}  // namespace
}  // namespace ccb::sim
