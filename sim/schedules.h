// Complete schedules (one per rank) for replay. "ring" is the executors' own schedule from src/algo
// (ringAllReduceSchedule), so replay describes the very bytes the measured runs move. The others are
// written here in the same Step vocabulary, after MPICH's implementations, for what-if studies; no
// executor runs them.
#pragma once

#include <cstddef>
#include <vector>

#include "algo/schedule.h"
#include "sim/closed_form.h"

namespace ccb::sim {

// schedules[r] is rank r's schedule for an all-reduce of `count` elements of `elementBytes` bytes.
using AllRankSchedules = std::vector<Schedule>;

AllRankSchedules ringSchedules(int ranks, std::size_t count, std::size_t elementBytes);
// MPICH's MPIR_Allreduce_intra_recursive_doubling, including the fold-in of K - pof2 extra ranks.
AllRankSchedules recursiveDoublingSchedules(int ranks, std::size_t count, std::size_t elementBytes);
// MPICH's MPIR_Allreduce_intra_reduce_scatter_allgather (Rabenseifner), same fold-in; blocks are
// partition(count, pof2, i).
AllRankSchedules rabenseifnerSchedules(int ranks, std::size_t count, std::size_t elementBytes);
// Binomial reduce to rank 0 followed by binomial broadcast from rank 0 (MPICH's binomial trees).
AllRankSchedules binomialSchedules(int ranks, std::size_t count, std::size_t elementBytes);
// Ring within each host, ring among host leaders (local rank 0), binomial broadcast within each host.
AllRankSchedules hierarchicalSchedules(int ranks, int ranksPerHost, std::size_t count, std::size_t elementBytes);

// The schedules of `algo` on `cluster`; for "mpi" the algorithm MPICH picks when that has a point-to-point
// schedule (one rank per host). Throws UsageError for models that have no schedule (naive_ring, and mpi's
// shared-memory paths), naming what to use instead.
AllRankSchedules schedulesFor(AllReduceAlgo algo, const ClusterDescription& cluster, std::size_t count,
                              std::size_t elementBytes);

}  // namespace ccb::sim
