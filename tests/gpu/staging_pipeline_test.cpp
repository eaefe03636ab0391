// The staged ring's pipeline (suite 'unit'): which segment is in which stage at which tick on the tick model,
// that stages of consecutive segments overlap, that slots bound it, that every action respects the plan's
// device-memory dependencies, and that the pipelines of a whole ring always finish.
#include "backends/staging_pipeline.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <vector>

#include "algo/ring_schedule.h"
#include "core/error.h"

namespace ccb {
namespace {

AllReduceOptions segmentsOf(std::size_t segmentBytes, int slots) {
  AllReduceOptions options;
  options.segmentBytes = segmentBytes;
  options.maxInFlight = slots;
  return options;
}

// The events of one rank at one tick, as (kind, step, segment).
std::set<std::tuple<StageKind, int, std::uint32_t>> activeAt(const std::vector<StagingEvent>& events,
                                                             int rank, int tick) {
  std::set<std::tuple<StageKind, int, std::uint32_t>> active;
  for (const StagingEvent& e : events) {
    if (e.rank == rank && e.tick == tick) active.insert({e.action.kind, e.action.step, e.action.segment});
  }
  return active;
}

int tickOf(const std::vector<StagingEvent>& events, int rank, StageKind kind, int step,
           std::uint32_t segment) {
  for (const StagingEvent& e : events) {
    if (e.rank == rank && e.action.kind == kind && e.action.step == step && e.action.segment == segment)
      return e.tick;
  }
  return -1;
}

// Two ranks, 64 floats: each chunk is 128 bytes, eight 16-byte segments. With enough slots the first step
// is a textbook software pipeline: at tick t segment t is copied out, t-1 is on the wire, t-2 lands.
TEST(StagingPipeline, ConsecutiveSegmentsOverlapAcrossStages) {
  const auto events = simulateStagedRing(2, 64, 4, segmentsOf(16, 4));
  for (int rank = 0; rank < 2; ++rank) {
    EXPECT_EQ(activeAt(events, rank, 0),
              (std::set<std::tuple<StageKind, int, std::uint32_t>>{{StageKind::kCopyOut, 0, 0}}));
    // The receive of segment 0 completes in the tick the peer sends it.
    EXPECT_EQ(activeAt(events, rank, 1),
              (std::set<std::tuple<StageKind, int, std::uint32_t>>{
                  {StageKind::kCopyOut, 0, 1}, {StageKind::kSend, 0, 0}, {StageKind::kReceive, 0, 0}}));
    EXPECT_EQ(activeAt(events, rank, 2),
              (std::set<std::tuple<StageKind, int, std::uint32_t>>{{StageKind::kCopyOut, 0, 2},
                                                                   {StageKind::kSend, 0, 1},
                                                                   {StageKind::kReceive, 0, 1},
                                                                   {StageKind::kLand, 0, 0}}));
    for (std::uint32_t j = 0; j < 4; ++j) {
      EXPECT_EQ(tickOf(events, rank, StageKind::kCopyOut, 0, j), static_cast<int>(j));
      EXPECT_EQ(tickOf(events, rank, StageKind::kSend, 0, j), static_cast<int>(j) + 1);
      EXPECT_EQ(tickOf(events, rank, StageKind::kLand, 0, j), static_cast<int>(j) + 2);
    }
  }
}

// One slot per direction: a segment's copy-out waits until the previous segment's send has freed the slot,
// so copy-out and send never overlap and the run takes longer.
TEST(StagingPipeline, OneSlotSerialisesCopyOutAndSend) {
  const auto events = simulateStagedRing(2, 64, 4, segmentsOf(16, 1));
  for (std::uint32_t j = 0; j + 1 < 8; ++j) {
    EXPECT_GT(tickOf(events, 0, StageKind::kCopyOut, 0, j + 1), tickOf(events, 0, StageKind::kSend, 0, j));
  }
  const auto lastTick = [](const std::vector<StagingEvent>& ev) {
    return std::max_element(ev.begin(), ev.end(), [](auto& a, auto& b) { return a.tick < b.tick; })->tick;
  };
  EXPECT_GT(lastTick(events), lastTick(simulateStagedRing(2, 64, 4, segmentsOf(16, 4))));
}

// Replays one rank's events in tick order and checks that each copy-out and land started only after the
// actions its plan dependencies name had finished (copy-outs for sends, lands for receives), in an
// earlier tick.
void expectDependenciesHonoured(const std::vector<StagingEvent>& events, const ExecutionPlan& plan,
                                int rank) {
  std::map<std::tuple<bool, int, std::uint32_t>, int> finishedAt;  // (onSends, step, segment) -> tick
  for (const StagingEvent& e : events) {
    if (e.rank != rank) continue;
    if (e.action.kind == StageKind::kCopyOut) finishedAt[{true, e.action.step, e.action.segment}] = e.tick;
    if (e.action.kind == StageKind::kLand) finishedAt[{false, e.action.step, e.action.segment}] = e.tick;
  }
  for (const StagingEvent& e : events) {
    if (e.rank != rank || (e.action.kind != StageKind::kCopyOut && e.action.kind != StageKind::kLand))
      continue;
    const PlannedStep& ps = plan.steps[e.action.step];
    const Segment& seg =
        e.action.kind == StageKind::kCopyOut ? ps.sends[e.action.segment] : ps.recvs[e.action.segment];
    for (std::uint32_t d = seg.firstDep; d < seg.firstDep + seg.depCount; ++d) {
      const SegmentDependency& dep = plan.deps[d];
      for (std::uint32_t k = 0; k < dep.count; ++k) {
        const auto it = finishedAt.find({dep.onSends, dep.step, k});
        ASSERT_NE(it, finishedAt.end());
        EXPECT_LT(it->second, e.tick)
            << "rank " << rank << " step " << e.action.step << " segment " << e.action.segment;
      }
    }
  }
}

struct RingCase {
  int ranks;
  std::size_t count;
  std::size_t segmentBytes;
  int slots;
};

// Every ring finishes, every segment passes each of its two stages exactly once and in order, sends of a
// step go out in segment order, and no action runs before what it depends on.
TEST(StagingPipeline, EveryRingFinishesWithEveryStageOnceAndInOrder) {
  std::vector<RingCase> cases;
  for (int ranks = 1; ranks <= 6; ++ranks) {
    for (std::size_t count : {std::size_t{0}, std::size_t{1}, static_cast<std::size_t>(ranks - 1),
                              std::size_t{13}, std::size_t{100}}) {
      for (std::size_t segmentBytes : {std::size_t{4}, std::size_t{12}, std::size_t{1} << 20}) {
        for (int slots : {1, 2, 4}) cases.push_back({ranks, count, segmentBytes, slots});
      }
    }
  }
  for (const RingCase& c : cases) {
    SCOPED_TRACE("ranks " + std::to_string(c.ranks) + " count " + std::to_string(c.count) + " segment " +
                 std::to_string(c.segmentBytes) + " slots " + std::to_string(c.slots));
    const AllReduceOptions options = segmentsOf(c.segmentBytes, c.slots);
    const auto events = simulateStagedRing(c.ranks, c.count, 4, options);
    for (int rank = 0; rank < c.ranks; ++rank) {
      const ExecutionPlan plan = planExecution(ringAllReduceSchedule(rank, c.ranks, c.count, 4), 4, options);
      for (int s = 0; s < static_cast<int>(plan.steps.size()); ++s) {
        int lastSendTick = -1;
        for (std::uint32_t j = 0; j < plan.steps[s].sends.size(); ++j) {
          const int copied = tickOf(events, rank, StageKind::kCopyOut, s, j);
          const int sent = tickOf(events, rank, StageKind::kSend, s, j);
          ASSERT_GE(copied, 0);
          EXPECT_LT(copied, sent);
          EXPECT_LE(lastSendTick, sent);
          lastSendTick = sent;
        }
        for (std::uint32_t j = 0; j < plan.steps[s].recvs.size(); ++j) {
          const int received = tickOf(events, rank, StageKind::kReceive, s, j);
          ASSERT_GE(received, 0);
          EXPECT_LT(received, tickOf(events, rank, StageKind::kLand, s, j));
        }
      }
      std::size_t segments = 0;
      for (const PlannedStep& ps : plan.steps) segments += ps.sends.size() + ps.recvs.size();
      const auto mine =
          std::count_if(events.begin(), events.end(), [&](const StagingEvent& e) { return e.rank == rank; });
      EXPECT_EQ(static_cast<std::size_t>(mine), 2 * segments);
      expectDependenciesHonoured(events, plan, rank);
    }
  }
}

TEST(StagingPipeline, RejectsNoSlotsAndUnknownCompletions) {
  const ExecutionPlan plan = planExecution(ringAllReduceSchedule(0, 2, 8, 4), 4, segmentsOf(16, 2));
  EXPECT_THROW(StagingPipeline(plan, 0), UsageError);
  StagingPipeline pipeline(plan, 2);
  EXPECT_EQ(pipeline.sendSlotBytes(), 16u);
  EXPECT_EQ(pipeline.recvSlotBytes(), 16u);
  const std::vector<StagingAction> first = pipeline.start();
  ASSERT_FALSE(first.empty());
  EXPECT_THROW(pipeline.complete(StagingAction{StageKind::kLand, 0, 0, 0}), InvariantError);
  EXPECT_FALSE(pipeline.finished());
}

// A rank alone has nothing to stage.
TEST(StagingPipeline, OneRankIsFinishedAtOnce) {
  const ExecutionPlan plan = planExecution(ringAllReduceSchedule(0, 1, 100, 4), 4, segmentsOf(16, 2));
  StagingPipeline pipeline(plan, 2);
  EXPECT_TRUE(pipeline.finished());
  EXPECT_TRUE(pipeline.start().empty());
}

}  // namespace
}  // namespace ccb
