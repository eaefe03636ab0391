// Runs a Schedule over a Transport + Reducer with segment pipelining.
//
// Each step's send and receive ranges are cut into segments of at most options.segmentBytes (whole
// elements). A segment moves as soon as the bytes it needs are ready, not when the whole previous step
// is: send segment j of step s waits only for the receive segments of earlier steps that wrote those
// bytes; a receive waits only for earlier sends that still read, and earlier receives that still write,
// the bytes it will overwrite. Messages carry tag = step index; within a step segments are posted in
// order, so they match in order (the Transport's per-pair, per-tag ordering).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "algo/allreduce.h"
#include "algo/schedule.h"

namespace ccb {

// "Segment `count` of step `step`'s sends (or receives) is done": segments of one step and direction are
// tracked as a completed prefix, so a dependency is met once that prefix is at least `count` long.
struct SegmentDependency {
  int step = 0;
  bool onSends = false;
  std::uint32_t count = 0;
  bool operator==(const SegmentDependency&) const = default;
};

struct Segment {
  ByteRange range;
  // deps[firstDep, firstDep + depCount) of the plan must all be met before this segment is posted.
  std::uint32_t firstDep = 0;
  std::uint32_t depCount = 0;
};

struct PlannedStep {
  Step step;  // the schedule's step, unchanged
  std::vector<Segment> sends;
  std::vector<Segment> recvs;
};

// A schedule cut into segments with their dependencies: pure, built once per (schedule, segment size).
struct ExecutionPlan {
  std::vector<PlannedStep> steps;
  std::vector<SegmentDependency> deps;
  std::vector<ByteRange> localCopies;
  std::vector<ByteRange> localFinalize;
  std::size_t elementBytes = 1;
  std::size_t stagingSlotBytes = 0;  // largest reducing receive segment: one staging slot
};

// Cuts `schedule` into segments of at most options.segmentBytes (rounded down to whole elements, at
// least one element) and computes each segment's dependencies. Throws UsageError for segmentBytes == 0
// or maxInFlight < 1, InvariantError when a range is not element aligned.
ExecutionPlan planExecution(const Schedule& schedule, std::size_t elementBytes, const AllReduceOptions& options);

// Runs plans on one transport. Holds the staging buffers (one slot per receive in flight) so repeated
// runs allocate nothing big; not thread-safe, one run at a time.
class ScheduleExecutor {
 public:
  ScheduleExecutor(Transport& transport, Reducer& reducer, const AllReduceOptions& options);

  // Runs `plan` on args (input may equal output). args.count and args.dtype must match the plan's
  // byte ranges. Throws TimeoutError naming `what` when the run has not finished by `deadline`.
  void run(const ExecutionPlan& plan, const AllReduceArgs& args, Clock::time_point deadline,
           const std::string& what);

  // Non-blocking form of run() (added for the overlap benchmark): does the local copies, posts what can
  // start and returns the run as a request whose test() advances it; a plan with no steps returns a request
  // that is already complete. `plan` and the buffers args points to must stay valid until test() returns
  // true; args itself is copied. One run at a time per executor (the staging slots are shared).
  Request start(const ExecutionPlan& plan, const AllReduceArgs& args);

  const AllReduceOptions& options() const { return options_; }

 private:
  Transport& transport_;
  Reducer& reducer_;
  AllReduceOptions options_;
  std::vector<std::byte> staging_;  // maxInFlight slots, grown on demand, reused across runs
};

// One-shot form: plans `schedule` and runs it with a fresh executor (tests, simple callers).
void executeSchedule(const Schedule& schedule, Transport& transport, Reducer& reducer, const AllReduceArgs& args,
                     const AllReduceOptions& options, Clock::time_point deadline, const std::string& what);

}  // namespace ccb
