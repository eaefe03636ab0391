// The staged ring's state machine and its tick model; see staging_pipeline.h for the rules.
#include "backends/staging_pipeline.h"

#include <algorithm>
#include <array>
#include <deque>
#include <set>
#include <tuple>

#include "algo/ring_schedule.h"
#include "core/error.h"

namespace ccb {

StagingPipeline::StagingPipeline(const ExecutionPlan& plan, int slots) : plan_(plan), slots_(slots) {
  if (slots < 1) throw UsageError("segments in flight must be at least 1");
  for (const PlannedStep& ps : plan.steps) {
    copiedOut_.push_back(Progress{std::vector<char>(ps.sends.size(), 0), 0});
    landed_.push_back(Progress{std::vector<char>(ps.recvs.size(), 0), 0});
    remaining_ += ps.sends.size() + ps.recvs.size();
    for (const Segment& seg : ps.sends) sendSlotBytes_ = std::max(sendSlotBytes_, seg.range.bytes);
    for (const Segment& seg : ps.recvs) recvSlotBytes_ = std::max(recvSlotBytes_, seg.range.bytes);
  }
  for (int slot = slots - 1; slot >= 0; --slot) {
    freeSendSlots_.push_back(slot);
    freeRecvSlots_.push_back(slot);
  }
}

bool StagingPipeline::depsMet(const Segment& seg) const {
  for (std::uint32_t i = seg.firstDep; i < seg.firstDep + seg.depCount; ++i) {
    const SegmentDependency& dep = plan_.deps[i];
    // A dependency on sends is on their device reads (copy-out); on receives, on their device writes (land).
    const Progress& progress = dep.onSends ? copiedOut_[dep.step] : landed_[dep.step];
    if (progress.prefix < dep.count) return false;
  }
  return true;
}

// Moves `cursor` past steps whose segments (of this direction) are all started; false when none is left.
bool StagingPipeline::nextSegment(Cursor& cursor, bool sends) const {
  while (cursor.step < static_cast<int>(plan_.steps.size())) {
    const PlannedStep& ps = plan_.steps[cursor.step];
    if (cursor.segment < (sends ? ps.sends.size() : ps.recvs.size())) return true;
    ++cursor.step;
    cursor.segment = 0;
  }
  return false;
}

std::vector<StagingAction> StagingPipeline::start() {
  std::vector<StagingAction> actions;
  // Received segments land as soon as the device bytes they overwrite are free.
  for (auto it = waitingToLand_.begin(); it != waitingToLand_.end();) {
    if (depsMet(plan_.steps[it->step].recvs[it->segment])) {
      actions.push_back(StagingAction{StageKind::kLand, it->step, it->segment, it->slot});
      it = waitingToLand_.erase(it);
    } else {
      ++it;
    }
  }
  // Copied-out segments go on the wire at once, but in order: the peer matches them by posting order.
  while (nextSegment(nextSend_, true)) {
    const auto copied = std::find_if(readyToSend_.begin(), readyToSend_.end(), [&](const StagingAction& a) {
      return a.step == nextSend_.step && a.segment == nextSend_.segment;
    });
    if (copied == readyToSend_.end()) break;
    actions.push_back(StagingAction{StageKind::kSend, copied->step, nextSend_.segment++, copied->slot});
    readyToSend_.erase(copied);
  }
  // Copy-outs in (step, segment) order, each once its bytes are written and a send slot is free.
  while (!freeSendSlots_.empty() && nextSegment(nextCopyOut_, true)) {
    if (!depsMet(plan_.steps[nextCopyOut_.step].sends[nextCopyOut_.segment])) break;
    actions.push_back(
        StagingAction{StageKind::kCopyOut, nextCopyOut_.step, nextCopyOut_.segment++, freeSendSlots_.back()});
    freeSendSlots_.pop_back();
  }
  // Receives in (step, segment) order into free slots: they touch no device memory, so they wait for nothing
  // else, and a peer's send never waits for a receive we could have posted.
  while (!freeRecvSlots_.empty() && nextSegment(nextReceive_, false)) {
    actions.push_back(
        StagingAction{StageKind::kReceive, nextReceive_.step, nextReceive_.segment++, freeRecvSlots_.back()});
    freeRecvSlots_.pop_back();
  }
  inFlight_.insert(inFlight_.end(), actions.begin(), actions.end());
  return actions;
}

void StagingPipeline::markDone(Progress& progress, std::uint32_t segment) {
  progress.done[segment] = 1;
  while (progress.prefix < progress.done.size() && progress.done[progress.prefix]) ++progress.prefix;
}

void StagingPipeline::complete(const StagingAction& action) {
  const auto it = std::find(inFlight_.begin(), inFlight_.end(), action);
  CCB_CHECK(it != inFlight_.end());
  inFlight_.erase(it);
  switch (action.kind) {
    case StageKind::kCopyOut:
      markDone(copiedOut_[action.step], action.segment);
      readyToSend_.push_back(action);
      break;
    case StageKind::kSend:
      freeSendSlots_.push_back(action.slot);
      --remaining_;
      break;
    case StageKind::kReceive:
      waitingToLand_.push_back(action);
      break;
    case StageKind::kLand:
      markDone(landed_[action.step], action.segment);
      freeRecvSlots_.push_back(action.slot);
      --remaining_;
      break;
  }
}

namespace {

// The engine of the tick model that runs an action: copy to host, network out, copy to device.
int engineOf(StageKind kind) {
  switch (kind) {
    case StageKind::kCopyOut:
      return 0;
    case StageKind::kSend:
      return 1;
    case StageKind::kLand:
      return 2;
    case StageKind::kReceive:
      break;
  }
  CCB_CHECK(false);
}

// A message on the model's wire: (source, destination, step, segment).
using Message = std::tuple<int, int, int, std::uint32_t>;

}  // namespace

std::vector<StagingEvent> simulateStagedRing(int ranks, std::size_t count, std::size_t elementBytes,
                                             const AllReduceOptions& options) {
  std::vector<ExecutionPlan> plans;
  for (int r = 0; r < ranks; ++r) {
    plans.push_back(
        planExecution(ringAllReduceSchedule(r, ranks, count, elementBytes), elementBytes, options));
  }
  std::vector<StagingPipeline> pipelines;
  pipelines.reserve(plans.size());
  for (int r = 0; r < ranks; ++r) pipelines.emplace_back(plans[r], options.maxInFlight);
  std::vector<std::array<std::deque<StagingAction>, 3>> engines(ranks);
  std::vector<std::vector<StagingAction>> posted(ranks);  // receives waiting for their message
  std::set<Message> onWire;

  std::vector<StagingEvent> events;
  for (int tick = 0;; ++tick) {
    if (std::all_of(pipelines.begin(), pipelines.end(),
                    [](const StagingPipeline& p) { return p.finished(); })) {
      return events;
    }
    for (int r = 0; r < ranks; ++r) {
      for (const StagingAction& a : pipelines[r].start()) {
        if (a.kind == StageKind::kReceive) {
          posted[r].push_back(a);
        } else {
          engines[r][engineOf(a.kind)].push_back(a);
        }
      }
    }
    std::vector<StagingEvent> ran;
    for (int r = 0; r < ranks; ++r) {
      for (auto& engine : engines[r]) {
        if (engine.empty()) continue;
        const StagingAction a = engine.front();
        engine.pop_front();
        ran.push_back(StagingEvent{r, tick, a});
        if (a.kind == StageKind::kSend)
          onWire.insert({r, plans[r].steps[a.step].step.sendPeer, a.step, a.segment});
      }
    }
    for (int r = 0; r < ranks; ++r) {
      std::erase_if(posted[r], [&](const StagingAction& a) {
        const auto message = onWire.find({plans[r].steps[a.step].step.recvPeer, r, a.step, a.segment});
        if (message == onWire.end()) return false;
        onWire.erase(message);
        ran.push_back(StagingEvent{r, tick, a});
        return true;
      });
    }
    CCB_CHECK(!ran.empty());  // nothing ran and nothing arrived: the pipelines are stuck
    for (const StagingEvent& e : ran) pipelines[e.rank].complete(e.action);
    events.insert(events.end(), ran.begin(), ran.end());
  }
}

}  // namespace ccb
