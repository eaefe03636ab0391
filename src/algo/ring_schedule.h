// Ring all-reduce as a pure schedule (Patarasuk & Yuan 2009; gloo's allreduce_ring.h): a reduce-scatter
// of K-1 steps followed by an all-gather of K-1 steps, each step moving one of K chunks to the right
// neighbour. Segment pipelining is the executor's business; this file only says which bytes go where.
#pragma once

#include <cstddef>

#include "algo/schedule.h"

namespace ccb {

// The ring all-reduce schedule of `rank` among `ranks` for `count` elements of `elementBytes` each.
//
// Steps 0..K-2 are the reduce-scatter, steps K-1..2K-3 the all-gather (tag = step index); step s sends to
// rank+1 and receives from rank-1. Chunk c is partition(count, K, c). In reduce-scatter step s a rank
// sends chunk (rank - s) and receives chunk (rank - s - 1), reducing output = op(input, received); step 0
// sends straight from the input (sendFromInput), so out-of-place needs no copy. After the last
// reduce-scatter step (finalizeOnRecv) the rank owns chunk (rank + 1) complete; all-gather step t sends
// chunk (rank + 1 - t) and receives chunk (rank - t) into the output unchanged.
//
// Empty chunks (count < K): a step whose chunk is empty has no send (sendPeer = kNoPeer) or no receive
// (recvPeer = kNoPeer). Sender and receiver of one chunk in one step compute the same empty range, so
// every rank agrees and no zero-byte message is ever posted. The step itself stays in the list, so step
// indices (and tags) are the same for every count. K = 1: no steps; the whole buffer is a local copy
// (skipped by the executor when in place) followed by a local finalize.
//
// Throws InvariantError unless 0 <= rank < ranks and elementBytes > 0.
Schedule ringAllReduceSchedule(int rank, int ranks, std::size_t count, std::size_t elementBytes);

}  // namespace ccb
