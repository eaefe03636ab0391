// The staged ring executor: a StagingPipeline whose actions are device copies, transport messages and
// device reductions. See staged_ring.h and staging_pipeline.h.
#include "backends/staged_ring.h"

#include <algorithm>

#include "algo/ring_schedule.h"
#include "backends/staging_pipeline.h"
#include "core/error.h"

namespace ccb {
namespace {

// One run of a plan, advanced by test() from comm's wait() loop (which yields the core between rounds
// without progress and throws TimeoutError at the deadline). Destroying it abandons what is in flight: the
// transport cancels its requests, and the device keeps its slots alive for work already queued.
class StagedRun final : public PendingOp {
 public:
  StagedRun(const ExecutionPlan& plan, const AllReduceArgs& args, Transport& transport, StagingDevice& device,
            int slots)
      : plan_(plan),
        args_(args),
        transport_(transport),
        device_(device),
        pipeline_(plan, slots),
        input_(static_cast<const std::byte*>(args.input)),
        output_(static_cast<std::byte*>(args.output)) {
    const auto slotCount = static_cast<std::size_t>(slots);
    // Send slots first, then receive slots, in one page-locked block.
    host_ = device.hostSlots(slotCount * (pipeline_.sendSlotBytes() + pipeline_.recvSlotBytes()));
    const bool reduces = std::any_of(plan.steps.begin(), plan.steps.end(),
                                     [](const PlannedStep& ps) { return ps.step.reduceOnRecv; });
    if (reduces) scratch_ = device.deviceScratch(slotCount * pipeline_.recvSlotBytes());
  }

  bool test() override {
    while (round()) {
    }
    return pipeline_.finished();
  }

 private:
  struct InFlight {
    StagingAction action;
    Request request;
  };

  // Completes what has finished, then starts what the pipeline allows; true when anything moved.
  bool round() {
    bool progressed = false;
    for (std::size_t i = 0; i < inFlight_.size();) {
      if (!inFlight_[i].request->test()) {
        ++i;
        continue;
      }
      pipeline_.complete(inFlight_[i].action);
      if (i + 1 != inFlight_.size()) inFlight_[i] = std::move(inFlight_.back());
      inFlight_.pop_back();
      progressed = true;
    }
    for (const StagingAction& action : pipeline_.start()) {
      inFlight_.push_back(InFlight{action, perform(action)});
      progressed = true;
    }
    return progressed;
  }

  std::byte* sendSlot(int slot) {
    return host_.data() + static_cast<std::size_t>(slot) * pipeline_.sendSlotBytes();
  }
  std::byte* recvSlot(int slot) {
    const std::size_t sendBlock = static_cast<std::size_t>(pipeline_.slots()) * pipeline_.sendSlotBytes();
    return host_.data() + sendBlock + static_cast<std::size_t>(slot) * pipeline_.recvSlotBytes();
  }
  std::byte* scratchSlot(int slot) {
    return scratch_.data() + static_cast<std::size_t>(slot) * pipeline_.recvSlotBytes();
  }

  Request perform(const StagingAction& action) {
    const PlannedStep& ps = plan_.steps[action.step];
    switch (action.kind) {
      case StageKind::kCopyOut: {
        // Our bytes for the peer, into a host slot: from the input while they are still our own contribution.
        const ByteRange& r = ps.sends[action.segment].range;
        const std::byte* base = ps.step.sendFromInput ? input_ : output_;
        return device_.copyToHost(sendSlot(action.slot), base + r.offset, r.bytes);
      }
      case StageKind::kSend: {
        // Tag = step, as in the host executor; segments of a step are posted in order.
        const ByteRange& r = ps.sends[action.segment].range;
        return transport_.isend(ps.step.sendPeer, {sendSlot(action.slot), r.bytes}, action.step);
      }
      case StageKind::kReceive: {
        const ByteRange& r = ps.recvs[action.segment].range;
        return transport_.irecv(ps.step.recvPeer, {recvSlot(action.slot), r.bytes}, action.step);
      }
      case StageKind::kLand:
        return land(ps, action);
    }
    CCB_CHECK(false);
  }

  // A received segment into device memory: folded into the output (reduce-scatter, finalized on the last
  // step), or copied as is (all-gather).
  Request land(const PlannedStep& ps, const StagingAction& action) {
    const ByteRange& r = ps.recvs[action.segment].range;
    if (!ps.step.reduceOnRecv) {
      CCB_CHECK(!ps.step.finalizeOnRecv);
      return device_.copyFromHost(output_ + r.offset, recvSlot(action.slot), r.bytes);
    }
    ReduceLanding landing;
    landing.output = output_ + r.offset;
    landing.input = input_ + r.offset;
    landing.host = recvSlot(action.slot);
    landing.scratch = scratchSlot(action.slot);
    landing.count = r.bytes / plan_.elementBytes;
    landing.dtype = args_.dtype;
    landing.op = args_.op;
    landing.finalizeRanks = ps.step.finalizeOnRecv ? transport_.size() : 0;
    return device_.reduceFromHost(landing);
  }

  const ExecutionPlan& plan_;
  const AllReduceArgs& args_;
  Transport& transport_;
  StagingDevice& device_;
  StagingPipeline pipeline_;
  const std::byte* input_;
  std::byte* output_;
  std::span<std::byte> host_;
  std::span<std::byte> scratch_;
  std::vector<InFlight> inFlight_;
};

}  // namespace

StagedRingAllReduce::StagedRingAllReduce(Transport& transport, StagingDevice& device,
                                         const AllReduceOptions& options)
    : transport_(transport), device_(device), options_(options) {
  if (options.segmentBytes == 0) throw UsageError("segment size must be at least 1 byte");
  if (options.maxInFlight < 1) throw UsageError("segments in flight must be at least 1");
}

StagedRingAllReduce::StagedRingAllReduce(Transport& transport, std::unique_ptr<StagingDevice> device,
                                         const AllReduceOptions& options)
    : StagedRingAllReduce(transport, *device, options) {
  owned_ = std::move(device);
}

const ExecutionPlan& StagedRingAllReduce::planFor(std::size_t count, DType dtype) {
  const auto key = std::make_pair(count, dtype);
  auto it = plans_.find(key);
  if (it == plans_.end()) {
    const std::size_t elementBytes = dtypeSize(dtype);
    const Schedule schedule =
        ringAllReduceSchedule(transport_.rank(), transport_.size(), count, elementBytes);
    it = plans_.emplace(key, planExecution(schedule, elementBytes, options_)).first;
  }
  return it->second;
}

void StagedRingAllReduce::run(const AllReduceArgs& args, Clock::time_point deadline,
                              const std::string& what) {
  checkAllReduceArgs(args);
  const ExecutionPlan& plan = planFor(args.count, args.dtype);
  auto* out = static_cast<std::byte*>(args.output);
  const auto* in = static_cast<const std::byte*>(args.input);
  // Ranges no step touches (one rank alone): our own bytes, finalized, without leaving the device.
  Reducer& reducer = device_.reducer();
  for (const ByteRange& r : plan.localCopies) {
    if (in != out) reducer.copy(out + r.offset, in + r.offset, r.bytes);
  }
  for (const ByteRange& r : plan.localFinalize) {
    reducer.finalize(out + r.offset, r.bytes / plan.elementBytes, args.dtype, args.op, transport_.size());
  }
  if (plan.steps.empty()) return;
  Request run = std::make_unique<StagedRun>(plan, args, transport_, device_, options_.maxInFlight);
  wait(run, deadline, what);
}

}  // namespace ccb
