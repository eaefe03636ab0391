// Ring all-reduce schedule; see ring_schedule.h for the step-by-step contract.
#include "algo/ring_schedule.h"

#include "core/error.h"

namespace ccb {
namespace {

// (a mod k) for a possibly negative a.
int ringIndex(int a, int k) { return ((a % k) + k) % k; }

// Byte range of chunk `chunk` when `count` elements are split over `ranks` chunks.
ByteRange chunkBytes(std::size_t count, int ranks, int chunk, std::size_t elementBytes) {
  const ElementRange part = partition(count, ranks, ringIndex(chunk, ranks));
  return ByteRange{part.first * elementBytes, part.count * elementBytes};
}

// A step that sends `send` to `right` and receives `recv` from `left`; an empty range drops that half.
Step ringStep(int right, ByteRange send, int left, ByteRange recv) {
  Step step;
  if (send.bytes > 0) {
    step.sendPeer = right;
    step.sendRange = send;
  }
  if (recv.bytes > 0) {
    step.recvPeer = left;
    step.recvRange = recv;
  }
  return step;
}

}  // namespace

Schedule ringAllReduceSchedule(int rank, int ranks, std::size_t count, std::size_t elementBytes) {
  CCB_CHECK_LE(1, ranks);
  CCB_CHECK_LE(0, rank);
  CCB_CHECK_LT(rank, ranks);
  CCB_CHECK_LT(std::size_t{0}, elementBytes);

  Schedule schedule;
  if (ranks == 1) {
    // Alone: the result is this rank's own contribution, finalized (avg divides by 1).
    if (count > 0) {
      schedule.localCopies.push_back(ByteRange{0, count * elementBytes});
      schedule.localFinalize.push_back(ByteRange{0, count * elementBytes});
    }
    return schedule;
  }

  const int right = ringIndex(rank + 1, ranks);
  const int left = ringIndex(rank - 1, ranks);
  auto chunk = [&](int c) { return chunkBytes(count, ranks, c, elementBytes); };

  // Reduce-scatter: pass a partial sum of chunk (rank - s) to the right and fold the left
  // neighbour's partial sum of chunk (rank - s - 1) into ours. After K-1 steps, chunk (rank + 1)
  // holds every rank's contribution exactly once.
  for (int s = 0; s + 1 < ranks; ++s) {
    Step step = ringStep(right, chunk(rank - s), left, chunk(rank - s - 1));
    step.sendFromInput = (s == 0);  // our own chunk, not yet touched: read it from the input
    step.reduceOnRecv = true;
    step.finalizeOnRecv = (s + 2 == ranks);
    schedule.steps.push_back(step);
  }
  // All-gather: forward the complete chunk received last (ours, (rank + 1), at t = 0) to the right
  // and take the left neighbour's complete chunk (rank - t) as is.
  for (int t = 0; t + 1 < ranks; ++t) {
    schedule.steps.push_back(ringStep(right, chunk(rank + 1 - t), left, chunk(rank - t)));
  }
  return schedule;
}

}  // namespace ccb
