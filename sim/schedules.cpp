// Schedules for replay. Each function builds every rank's step list; the comments say which MPICH routine
// the pattern follows, because replaying the same message pattern is the point.
#include "sim/schedules.h"

#include "algo/ring_schedule.h"
#include "core/error.h"
#include "sim/mpich_selection.h"

namespace ccb::sim {
namespace {

Step sendStep(int peer, ByteRange range) {
  Step step;
  step.sendPeer = peer;
  step.sendRange = range;
  return step;
}

Step recvStep(int peer, ByteRange range, bool reduce) {
  Step step;
  step.recvPeer = peer;
  step.recvRange = range;
  step.reduceOnRecv = reduce;
  return step;
}

Step exchangeStep(int peer, ByteRange send, ByteRange recv, bool reduce) {
  Step step;
  step.sendPeer = peer;
  step.sendRange = send;
  step.recvPeer = peer;
  step.recvRange = recv;
  step.reduceOnRecv = reduce;
  return step;
}

// MPICH's handling of K = pof2 + r ranks (r > 0): among the first 2r ranks, each even rank hands its whole
// buffer to the odd rank above it and sits out; the pof2 remaining ranks take new ranks 0..pof2-1 (odd rank
// 2i+1 -> i, rank j >= 2r -> j - r) and run the power-of-two algorithm; at the end each odd rank returns the
// result to the even rank below it.
struct Fold {
  int pof2 = 1;
  int extra = 0;    // r
  int newRank = 0;  // -1 when the rank sits out

