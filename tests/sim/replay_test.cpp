// Replay against the closed forms (homogeneous clusters: equal to 1e-9) and against hand-computed
// contention, topology and heterogeneity cases.
#include <gtest/gtest.h>

#include <cmath>
#include <tuple>

#include "core/error.h"
#include "sim/closed_form.h"
#include "sim/replay.h"

namespace ccb::sim {
namespace {

ClusterDescription cluster(int ranks, int ranksPerHost) {
  ClusterDescription c;
  c.ranks = ranks;
  c.ranksPerHost = ranksPerHost;
  c.intraHost = {2.0, 8.0};
  c.interHost = {30.0, 1.25};
  c.reduceGBps = 5.0;
  return c;
}

double closedForm(const ClusterDescription& c, AllReduceAlgo algo, std::uint64_t bytes) {
  return predictAllReduce(closedFormView(c), algo, bytes, 4).timeUs();
}

void expectAgree(const ClusterDescription& c, AllReduceAlgo algo, std::uint64_t bytes) {
  const double replayed = replayAllReduce(c, algo, bytes, 4).timeUs;
  const double formula = closedForm(c, algo, bytes);
  EXPECT_NEAR(replayed / formula, 1.0, 1e-9)
      << algoName(algo) << " K=" << c.ranks << " ranks/host=" << c.ranksPerHost << " bytes=" << bytes
      << " replay=" << replayed << " closed form=" << formula;
}

// Sizes whose chunks divide evenly for every K below (multiples of 4 bytes * 16 * 3 * 5 * 7).
constexpr std::uint64_t kSizes[] = {4 * 1680, 4 * 1680 * 64, 4 * 1680 * 1024};

TEST(Replay, RingMatchesClosedFormOnHomogeneousClusters) {
  for (int k : {2, 3, 4, 5, 7, 8, 16}) {
    for (std::uint64_t bytes : kSizes) {
      expectAgree(cluster(k, k), AllReduceAlgo::kRing, bytes);  // one host
      expectAgree(cluster(k, 1), AllReduceAlgo::kRing, bytes);  // one rank per host
    }
  }
  // Several hosts of several ranks: the slower hop class paces each step.
  for (std::uint64_t bytes : kSizes) {
    expectAgree(cluster(8, 2), AllReduceAlgo::kRing, bytes);
    expectAgree(cluster(12, 4), AllReduceAlgo::kRing, bytes);
  }
}

TEST(Replay, OtherSchedulesMatchTheirClosedForms) {
  const AllReduceAlgo algos[] = {AllReduceAlgo::kRecursiveDoubling, AllReduceAlgo::kRabenseifner,
                                 AllReduceAlgo::kBinomial, AllReduceAlgo::kHierarchical, AllReduceAlgo::kMpi};
  for (AllReduceAlgo algo : algos) {
    for (int k : {2, 3, 4, 5, 6, 7, 8, 12, 16}) {
      for (std::uint64_t bytes : kSizes) {
        expectAgree(cluster(k, 1), algo, bytes);
        if (algo != AllReduceAlgo::kMpi) expectAgree(cluster(k, k), algo, bytes);
      }
    }
  }
}

TEST(Replay, TwoLevelClustersWithPowerOfTwoHosts) {
  const AllReduceAlgo algos[] = {AllReduceAlgo::kRecursiveDoubling, AllReduceAlgo::kRabenseifner,
                                 AllReduceAlgo::kBinomial, AllReduceAlgo::kHierarchical};
  for (AllReduceAlgo algo : algos) {
    for (auto [k, perHost] : {std::pair{8, 2}, std::pair{16, 4}, std::pair{8, 4}}) {
      for (std::uint64_t bytes : kSizes) expectAgree(cluster(k, perHost), algo, bytes);
    }
  }
}

TEST(Replay, SlowLinkAndSlowRankPaceTheRing) {
  // One slow host link: the ring runs at its pace, which is what the closed form charges.
  ClusterDescription slowLink = cluster(6, 1);
  slowLink.hostOverrides.push_back(HostOverride{3, 45.0, 0.3});
  expectAgree(slowLink, AllReduceAlgo::kRing, kSizes[2]);
  // One slow rank (reductions 3x slower): every reduce-scatter step waits for it.
  ClusterDescription slowRank = cluster(6, 1);
  slowRank.rankComputeFactors.push_back(RankComputeFactor{4, 3.0});
  expectAgree(slowRank, AllReduceAlgo::kRing, kSizes[2]);
  EXPECT_GT(replayAllReduce(slowRank, AllReduceAlgo::kRing, kSizes[2], 4).timeUs,
            replayAllReduce(cluster(6, 1), AllReduceAlgo::kRing, kSizes[2], 4).timeUs);
}

TEST(Replay, UnevenChunksStayWithinOneElementPerStep) {
  // 1001 elements over 4 ranks: chunks of 251/250 elements. Replay moves the real bytes; the closed form
  // the average S/K. They differ by at most one element per step.
  const ClusterDescription c = cluster(4, 1);
  const double replayed = replayAllReduce(c, AllReduceAlgo::kRing, 4004, 4).timeUs;
  const double formula = closedForm(c, AllReduceAlgo::kRing, 4004);
  const double perElementStepUs = 4 / (1.25e3) + 4 / 5e3;
  EXPECT_LE(std::abs(replayed - formula), 6 * perElementStepUs + 1e-9);
}

// Hand-made schedules: rank 0 and rank 1 (host 0) each send `bytes` to ranks 2 and 3 (host 1).
AllRankSchedules twoFlowsAcrossHosts(std::size_t bytes) {
  AllRankSchedules s(4);
  for (int r : {0, 1}) {
    Step send;
    send.sendPeer = r + 2;
    send.sendRange = {0, bytes};
    s[static_cast<std::size_t>(r)].steps.push_back(send);
    Step recv;
    recv.recvPeer = r;
    recv.recvRange = {0, bytes};
    s[static_cast<std::size_t>(r + 2)].steps.push_back(recv);
  }
  return s;
}

TEST(Replay, ConcurrentMessagesShareALinkFairly) {
  // Both messages cross host 0's up-link (1.25 GB/s = 1250 bytes/us) at once: each gets half.
  // Time = 30 us + 2 * 125000 bytes / 1250 bytes/us = 30 + 200 = 230 us.
  const ReplayResult r = replaySchedules(cluster(4, 2), twoFlowsAcrossHosts(125000));
  EXPECT_NEAR(r.timeUs, 230.0, 1e-9);
  EXPECT_EQ(r.messages, 2u);
}

TEST(Replay, LateStarterGetsTheRestOfTheLink) {
  // Rank 1's message starts 100 us later (an empty first step would not delay it, so give rank 1 an
  // intra-host message first: 2 us + 200000 B / 8000 B/us = 27 us). Rank 0's message streams alone for
  // 27 - 0 = 27 us... both have 30 us latency: rank 0 streams from 30 us, rank 1 from 57 us.
  AllRankSchedules s = twoFlowsAcrossHosts(125000);
  Step warm;
  warm.sendPeer = 0;
  warm.sendRange = {0, 200000};
  s[1].steps.insert(s[1].steps.begin(), warm);
  Step warmRecv;
  warmRecv.recvPeer = 1;
  warmRecv.recvRange = {0, 200000};
  s[0].steps.insert(s[0].steps.begin(), warmRecv);
  // Rank 0 now also waits 27 us for its receive, so both cross-host messages are posted at 27 us, stream
  // together from 57 us and finish at 57 + 200 = 257 us.
  EXPECT_NEAR(replaySchedules(cluster(4, 2), s).timeUs, 257.0, 1e-9);
}

TEST(Replay, RingTopologyRoutesOverTheShorterWay) {
  // 4 hosts in a ring, one rank each: rank 0 -> rank 2 is two hops (2 * 30 us latency), 100000 bytes at
  // 1250 bytes/us = 80 us: 140 us in all.
  ClusterDescription c = cluster(4, 1);
  c.topology = Topology::kRing;
  AllRankSchedules s(4);
  Step send;
  send.sendPeer = 2;
  send.sendRange = {0, 100000};
  s[0].steps.push_back(send);
  Step recv;
  recv.recvPeer = 0;
  recv.recvRange = {0, 100000};
  s[2].steps.push_back(recv);
  EXPECT_NEAR(replaySchedules(c, s).timeUs, 140.0, 1e-9);
  // The ring algorithm only talks to neighbours: one hop, same as a switch.
  expectAgree(c, AllReduceAlgo::kRing, kSizes[1]);
}

TEST(Replay, MismatchedSchedulesAreReported) {
  AllRankSchedules deadlock(2);
  Step recvFrom1;
  recvFrom1.recvPeer = 1;
  recvFrom1.recvRange = {0, 8};
  deadlock[0].steps.push_back(recvFrom1);
  Step recvFrom0 = recvFrom1;
  recvFrom0.recvPeer = 0;
  deadlock[1].steps.push_back(recvFrom0);
  EXPECT_THROW(replaySchedules(cluster(2, 1), deadlock), InvariantError);

  AllRankSchedules sizes(2);
  Step send;
  send.sendPeer = 1;
  send.sendRange = {0, 8};
  sizes[0].steps.push_back(send);
  Step recv;
  recv.recvPeer = 0;
  recv.recvRange = {0, 16};
  sizes[1].steps.push_back(recv);
  EXPECT_THROW(replaySchedules(cluster(2, 1), sizes), InvariantError);
  EXPECT_THROW(replaySchedules(cluster(3, 1), sizes), UsageError);
}

TEST(Replay, ModelsWithoutScheduleSaySo) {
  EXPECT_THROW(replayAllReduce(cluster(4, 2), AllReduceAlgo::kMpi, 1024, 4), UsageError);
  EXPECT_THROW(replayAllReduce(cluster(4, 1), AllReduceAlgo::kNaiveRing, 1024, 4), UsageError);
  // A single rank: nothing to do.
  EXPECT_EQ(replayAllReduce(cluster(1, 1), AllReduceAlgo::kRing, 1024, 4).timeUs, 0.0);
}

TEST(Replay, LargeRingRunsQuickly) {
  const ReplayResult r = replayAllReduce(cluster(256, 1), AllReduceAlgo::kRing, 256u * 4096, 4);
  EXPECT_EQ(r.messages, 2u * 255 * 256);
  EXPECT_NEAR(r.timeUs / closedForm(cluster(256, 1), AllReduceAlgo::kRing, 256u * 4096), 1.0, 1e-9);
}

}  // namespace
}  // namespace ccb::sim
