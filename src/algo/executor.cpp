// Segment-pipelined executor for schedules; see executor.h for the dependency rules.
#include "algo/executor.h"

#include <algorithm>
#include <climits>
#include <memory>
#include <span>
#include <string>

#include "core/error.h"

namespace ccb {
namespace {

bool overlaps(const ByteRange& a, const ByteRange& b) {
  return a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
}

// Whole elements per segment: options.segmentBytes rounded down, but at least one element.
std::size_t segmentElements(std::size_t elementBytes, const AllReduceOptions& options) {
  if (options.segmentBytes == 0) throw UsageError("segment size must be at least 1 byte");
  if (options.maxInFlight < 1) throw UsageError("segments in flight must be at least 1");
  return std::max<std::size_t>(1, options.segmentBytes / elementBytes);
}

// Cuts `range` into the fewest segments of at most `segmentElems` elements, as equal as partition()
// makes them (so a range of 1.1 segments becomes two halves, not a full one and a sliver).
std::vector<Segment> cutRange(const ByteRange& range, std::size_t elementBytes, std::size_t segmentElems) {
  CCB_CHECK_EQ(range.offset % elementBytes, std::size_t{0});
  CCB_CHECK_EQ(range.bytes % elementBytes, std::size_t{0});
  const std::size_t elems = range.bytes / elementBytes;
  const std::size_t parts = (elems + segmentElems - 1) / segmentElems;
  if (parts > static_cast<std::size_t>(INT_MAX)) {
    throw UsageError("segment size too small: " + std::to_string(parts) + " segments in one step");
  }
  std::vector<Segment> segments;
  for (std::size_t j = 0; j < parts; ++j) {
    const ElementRange part = partition(elems, static_cast<int>(parts), static_cast<int>(j));
    segments.push_back(Segment{{range.offset + part.first * elementBytes, part.count * elementBytes}, 0, 0});
  }
  return segments;
}

// How many leading segments of `segments` (contiguous, in offset order) must be done before bytes
// `range` are safe: up to the last one overlapping it; 0 when none does.
std::uint32_t prefixCovering(const std::vector<Segment>& segments, const ByteRange& range) {
  const auto end = std::partition_point(segments.begin(), segments.end(), [&](const Segment& s) {
    return s.range.offset < range.offset + range.bytes;
  });
  if (end == segments.begin() || !overlaps(std::prev(end)->range, range)) return 0;
  return static_cast<std::uint32_t>(end - segments.begin());
}

// Appends to plan.deps what segment `seg` of step `s` waits for in earlier steps: for a send, the
// receives that wrote its bytes (read after write); for a receive, the sends still reading and the
// receives still writing the bytes it overwrites (write after read / write). A send from the input
// counts as reading the output too, which is what it is when the run is in place.
void addDependencies(ExecutionPlan& plan, int s, Segment& seg, bool isSend) {
  seg.firstDep = static_cast<std::uint32_t>(plan.deps.size());
  const bool readsInputOnly = isSend && plan.steps[s].step.sendFromInput;
  for (int t = 0; t < s; ++t) {
    const PlannedStep& earlier = plan.steps[t];
    if (!readsInputOnly) {
      if (std::uint32_t n = prefixCovering(earlier.recvs, seg.range)) plan.deps.push_back({t, false, n});
    }
    if (!isSend) {
      if (std::uint32_t n = prefixCovering(earlier.sends, seg.range)) plan.deps.push_back({t, true, n});
    }
  }
  seg.depCount = static_cast<std::uint32_t>(plan.deps.size()) - seg.firstDep;
}

std::size_t rangeEnd(const ByteRange& r) { return r.offset + r.bytes; }

// Largest byte offset any range of the plan touches: the buffer must be at least this long.
std::size_t planBufferBytes(const ExecutionPlan& plan) {
  std::size_t end = 0;
  for (const PlannedStep& ps : plan.steps) {
    if (!ps.sends.empty()) end = std::max(end, rangeEnd(ps.sends.back().range));
    if (!ps.recvs.empty()) end = std::max(end, rangeEnd(ps.recvs.back().range));
  }
  for (const ByteRange& r : plan.localCopies) end = std::max(end, rangeEnd(r));
  for (const ByteRange& r : plan.localFinalize) end = std::max(end, rangeEnd(r));
  return end;
}

// One run of a plan, advanced by test() from comm's wait() loop, which yields the core when a round
// made no progress and throws TimeoutError at the deadline. Destroying it cancels what is in flight.
class ScheduleRun final : public PendingOp {
 public:
  ScheduleRun(const ExecutionPlan& plan, const AllReduceArgs& args, Transport& transport, Reducer& reducer,
              std::span<std::byte> staging, int maxInFlight)
      : plan_(plan),
        args_(args),
        transport_(transport),
        reducer_(reducer),
        input_(static_cast<const std::byte*>(args.input)),
        output_(static_cast<std::byte*>(args.output)),
        staging_(staging),
        maxInFlight_(static_cast<std::size_t>(maxInFlight)) {
    for (const PlannedStep& ps : plan.steps) {
      sends_.push_back(Progress(ps.sends.size()));
      recvs_.push_back(Progress(ps.recvs.size()));
      remaining_ += ps.sends.size() + ps.recvs.size();
    }
    for (int slot = maxInFlight - 1; slot >= 0; --slot) freeSlots_.push_back(slot);
  }