  Fold(int rank, int ranks) : pof2(floorPow2(ranks)), extra(ranks - pof2) {
    if (rank < 2 * extra) {
      newRank = rank % 2 == 0 ? -1 : rank / 2;
    } else {
      newRank = rank - extra;
    }
  }
  int oldRank(int nr) const { return nr < extra ? 2 * nr + 1 : nr + extra; }
};

void foldIn(Schedule& s, int rank, const Fold& fold, ByteRange all) {
  if (rank >= 2 * fold.extra) return;
  s.steps.push_back(rank % 2 == 0 ? sendStep(rank + 1, all) : recvStep(rank - 1, all, true));
}

void handBack(Schedule& s, int rank, const Fold& fold, ByteRange all) {
  if (rank >= 2 * fold.extra) return;
  s.steps.push_back(rank % 2 == 0 ? recvStep(rank + 1, all, false) : sendStep(rank - 1, all));
}

// Bytes of blocks [first, last) when `count` elements are split into `parts` blocks.
ByteRange blockRange(std::size_t count, int parts, int first, int last, std::size_t elementBytes) {
  if (first >= last) return ByteRange{0, 0};
  const ElementRange a = partition(count, parts, first);
  const ElementRange b = partition(count, parts, last - 1);
  return ByteRange{a.first * elementBytes, (b.first + b.count - a.first) * elementBytes};
}

void checkArgs(int ranks, std::size_t elementBytes) {
  CCB_CHECK_LE(1, ranks);
  CCB_CHECK_LT(std::size_t{0}, elementBytes);
}

// Maps a schedule of a sub-group (ranks numbered 0..n-1 within it) onto global ranks.
void appendMapped(Schedule& out, const Schedule& sub, const std::vector<int>& globalOf) {
  for (Step step : sub.steps) {
    if (step.sendPeer != Step::kNoPeer) step.sendPeer = globalOf[step.sendPeer];
    if (step.recvPeer != Step::kNoPeer) step.recvPeer = globalOf[step.recvPeer];
    out.steps.push_back(step);
  }
}

// Binomial broadcast from sub-group rank 0 (MPIR_Bcast_intra_binomial): a rank receives from the rank that
// differs in its lowest set bit, then sends to rank + mask for each smaller mask, largest subtree first.
Schedule binomialBroadcast(int rank, int ranks, ByteRange all) {
  Schedule s;
  int mask = 1;
  while (mask < ranks) {
    if ((rank & mask) != 0) {
      s.steps.push_back(recvStep(rank - mask, all, false));
      break;
    }
    mask <<= 1;
  }
  for (mask >>= 1; mask > 0; mask >>= 1) {
    if (rank + mask < ranks) s.steps.push_back(sendStep(rank + mask, all));
  }
  return s;
}

}  // namespace

AllRankSchedules ringSchedules(int ranks, std::size_t count, std::size_t elementBytes) {
  checkArgs(ranks, elementBytes);
  AllRankSchedules all;
  all.reserve(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) all.push_back(ringAllReduceSchedule(r, ranks, count, elementBytes));
  return all;
}

AllRankSchedules recursiveDoublingSchedules(int ranks, std::size_t count, std::size_t elementBytes) {
  checkArgs(ranks, elementBytes);
  const ByteRange all{0, count * elementBytes};
  AllRankSchedules out(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    Schedule& s = out[static_cast<std::size_t>(r)];
    const Fold fold(r, ranks);
    foldIn(s, r, fold, all);
    if (fold.newRank >= 0) {
      // Exchange the whole (partially reduced) buffer with the partner across each bit, lowest first.
      for (int mask = 1; mask < fold.pof2; mask <<= 1) {
        s.steps.push_back(exchangeStep(fold.oldRank(fold.newRank ^ mask), all, all, true));
      }
    }
    handBack(s, r, fold, all);
  }
  return out;
}

AllRankSchedules rabenseifnerSchedules(int ranks, std::size_t count, std::size_t elementBytes) {
  checkArgs(ranks, elementBytes);
  const ByteRange all{0, count * elementBytes};
  AllRankSchedules out(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    Schedule& s = out[static_cast<std::size_t>(r)];
    const Fold fold(r, ranks);
    foldIn(s, r, fold, all);
    if (fold.newRank >= 0) {
      const int p = fold.pof2;
      // Reduce-scatter by recursive halving (partner distance 1, 2, 4, ...): the window of blocks this rank
      // is responsible for halves each step; it keeps the lower half when it is the lower partner and sends
      // the other half away. The window history is kept for the all-gather, which retraces it backwards.
      std::vector<std::pair<int, int>> windows{{0, p}};
      for (int mask = 1; mask < p; mask <<= 1) {
        const auto [lo, hi] = windows.back();
        const int mid = lo + (hi - lo) / 2;
        const int partner = fold.newRank ^ mask;
        const bool lower = fold.newRank < partner;
        const ByteRange keep = lower ? blockRange(count, p, lo, mid, elementBytes)
                                     : blockRange(count, p, mid, hi, elementBytes);
        const ByteRange give = lower ? blockRange(count, p, mid, hi, elementBytes)
                                     : blockRange(count, p, lo, mid, elementBytes);
        s.steps.push_back(exchangeStep(fold.oldRank(partner), give, keep, true));
        windows.push_back(lower ? std::pair{lo, mid} : std::pair{mid, hi});
      }
      // All-gather by recursive doubling (distance p/2, ..., 1): send the window owned, receive the
      // partner's, which together form the window of the step before.
      for (int mask = p >> 1, level = static_cast<int>(windows.size()) - 1; mask > 0; mask >>= 1, --level) {
        const auto [lo, hi] = windows[static_cast<std::size_t>(level)];
        const auto [plo, phi] = windows[static_cast<std::size_t>(level - 1)];
        const ByteRange mine = blockRange(count, p, lo, hi, elementBytes);
        const ByteRange theirs = lo == plo ? blockRange(count, p, hi, phi, elementBytes)
                                           : blockRange(count, p, plo, lo, elementBytes);
        s.steps.push_back(exchangeStep(fold.oldRank(fold.newRank ^ mask), mine, theirs, false));
      }
    }
    handBack(s, r, fold, all);
  }
  return out;
}

AllRankSchedules binomialSchedules(int ranks, std::size_t count, std::size_t elementBytes) {
  checkArgs(ranks, elementBytes);
  const ByteRange all{0, count * elementBytes};
  AllRankSchedules out(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    Schedule& s = out[static_cast<std::size_t>(r)];
    // Binomial reduce to rank 0 (MPIR_Reduce_intra_binomial, commutative op): receive and fold in the
    // subtree at rank | mask for each clear low bit, then pass the partial result to rank & ~mask.
    for (int mask = 1; mask < ranks; mask <<= 1) {
      if ((r & mask) == 0) {
        if ((r | mask) < ranks) s.steps.push_back(recvStep(r | mask, all, true));
      } else {
        s.steps.push_back(sendStep(r & ~mask, all));
        break;
      }
    }
    const Schedule bcast = binomialBroadcast(r, ranks, all);
    s.steps.insert(s.steps.end(), bcast.steps.begin(), bcast.steps.end());
  }
  return out;
}

AllRankSchedules hierarchicalSchedules(int ranks, int ranksPerHost, std::size_t count, std::size_t elementBytes) {
  checkArgs(ranks, elementBytes);
  CCB_CHECK_LE(1, ranksPerHost);
  const int hosts = (ranks + ranksPerHost - 1) / ranksPerHost;
  const ByteRange all{0, count * elementBytes};
  std::vector<int> leaders;
  for (int h = 0; h < hosts; ++h) leaders.push_back(h * ranksPerHost);
  AllRankSchedules out(static_cast<std::size_t>(ranks));
  for (int r = 0; r < ranks; ++r) {
    const int host = r / ranksPerHost;
    const int local = r % ranksPerHost;
    const int localRanks = std::min(ranksPerHost, ranks - host * ranksPerHost);
    std::vector<int> members;
    for (int i = 0; i < localRanks; ++i) members.push_back(host * ranksPerHost + i);
    Schedule& s = out[static_cast<std::size_t>(r)];
    // 1. Every rank of the host ends up with the host's sum (ring among the host's ranks).
    appendMapped(s, ringAllReduceSchedule(local, localRanks, count, elementBytes), members);
    // 2. The host leaders combine the host sums (ring among leaders, one per host).
    if (local == 0) appendMapped(s, ringAllReduceSchedule(host, hosts, count, elementBytes), leaders);
    // 3. Each leader hands the global sum to its host's ranks.
    appendMapped(s, binomialBroadcast(local, localRanks, all), members);
  }
  return out;
}

AllRankSchedules schedulesFor(AllReduceAlgo algo, const ClusterDescription& cluster, std::size_t count,
                              std::size_t elementBytes) {
  const int k = cluster.ranks;
  switch (algo) {
    case AllReduceAlgo::kRing:
      return ringSchedules(k, count, elementBytes);
    case AllReduceAlgo::kRecursiveDoubling:
      return recursiveDoublingSchedules(k, count, elementBytes);
    case AllReduceAlgo::kRabenseifner:
      return rabenseifnerSchedules(k, count, elementBytes);
    case AllReduceAlgo::kBinomial:
      return binomialSchedules(k, count, elementBytes);
    case AllReduceAlgo::kHierarchical:
      return hierarchicalSchedules(k, cluster.ranksPerHost, count, elementBytes);
    case AllReduceAlgo::kMpi:
      if (mpichPath(hostCount(cluster), cluster.ranksPerHost) == MpichAllReducePath::kFlat || k == 1) {
        return mpirPicksRecursiveDoubling(k, count * elementBytes, count)
                   ? recursiveDoublingSchedules(k, count, elementBytes)
                   : rabenseifnerSchedules(k, count, elementBytes);
      }
      throw UsageError(
          "replay: MPICH's all-reduce with several ranks per host runs shared-memory trees that have no "
          "point-to-point schedule; use --model closed_form for algo mpi");
    case AllReduceAlgo::kNaiveRing:
      throw UsageError("replay: naive_ring is a formula, not a schedule; use --model closed_form for it");
  }
  CCB_CHECK(false);
}

}  // namespace ccb::sim
