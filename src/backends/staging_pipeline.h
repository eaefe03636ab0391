// The staged ring on device buffers, as a pure state machine: which segment enters which stage when.
//
// A transport moves host bytes, so every segment of a schedule on device buffers passes through page-locked
// host slots. A send segment goes copy-out (device -> host slot), then send (host slot -> peer); a receive
// segment goes receive (peer -> host slot), then land (host slot -> device, reduced into the output when
// the step reduces, finalized when it completes the reduction). Stages of different segments run at once:
// copy-out of segment j+1 while segment j is on the wire while segment j-1 lands.
//
// The rules, which keep the run correct and free of deadlock:
//  - Device memory hazards are the ExecutionPlan's dependencies (algo/executor.h), applied to the stages
//    that touch device memory: a copy-out starts once the lands that write its bytes are done; a land
//    starts once the copy-outs still reading, and the lands still writing, the bytes it overwrites are
//    done. The send and receive stages touch only host slots and wait for nothing but a slot.
//  - Copy-outs, sends and receives each start in (step, segment) order (the transport matches the messages
//    of one step in posting order), copy-outs and receives each holding one of `slots` host slots until its
//    send has completed or its land is done. Every action then waits only for actions earlier in that order
//    (or for its peer's matching action), so by induction on the order every action completes.
// StagingPipeline only decides; the staged ring executor (staged_ring.h) performs the actions, and
// simulateStagedRing() performs them on a model with one tick per action, to show the overlap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "algo/allreduce.h"
#include "algo/executor.h"

namespace ccb {

enum class StageKind { kCopyOut, kSend, kReceive, kLand };

// One stage of one segment: segment `segment` of step `step`'s sends (kCopyOut, kSend) or receives
// (kReceive, kLand), using host slot `slot` of that direction.
struct StagingAction {
  StageKind kind = StageKind::kCopyOut;
  int step = 0;
  std::uint32_t segment = 0;
  int slot = 0;
  bool operator==(const StagingAction&) const = default;
};

class StagingPipeline {
 public:
  // `plan` must outlive the pipeline. Throws UsageError unless slots >= 1.
  StagingPipeline(const ExecutionPlan& plan, int slots);

  // The actions that may start now, in the order to start them; each is in flight until complete().
  std::vector<StagingAction> start();
  // Records that an action returned by start() has finished. InvariantError for an action not in flight.
  void complete(const StagingAction& action);
  bool finished() const { return remaining_ == 0; }

  int slots() const { return slots_; }
  // Host slot sizes: the largest send segment, the largest receive segment.
  std::size_t sendSlotBytes() const { return sendSlotBytes_; }
  std::size_t recvSlotBytes() const { return recvSlotBytes_; }

 private:
  // Segments of one step and direction: which have passed the stage that dependencies look at (copy-out
  // for sends, land for receives), as a done prefix.
  struct Progress {
    std::vector<char> done;
    std::uint32_t prefix = 0;
  };
  // The next segment, in (step, segment) order, of one direction.
  struct Cursor {
    int step = 0;
    std::uint32_t segment = 0;
  };

  bool depsMet(const Segment& seg) const;
  bool nextSegment(Cursor& cursor, bool sends) const;
  void markDone(Progress& progress, std::uint32_t segment);

  const ExecutionPlan& plan_;
  int slots_;
  std::size_t sendSlotBytes_ = 0;
  std::size_t recvSlotBytes_ = 0;
  std::vector<Progress> copiedOut_;  // per step: sends whose device bytes have been read
  std::vector<Progress> landed_;     // per step: receives whose device bytes are written
  Cursor nextCopyOut_;
  Cursor nextSend_;
  Cursor nextReceive_;
  std::vector<int> freeSendSlots_;
  std::vector<int> freeRecvSlots_;
  std::vector<StagingAction> readyToSend_;    // copied out, send not started
  std::vector<StagingAction> waitingToLand_;  // received, land not started (dependencies)
  std::vector<StagingAction> inFlight_;
  std::size_t remaining_ = 0;  // segments not yet through their last stage, both directions
};

// One action of one rank as the tick model ran it.
struct StagingEvent {
  int rank = 0;
  int tick = 0;
  StagingAction action;
};

// The staged ring of `ranks` ranks for `count` elements of `elementBytes`, cut as options says, run on a
// model: each rank has three engines (copy to host, network out, copy to device) that each run one action per
// tick, in the order the pipelines start them; a receive takes no engine and completes in the tick its
// peer's send runs (or, if posted later, the tick it is posted). Returns every action with the tick it ran
// in (a receive: the tick it completed). Throws InvariantError if the pipelines stop making progress.
std::vector<StagingEvent> simulateStagedRing(int ranks, std::size_t count, std::size_t elementBytes,
                                             const AllReduceOptions& options);

}  // namespace ccb