  bool test() override {
    while (advance()) {
    }
    return remaining_ == 0;
  }

 private:
  // Segments of one step and direction: how many are posted, which are done, and the done prefix.
  struct Progress {
    explicit Progress(std::size_t n) : done(n, 0) {}
    std::uint32_t posted = 0;
    std::uint32_t prefix = 0;
    std::vector<char> done;
  };
  struct InFlight {
    int step;
    std::uint32_t segment;
    Request request;
    int slot;  // staging slot of a reducing receive, -1 otherwise
  };

  // One round over everything; true when anything moved.
  bool advance() {
    bool progressed = completeReceives();
    progressed |= completeSends();
    progressed |= postSends();
    progressed |= postReceives();
    return progressed;
  }

  bool depsMet(const Segment& seg) const {
    for (std::uint32_t i = seg.firstDep; i < seg.firstDep + seg.depCount; ++i) {
      const SegmentDependency& dep = plan_.deps[i];
      const Progress& p = dep.onSends ? sends_[dep.step] : recvs_[dep.step];
      if (p.prefix < dep.count) return false;
    }
    return true;
  }

  // Send the next segments of every step whose bytes are ready, in segment order within a step
  // (sends are not capped: they use no staging, and capping them could starve an earlier step).
  bool postSends() {
    bool progressed = false;
    for (int s = 0; s < static_cast<int>(plan_.steps.size()); ++s) {
      const PlannedStep& ps = plan_.steps[s];
      Progress& p = sends_[s];
      while (p.posted < ps.sends.size() && depsMet(ps.sends[p.posted])) {
        const ByteRange& r = ps.sends[p.posted].range;
        const std::byte* base = ps.step.sendFromInput ? input_ : output_;
        // Step s, segment p.posted: our bytes for the peer (tag s keeps steps apart, order keeps segments).
        Request req = transport_.isend(ps.step.sendPeer, {base + r.offset, r.bytes}, s);
        sendsInFlight_.push_back(InFlight{s, p.posted++, std::move(req), -1});
        progressed = true;
      }
    }
    return progressed;
  }

  // Post receives in (step, segment) order, at most maxInFlight at once. Strict order is what makes the
  // run deadlock free: every rank posts the oldest receive first, and it waits only on earlier steps.
  bool postReceives() {
    bool progressed = false;
    while (recvsInFlight_.size() < maxInFlight_ && nextRecvStep_ < plan_.steps.size()) {
      const int s = static_cast<int>(nextRecvStep_);
      const PlannedStep& ps = plan_.steps[s];
      Progress& p = recvs_[s];
      if (p.posted == ps.recvs.size()) {
        ++nextRecvStep_;
        continue;
      }
      if (!depsMet(ps.recvs[p.posted])) break;
      const ByteRange& r = ps.recvs[p.posted].range;
      int slot = -1;
      std::span<std::byte> target{output_ + r.offset, r.bytes};
      if (ps.step.reduceOnRecv) {
        // Reducing receive: land in a staging slot, fold into the output when it arrives.
        slot = freeSlots_.back();
        freeSlots_.pop_back();
        target = staging_.subspan(static_cast<std::size_t>(slot) * plan_.stagingSlotBytes, r.bytes);
      }
      Request req = transport_.irecv(ps.step.recvPeer, target, s);
      recvsInFlight_.push_back(InFlight{s, p.posted++, std::move(req), slot});
      progressed = true;
    }
    return progressed;
  }

  // Receives that arrived: reduce (and finalize) each segment right away, then free its slot.
  bool completeReceives() {
    bool progressed = false;
    for (std::size_t i = 0; i < recvsInFlight_.size();) {
      InFlight& op = recvsInFlight_[i];
      if (!op.request->test()) {
        ++i;
        continue;
      }
      land(op);
      if (op.slot >= 0) freeSlots_.push_back(op.slot);
      markDone(recvs_[op.step], op.segment);
      if (i + 1 != recvsInFlight_.size()) op = std::move(recvsInFlight_.back());
      recvsInFlight_.pop_back();
      progressed = true;
    }
    return progressed;
  }

  bool completeSends() {
    bool progressed = false;
    for (std::size_t i = 0; i < sendsInFlight_.size();) {
      InFlight& op = sendsInFlight_[i];
      if (!op.request->test()) {
        ++i;
        continue;
      }
      markDone(sends_[op.step], op.segment);
      if (i + 1 != sendsInFlight_.size()) op = std::move(sendsInFlight_.back());
      sendsInFlight_.pop_back();
      progressed = true;
    }
    return progressed;
  }

