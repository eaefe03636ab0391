// Closed-form all-reduce models in the alpha-beta-gamma vocabulary (DESIGN.md, "Models").
//
// Two levels:
//  * flat terms: one link class, K ranks, S bytes -> CostTerms (linear in alpha, beta, gamma). These are
//    the textbook formulas; calibration fits alpha, beta, gamma through them.
//  * cluster predictions: a ClusterDescription (two link classes, placement, overrides) -> time. On one host
//    or with one rank per host they are the flat terms evaluated with that class; with several hosts of
//    several ranks each they charge every step to the link class it crosses (see predictAllReduce).
//
// Pure functions: no I/O, no allocation on the prediction path (10M+ predictions per second).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/cluster.h"
#include "sim/cost.h"

namespace ccb::sim {

// ---- integer helpers used by the models and the schedules ----

// Largest power of two <= k (k >= 1).
int floorPow2(int k);
// ceil(log2 k) for k >= 1 (0 for k = 1).
int ceilLog2(int k);
// log2 of a power of two.
int exactLog2(int powerOfTwo);

// ---- flat terms (one link class) ----

// Ring (Patarasuk & Yuan 2009): reduce-scatter then all-gather, K-1 steps each moving S/K bytes:
// 2(K-1) alpha + 2(K-1)/K S beta + (K-1)/K S gamma.
CostTerms ringTerms(int ranks, double bytes);
// Recursive doubling: lg p steps exchanging the whole buffer, p = floorPow2(K):
// lg p (alpha + S beta + S gamma); with r = K - p > 0 extra ranks MPICH folds them in first
// (alpha + S beta + S gamma: even ranks of the first 2r send to their odd neighbour) and hands the result
// back at the end (alpha + S beta).
CostTerms recursiveDoublingTerms(int ranks, double bytes);
// Rabenseifner (Thakur, Rabenseifner & Gropp 2005): recursive-halving reduce-scatter + recursive-doubling
// all-gather among p = floorPow2(K): 2 lg p alpha + 2 (p-1)/p S beta + (p-1)/p S gamma, plus the same
// fold-in / hand-back steps as recursive doubling when K is not a power of two.
CostTerms rabenseifnerTerms(int ranks, double bytes);
// Binomial-tree reduce to rank 0, ceil(lg K) (alpha + S beta + S gamma), then binomial broadcast,
// ceil(lg K) (alpha + S beta).
CostTerms binomialReduceTerms(int ranks, double bytes);
CostTerms binomialBroadcastTerms(int ranks, double bytes);
CostTerms binomialTerms(int ranks, double bytes);
// Shared-memory k-ary trees (MPICH's release/gather collectives). Reduce: per tree level
// alpha + S beta + c S gamma where c is the largest fan-in on that level (children write their buffers
// concurrently, the parent folds them in one after another). Broadcast: per level alpha + S beta.
CostTerms karyReduceTerms(int ranks, int radix, double bytes);
CostTerms karyBroadcastTerms(int ranks, int radix, double bytes);

// The seed formula kept for comparison: T_ring = 2(K-1) S / (K B), bandwidth only, no latency or reduction.
double naiveRingUs(int ranks, double bytes, double bandwidthGBps);

// ---- algorithms ----

enum class AllReduceAlgo {
  kRing,               // "ring": the ring of src/algo
  kRecursiveDoubling,  // "recursive_doubling"
  kRabenseifner,       // "rabenseifner"
  kBinomial,           // "binomial": binomial reduce + binomial broadcast
  kHierarchical,       // "hierarchical": intra-host ring, inter-host ring among host leaders, intra bcast
  kNaiveRing,          // "naive_ring": the seed formula 2(K-1)S/(KB)
  kMpi,                // "mpi": what MPICH 4.0.2 selects (see mpich_selection.h)
};

std::string_view algoName(AllReduceAlgo algo);
std::optional<AllReduceAlgo> findAlgo(std::string_view name);
// Throws UsageError naming the accepted names.
AllReduceAlgo parseAlgo(std::string_view name);
// Every model, in a stable order.
const std::vector<AllReduceAlgo>& allAlgos();
// Names for help texts: "ring, recursive_doubling, ...".
std::string algoNameList();

// ---- cluster predictions ----

// A cluster reduced to what the closed forms need, computed once per cluster.
struct ClosedFormCluster {
  int ranks = 1;
  int ranksPerHost = 1;
  int hosts = 1;
  AlphaBetaGamma intra;  // ranks on one host; gamma of the slowest rank
  AlphaBetaGamma inter;  // the slowest host link (largest latency, smallest bandwidth)
  double intraGBps = 0;
  double interGBps = 0;  // bandwidth of the slowest host link
};
ClosedFormCluster closedFormView(const ClusterDescription& cluster);

struct AllReducePrediction {
  TimeSplit split;
  // The algorithm that actually runs: the model's own name, or for "mpi" MPICH's choice
  // ("recursive_doubling", "rabenseifner", "shm_release_gather", "smp:shm_reduce+rabenseifner+shm_bcast").
  std::string_view runs;
  double timeUs() const { return split.totalUs(); }
};

// Predicted time of one all-reduce of `bytes` (= count * elementBytes). Placement rules:
//  * one host: every message uses links.intra_host;
//  * one rank per host: every message uses the slowest host link (on a heterogeneous cluster this is what
//    "the slowest hop sets the pace" means for the ring; for the others it is an estimate: replay is the
//    reference there);
//  * several hosts of several ranks: the ring pays, per step, the slower of its intra- and inter-host hops;
//    recursive doubling, Rabenseifner and binomial charge a step between ranks at distance d to the
//    intra-host link when d < ranks_per_host (a power of two), otherwise to the host link shared by the
//    host's ranks that cross it at the same time. Non-power-of-two ranks_per_host: every step is charged to
//    the shared host link (an upper estimate).
// The topology only matters to replay: closed forms assume every host pair is one hop apart.
AllReducePrediction predictAllReduce(const ClosedFormCluster& cluster, AllReduceAlgo algo, std::uint64_t bytes,
                                     std::size_t elementBytes);

// For calibration: the flat terms of `algo` on a one-class layout (all ranks on one host when
// `singleHost`, else one rank per host). Returns nullopt for the naive seed formula (not alpha-beta-gamma).
std::optional<CostTerms> singleClassTerms(AllReduceAlgo algo, int ranks, bool singleHost, std::uint64_t bytes,
                                          std::size_t elementBytes);

}  // namespace ccb::sim
