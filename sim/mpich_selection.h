// Which all-reduce MPICH 4.0.2 (Debian's ch4:ucx build, the "mpi" algorithm of ccbench) runs, by size and K.
//
// Where this comes from. MPICH 4.x selects collectives through JSON decision trees compiled into the
// library ("csel"). The trees below were read out of the installed library itself
// (`strings /usr/lib/x86_64-linux-gnu/libmpich.so.12`, MPICH 4.0.2, Apr 2022); they match
// maint/tuning/coll/ch4/generic.json and maint/tuning/coll/mpir/generic.json of that release in
// github.com/pmodels/mpich. In order:
//  1. ch4 level (MPIDI_Allreduce_allcomm_composition_json):
//     comm_size == node_comm_size (all ranks on one host) -> composition gamma = MPIDI_SHM_mpi_allreduce;
//     else comm_hierarchy=parent (several hosts, some with several ranks) and commutative op
//       -> composition alpha: shm reduce to the node leader, netmod allreduce among node leaders, shm bcast;
//     else -> composition beta = netmod allreduce over the whole communicator (ch4:ucx calls MPIR's).
//  2. POSIX shm level: single-threaded and commutative -> MPIDI_POSIX_mpi_allreduce_release_gather (a k-ary
//     gather tree with MPIR_CVAR_REDUCE_INTRANODE_TREE_KVAL = 4, then a release (broadcast) tree with
//     MPIR_CVAR_BCAST_INTRANODE_TREE_KVAL = 64; both "kary" by default). The first
//     MPIR_CVAR_POSIX_NUM_COLLS_THRESHOLD calls on a communicator fall back to MPIR; warm-up absorbs them.
//  3. MPIR level (MPIR_Allreduce_allcomm_auto, intra): avg_msg_size <= 8 bytes -> recursive doubling;
//     otherwise, built-in op: count < pof2 -> recursive doubling, else reduce_scatter_allgather
//     (Rabenseifner). Note: the often-quoted MPIR_CVAR_ALLREDUCE_SHORT_MSG_SIZE (2048 bytes) still exists,
//     but in 4.0.2 only the non-blocking MPI_Iallreduce tree uses a 2048-byte threshold; the blocking
//     MPI_Allreduce tree compiled into the library switches at 8 bytes.
#pragma once

#include <cstdint>
#include <string_view>

namespace ccb::sim {

inline constexpr int kMpichShmReduceRadix = 4;      // MPIR_CVAR_REDUCE_INTRANODE_TREE_KVAL default
inline constexpr int kMpichShmBcastRadix = 64;      // MPIR_CVAR_BCAST_INTRANODE_TREE_KVAL default
inline constexpr std::uint64_t kMpirShortBytes = 8;  // "avg_msg_size<=8" in the MPIR allreduce tree

// MPIR's choice among `ranks` processes (step 3): true = recursive doubling, false = Rabenseifner.
bool mpirPicksRecursiveDoubling(int ranks, std::uint64_t bytes, std::uint64_t count);

enum class MpichAllReducePath {
  kShmReleaseGather,  // one host: shared-memory gather + release trees
  kFlat,              // one rank per host: MPIR over all ranks
  kSmpComposition,    // several hosts with several ranks: shm reduce, MPIR among leaders, shm bcast
};

// Steps 1 and 2: which path a communicator of `hosts` hosts with `ranksPerHost` ranks each takes.
MpichAllReducePath mpichPath(int hosts, int ranksPerHost);

}  // namespace ccb::sim
