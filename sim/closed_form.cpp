// Closed-form all-reduce models; formulas are stated in closed_form.h.
#include "sim/closed_form.h"

#include <algorithm>
#include <array>
#include <bit>

#include "core/error.h"
#include "sim/mpich_selection.h"

namespace ccb::sim {

int floorPow2(int k) {
  CCB_CHECK_LE(1, k);
  return static_cast<int>(std::bit_floor(static_cast<unsigned>(k)));
}

int ceilLog2(int k) {
  CCB_CHECK_LE(1, k);
  return static_cast<int>(std::bit_width(static_cast<unsigned>(k) - 1));
}

int exactLog2(int powerOfTwo) {
  CCB_CHECK(std::has_single_bit(static_cast<unsigned>(powerOfTwo)));
  return std::countr_zero(static_cast<unsigned>(powerOfTwo));
}

// ---- flat terms ----

CostTerms ringTerms(int ranks, double bytes) {
  const double k = ranks;
  return CostTerms{2 * (k - 1), 2 * (k - 1) / k * bytes, (k - 1) / k * bytes};
}

namespace {

// The fold-in and hand-back steps of MPICH's non-power-of-two handling: zero when K is a power of two.
CostTerms foldTerms(int ranks, double bytes) {
  if (floorPow2(ranks) == ranks) return {};
  // In: alpha + S beta + S gamma; out: alpha + S beta.
  return CostTerms{2, 2 * bytes, bytes};
}

}  // namespace

CostTerms recursiveDoublingTerms(int ranks, double bytes) {
  const double steps = exactLog2(floorPow2(ranks));
  return CostTerms{steps, steps * bytes, steps * bytes} + foldTerms(ranks, bytes);
}

CostTerms rabenseifnerTerms(int ranks, double bytes) {
  const int p = floorPow2(ranks);
  const double lgp = exactLog2(p);
  const double share = (p - 1.0) / p;
  return CostTerms{2 * lgp, 2 * share * bytes, share * bytes} + foldTerms(ranks, bytes);
}

CostTerms binomialReduceTerms(int ranks, double bytes) {
  const double levels = ceilLog2(ranks);
  return CostTerms{levels, levels * bytes, levels * bytes};
}

CostTerms binomialBroadcastTerms(int ranks, double bytes) {
  const double levels = ceilLog2(ranks);
  return CostTerms{levels, levels * bytes, 0};
}

CostTerms binomialTerms(int ranks, double bytes) {
  return binomialReduceTerms(ranks, bytes) + binomialBroadcastTerms(ranks, bytes);
}

namespace {

// Walks the levels of MPICH's k-ary tree (node i has children k*i+1 .. k*i+k) and calls
// onLevel(largestFanIn) once per parent level, top down. Nodes of one depth form a contiguous range, and
// the first node of a range has the most children, so the largest fan-in is min(k, size of next level).
template <typename OnLevel>
void forEachKaryLevel(int ranks, int radix, OnLevel onLevel) {
  CCB_CHECK_LE(2, radix);
  long long first = 0;
  long long last = 0;
  while (last + 1 < ranks) {
    const long long nextFirst = radix * first + 1;
    const long long nextLast = std::min<long long>(radix * last + radix, ranks - 1);
    onLevel(static_cast<double>(std::min<long long>(radix, nextLast - nextFirst + 1)));
    first = nextFirst;
    last = nextLast;
  }
}

}  // namespace

CostTerms karyReduceTerms(int ranks, int radix, double bytes) {
  CostTerms terms;
  forEachKaryLevel(ranks, radix, [&](double fanIn) { terms += CostTerms{1, bytes, fanIn * bytes}; });
  return terms;
}

CostTerms karyBroadcastTerms(int ranks, int radix, double bytes) {
  CostTerms terms;
  forEachKaryLevel(ranks, radix, [&](double) { terms += CostTerms{1, bytes, 0}; });
  return terms;
}

double naiveRingUs(int ranks, double bytes, double bandwidthGBps) {
  const double k = ranks;
  return 2 * (k - 1) * bytes / (k * bandwidthGBps * 1e3);
}

// ---- algorithm names ----

namespace {

struct AlgoName {
  AllReduceAlgo algo;
  std::string_view name;
};
constexpr std::array<AlgoName, 7> kAlgoNames = {{{AllReduceAlgo::kRing, "ring"},
                                                 {AllReduceAlgo::kMpi, "mpi"},
                                                 {AllReduceAlgo::kRecursiveDoubling, "recursive_doubling"},
                                                 {AllReduceAlgo::kRabenseifner, "rabenseifner"},
                                                 {AllReduceAlgo::kBinomial, "binomial"},
                                                 {AllReduceAlgo::kHierarchical, "hierarchical"},
                                                 {AllReduceAlgo::kNaiveRing, "naive_ring"}}};

}  // namespace

std::string_view algoName(AllReduceAlgo algo) {
  for (const AlgoName& entry : kAlgoNames) {
    if (entry.algo == algo) return entry.name;
  }
  CCB_CHECK(false);
}

std::optional<AllReduceAlgo> findAlgo(std::string_view name) {
  for (const AlgoName& entry : kAlgoNames) {
    if (entry.name == name) return entry.algo;
  }
  return std::nullopt;
}

std::string algoNameList() {
  std::string list;
  for (const AlgoName& entry : kAlgoNames) {
    if (!list.empty()) list += ", ";
    list += entry.name;
  }
  return list;
}

AllReduceAlgo parseAlgo(std::string_view name) {
  if (auto algo = findAlgo(name)) return *algo;
  throw UsageError("unknown all-reduce model '" + std::string(name) + "' (accepted: " + algoNameList() + ")");
}

const std::vector<AllReduceAlgo>& allAlgos() {
  static const std::vector<AllReduceAlgo> algos = [] {
    std::vector<AllReduceAlgo> v;
    for (const AlgoName& entry : kAlgoNames) v.push_back(entry.algo);
    return v;
  }();
  return algos;
}

// ---- cluster view ----

ClosedFormCluster closedFormView(const ClusterDescription& cluster) {
  ClosedFormCluster view;
  view.ranks = cluster.ranks;
  view.ranksPerHost = std::min(cluster.ranksPerHost, cluster.ranks);
  view.hosts = hostCount(cluster);
  // The slowest rank reduces last, so its gamma is the one on the critical path.
  double slowest = 1;
  for (int r = 0; r < cluster.ranks && !cluster.rankComputeFactors.empty(); ++r) {
    slowest = std::max(slowest, computeFactor(cluster, r));
  }
  const double gamma = usPerByte(cluster.reduceGBps) * slowest;
  LinkParams worst = hostLink(cluster, 0);
  for (int h = 1; h < view.hosts && !cluster.hostOverrides.empty(); ++h) {
    const LinkParams link = hostLink(cluster, h);
    worst.latencyUs = std::max(worst.latencyUs, link.latencyUs);
    worst.bandwidthGBps = std::min(worst.bandwidthGBps, link.bandwidthGBps);
  }
  view.intra = AlphaBetaGamma{cluster.intraHost.latencyUs, usPerByte(cluster.intraHost.bandwidthGBps), gamma};
  view.inter = AlphaBetaGamma{worst.latencyUs, usPerByte(worst.bandwidthGBps), gamma};
  view.intraGBps = cluster.intraHost.bandwidthGBps;
  view.interGBps = worst.bandwidthGBps;
  return view;
}

// ---- single-class predictions ----

namespace {

CostTerms mpichFlatTerms(int ranks, bool singleHost, double bytes, std::uint64_t count) {
  if (singleHost) {
    return karyReduceTerms(ranks, kMpichShmReduceRadix, bytes) +
           karyBroadcastTerms(ranks, kMpichShmBcastRadix, bytes);
  }
  return mpirPicksRecursiveDoubling(ranks, static_cast<std::uint64_t>(bytes), count)
             ? recursiveDoublingTerms(ranks, bytes)
             : rabenseifnerTerms(ranks, bytes);
}

std::string_view mpichFlatName(int ranks, bool singleHost, std::uint64_t bytes, std::uint64_t count) {
  if (singleHost) return "shm_release_gather";
  return mpirPicksRecursiveDoubling(ranks, bytes, count) ? "recursive_doubling" : "rabenseifner";
}

}  // namespace

std::optional<CostTerms> singleClassTerms(AllReduceAlgo algo, int ranks, bool singleHost, std::uint64_t bytes,
                                          std::size_t elementBytes) {
  const double s = static_cast<double>(bytes);
  if (ranks <= 1) return CostTerms{};
  switch (algo) {
    case AllReduceAlgo::kRing:
      return ringTerms(ranks, s);
    case AllReduceAlgo::kRecursiveDoubling:
      return recursiveDoublingTerms(ranks, s);
    case AllReduceAlgo::kRabenseifner:
      return rabenseifnerTerms(ranks, s);
    case AllReduceAlgo::kBinomial:
      return binomialTerms(ranks, s);
    case AllReduceAlgo::kHierarchical:
      // One host: the host ring is everything, then the leader's broadcast; one rank per host: only the
      // leaders' ring is left.
      return singleHost ? ringTerms(ranks, s) + binomialBroadcastTerms(ranks, s) : ringTerms(ranks, s);
    case AllReduceAlgo::kMpi:
      return mpichFlatTerms(ranks, singleHost, s, bytes / elementBytes);
    case AllReduceAlgo::kNaiveRing:
      return std::nullopt;
  }
  CCB_CHECK(false);
}

// ---- several hosts with several ranks each ----

namespace {

// One step of a pairwise-exchange algorithm between ranks `distance` apart, moving `wire` bytes and
// reducing `reduced` bytes. With a power-of-two ranks_per_host, a distance below it stays on the host;
// otherwise every rank of the host crosses the host link at once and they share it.
TimeSplit pairStep(const ClosedFormCluster& c, int distance, double wire, double reduced, int crossingPerHost) {
  const bool pow2Hosts = std::has_single_bit(static_cast<unsigned>(c.ranksPerHost));
  if (pow2Hosts && distance < c.ranksPerHost) return CostTerms{1, wire, reduced}.split(c.intra);
  return CostTerms{1, wire * crossingPerHost, reduced}.split(c.inter);
}

// The fold-in / hand-back steps pair ranks 2i and 2i+1 (distance 1).
TimeSplit foldSplit(const ClosedFormCluster& c, double s) {
  if (floorPow2(c.ranks) == c.ranks) return {};
  const int crossing = c.ranksPerHost == 1 ? 1 : c.ranksPerHost / 2;
  TimeSplit t = pairStep(c, 1, s, s, crossing);
  t += pairStep(c, 1, s, 0, crossing);
  return t;
}

TimeSplit mixedRecursiveDoubling(const ClosedFormCluster& c, double s) {
  TimeSplit t = foldSplit(c, s);
  for (int d = 1; d < floorPow2(c.ranks); d *= 2) t += pairStep(c, d, s, s, c.ranksPerHost);
  return t;
}

TimeSplit mixedRabenseifner(const ClosedFormCluster& c, double s) {
  TimeSplit t = foldSplit(c, s);
  const int p = floorPow2(c.ranks);
  // Recursive halving at distances 1, 2, 4, ... moves S/2, S/4, ...; the all-gather retraces the same
  // distances and sizes in reverse.
  double piece = s / 2;
  for (int d = 1; d < p; d *= 2, piece /= 2) {
    t += pairStep(c, d, piece, piece, c.ranksPerHost);
    t += pairStep(c, d, piece, 0, c.ranksPerHost);
  }
  return t;
}

TimeSplit mixedBinomial(const ClosedFormCluster& c, double s) {
  // At distance d >= ranks_per_host at most one rank per host is active in a binomial tree step.
  TimeSplit t;
  for (int d = 1; d < c.ranks; d *= 2) {
    t += pairStep(c, d, s, s, 1);
    t += pairStep(c, d, s, 0, 1);
  }
  return t;
}

// Ring across hosts: each step every rank sends S/K to its right neighbour; most hops stay on a host, one per
// host crosses to the next. The slower hop class paces the step (rendezvous couples neighbours).
TimeSplit mixedRing(const ClosedFormCluster& c, double s) {
  const double piece = s / c.ranks;
  const double steps = c.ranks - 1;
  const double intraHop = c.intra.alphaUs + piece * c.intra.betaUsPerByte;
  const double interHop = c.inter.alphaUs + piece * c.inter.betaUsPerByte;
  const AlphaBetaGamma& slow = interHop >= intraHop ? c.inter : c.intra;
  return CostTerms{2 * steps, 2 * steps * piece, steps * piece}.split(slow);
}

TimeSplit mixedHierarchical(const ClosedFormCluster& c, double s) {
  TimeSplit t = ringTerms(c.ranksPerHost, s).split(c.intra);
  t += ringTerms(c.hosts, s).split(c.inter);
  t += binomialBroadcastTerms(c.ranksPerHost, s).split(c.intra);
  return t;
}

TimeSplit mixedMpich(const ClosedFormCluster& c, double s, std::uint64_t count) {
  TimeSplit t = karyReduceTerms(c.ranksPerHost, kMpichShmReduceRadix, s).split(c.intra);
  t += mpichFlatTerms(c.hosts, false, s, count).split(c.inter);
  t += karyBroadcastTerms(c.ranksPerHost, kMpichShmBcastRadix, s).split(c.intra);
  return t;
}

}  // namespace

AllReducePrediction predictAllReduce(const ClosedFormCluster& c, AllReduceAlgo algo, std::uint64_t bytes,
                                     std::size_t elementBytes) {
  const double s = static_cast<double>(bytes);
  const std::uint64_t count = bytes / elementBytes;
  const bool singleHost = c.hosts == 1;
  AllReducePrediction prediction;
  prediction.runs = algoName(algo);
  if (algo == AllReduceAlgo::kNaiveRing) {
    prediction.split.bandwidthUs = c.ranks > 1 ? naiveRingUs(c.ranks, s, singleHost ? c.intraGBps : c.interGBps) : 0;
    return prediction;
  }
  if (algo == AllReduceAlgo::kMpi && c.ranks > 1) {
    const MpichAllReducePath path = mpichPath(c.hosts, c.ranksPerHost);
    if (path == MpichAllReducePath::kSmpComposition) {
      prediction.runs = mpirPicksRecursiveDoubling(c.hosts, bytes, count)
                            ? "smp:shm_reduce+recursive_doubling+shm_bcast"
                            : "smp:shm_reduce+rabenseifner+shm_bcast";
    } else {
      prediction.runs = mpichFlatName(c.ranks, singleHost, bytes, count);
    }
  }
  if (singleHost || c.ranksPerHost == 1) {
    const AlphaBetaGamma& link = singleHost ? c.intra : c.inter;
    prediction.split = singleClassTerms(algo, c.ranks, singleHost, bytes, elementBytes)->split(link);
    return prediction;
  }
  switch (algo) {
    case AllReduceAlgo::kRing:
      prediction.split = mixedRing(c, s);
      break;
    case AllReduceAlgo::kRecursiveDoubling:
      prediction.split = mixedRecursiveDoubling(c, s);
      break;
    case AllReduceAlgo::kRabenseifner:
      prediction.split = mixedRabenseifner(c, s);
      break;
    case AllReduceAlgo::kBinomial:
      prediction.split = mixedBinomial(c, s);
      break;
    case AllReduceAlgo::kHierarchical:
      prediction.split = mixedHierarchical(c, s);
      break;
    case AllReduceAlgo::kMpi:
      prediction.split = mixedMpich(c, s, count);
      break;
    case AllReduceAlgo::kNaiveRing:
      break;
  }
  return prediction;
}

}  // namespace ccb::sim