  // A received segment is in place: output = op(input, staged) for a reducing step, then finalize
  // (avg) when this step completes the reduction.
  void land(const InFlight& op) {
    const Step& step = plan_.steps[op.step].step;
    const ByteRange& r = plan_.steps[op.step].recvs[op.segment].range;
    const std::size_t elems = r.bytes / plan_.elementBytes;
    if (step.reduceOnRecv) {
      const std::byte* staged = staging_.data() + static_cast<std::size_t>(op.slot) * plan_.stagingSlotBytes;
      reducer_.reduce(output_ + r.offset, input_ + r.offset, staged, elems, args_.dtype, args_.op);
    }
    if (step.finalizeOnRecv) reducer_.finalize(output_ + r.offset, elems, args_.dtype, args_.op, transport_.size());
  }

  void markDone(Progress& p, std::uint32_t segment) {
    p.done[segment] = 1;
    while (p.prefix < p.done.size() && p.done[p.prefix]) ++p.prefix;
    --remaining_;
  }

  const ExecutionPlan& plan_;
  const AllReduceArgs args_;  // a copy: start() callers need not keep theirs
  Transport& transport_;
  Reducer& reducer_;
  const std::byte* input_;
  std::byte* output_;
  std::span<std::byte> staging_;
  std::size_t maxInFlight_;
  std::vector<Progress> sends_;
  std::vector<Progress> recvs_;
  std::vector<InFlight> sendsInFlight_;
  std::vector<InFlight> recvsInFlight_;
  std::vector<int> freeSlots_;
  std::size_t nextRecvStep_ = 0;
  std::size_t remaining_ = 0;  // segments not yet done, both directions
};

}  // namespace

ExecutionPlan planExecution(const Schedule& schedule, std::size_t elementBytes, const AllReduceOptions& options) {
  CCB_CHECK_LT(std::size_t{0}, elementBytes);
  const std::size_t segmentElems = segmentElements(elementBytes, options);
  ExecutionPlan plan;
  plan.elementBytes = elementBytes;
  plan.localCopies = schedule.localCopies;
  plan.localFinalize = schedule.localFinalize;
  for (const Step& step : schedule.steps) {
    PlannedStep ps{step, {}, {}};
    if (step.sendPeer != Step::kNoPeer) ps.sends = cutRange(step.sendRange, elementBytes, segmentElems);
    if (step.recvPeer != Step::kNoPeer) ps.recvs = cutRange(step.recvRange, elementBytes, segmentElems);
    plan.steps.push_back(std::move(ps));
  }
  for (int s = 0; s < static_cast<int>(plan.steps.size()); ++s) {
    PlannedStep& ps = plan.steps[s];
    for (Segment& seg : ps.sends) addDependencies(plan, s, seg, true);
    for (Segment& seg : ps.recvs) addDependencies(plan, s, seg, false);
    if (ps.step.reduceOnRecv) {
      for (const Segment& seg : ps.recvs) plan.stagingSlotBytes = std::max(plan.stagingSlotBytes, seg.range.bytes);
    }
  }
  return plan;
}

ScheduleExecutor::ScheduleExecutor(Transport& transport, Reducer& reducer, const AllReduceOptions& options)
    : transport_(transport), reducer_(reducer), options_(options) {
  segmentElements(1, options);  // validates the options up front
}

void ScheduleExecutor::run(const ExecutionPlan& plan, const AllReduceArgs& args, Clock::time_point deadline,
                           const std::string& what) {
  Request run = start(plan, args);
  wait(run, deadline, what);
}

namespace {
// The request of a run with nothing to send or receive (one rank alone): complete at once.
class CompletedRun final : public PendingOp {
 public:
  bool test() override { return true; }
};
}  // namespace

Request ScheduleExecutor::start(const ExecutionPlan& plan, const AllReduceArgs& args) {
  CCB_CHECK_EQ(dtypeSize(args.dtype), plan.elementBytes);
  CCB_CHECK_LE(planBufferBytes(plan), args.count * plan.elementBytes);
  auto* out = static_cast<std::byte*>(args.output);
  const auto* in = static_cast<const std::byte*>(args.input);

  // Ranges no step touches: this rank's own bytes, finalized locally (one rank alone).
  for (const ByteRange& r : plan.localCopies) {
    if (in != out) reducer_.copy(out + r.offset, in + r.offset, r.bytes);
  }
  for (const ByteRange& r : plan.localFinalize) {
    reducer_.finalize(out + r.offset, r.bytes / plan.elementBytes, args.dtype, args.op, transport_.size());
  }
  if (plan.steps.empty()) return std::make_unique<CompletedRun>();

  const std::size_t stagingBytes = plan.stagingSlotBytes * static_cast<std::size_t>(options_.maxInFlight);
  if (staging_.size() < stagingBytes) staging_.resize(stagingBytes);
  return std::make_unique<ScheduleRun>(plan, args, transport_, reducer_, std::span<std::byte>(staging_),
                                       options_.maxInFlight);
}

void executeSchedule(const Schedule& schedule, Transport& transport, Reducer& reducer, const AllReduceArgs& args,
                     const AllReduceOptions& options, Clock::time_point deadline, const std::string& what) {
  ScheduleExecutor executor(transport, reducer, options);
  executor.run(planExecution(schedule, dtypeSize(args.dtype), options), args, deadline, what);
}

}  // namespace ccb
