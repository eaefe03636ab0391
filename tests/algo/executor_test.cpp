// The executor without threads (suite 'unit'): how a schedule is cut into segments and what each segment
// waits for, and a scripted one-rank transport that shows sends of step s+1 leaving before step s is done.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "algo/executor.h"
#include "algo/ring_schedule.h"
#include "core/error.h"
#include "reduce/cpu_reducer.h"

namespace ccb {

// Readable failure messages for dependency lists.
void PrintTo(const SegmentDependency& d, std::ostream* os) {
  *os << "{step " << d.step << (d.onSends ? " sends" : " receives") << " done " << d.count << "}";
}

namespace {

using namespace std::chrono_literals;

AllReduceOptions segmentsOf(std::size_t segmentBytes, int maxInFlight = 4) {
  AllReduceOptions options;
  options.segmentBytes = segmentBytes;
  options.maxInFlight = maxInFlight;
  return options;
}

std::vector<ByteRange> ranges(const std::vector<Segment>& segments) {
  std::vector<ByteRange> out;
  for (const Segment& s : segments) out.push_back(s.range);
  return out;
}

std::vector<SegmentDependency> depsOf(const ExecutionPlan& plan, const Segment& seg) {
  return {plan.deps.begin() + seg.firstDep, plan.deps.begin() + seg.firstDep + seg.depCount};
}

TEST(ExecutionPlan, CutsRangesIntoEvenElementAlignedSegments) {
  // Two ranks, 10 float32: chunks of 20 bytes; segments of 10 bytes round down to 2 elements, so each
  // chunk becomes 3 segments of 2, 2 and 1 elements.
  const ExecutionPlan plan = planExecution(ringAllReduceSchedule(0, 2, 10, 4), 4, segmentsOf(10));
  ASSERT_EQ(plan.steps.size(), 2u);
  EXPECT_EQ(ranges(plan.steps[0].sends), (std::vector<ByteRange>{{0, 8}, {8, 8}, {16, 4}}));
  EXPECT_EQ(ranges(plan.steps[0].recvs), (std::vector<ByteRange>{{20, 8}, {28, 8}, {36, 4}}));
  EXPECT_EQ(plan.stagingSlotBytes, 8u);
  // Step 0 sends the input and receives into staging: it waits for nothing.
  for (const Segment& s : plan.steps[0].sends) EXPECT_EQ(s.depCount, 0u);
  for (const Segment& s : plan.steps[0].recvs) EXPECT_EQ(s.depCount, 0u);
  // Step 1 forwards chunk 1: segment j waits only for segment j of step 0's receive (pipelining).
  for (std::uint32_t j = 0; j < 3; ++j) {
    EXPECT_EQ(depsOf(plan, plan.steps[1].sends[j]), (std::vector<SegmentDependency>{{0, false, j + 1}}));
    // ...and overwrites chunk 0, which step 0 may still be sending: wait for that segment's send.
    EXPECT_EQ(depsOf(plan, plan.steps[1].recvs[j]), (std::vector<SegmentDependency>{{0, true, j + 1}}));
  }
}

TEST(ExecutionPlan, AtLeastOneElementPerSegment) {
  const ExecutionPlan plan = planExecution(ringAllReduceSchedule(1, 2, 3, 8), 8, segmentsOf(1));
  EXPECT_EQ(ranges(plan.steps[0].sends), (std::vector<ByteRange>{{16, 8}}));
  EXPECT_EQ(ranges(plan.steps[0].recvs), (std::vector<ByteRange>{{0, 8}, {8, 8}}));
}

TEST(ExecutionPlan, RejectsBadOptions) {
  const Schedule s = ringAllReduceSchedule(0, 2, 10, 4);
  EXPECT_THROW(planExecution(s, 4, segmentsOf(0)), UsageError);
  EXPECT_THROW(planExecution(s, 4, segmentsOf(64, 0)), UsageError);
}

// Rank 0 of 2, scripted: a receive completes on its 2nd test(), a send on its 8th, so the executor sees
// traffic trickle in and sends linger while later receives could already be posted. Received float32 are 2 in step 0 and 5 in step 1. It logs sends and receive completions in order and
// flags any receive posted into bytes a pending send still reads, or a send of bytes a pending receive writes.
class ScriptedTransport final : public Transport {
 public:
  struct Event {
    bool isSend;
    int tag;
  };

  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::string name() const override { return "scripted"; }

  Request isend(int, std::span<const std::byte> data, int tag) override {
    checkNoOverlap(data, recvs_, "send reads bytes a pending receive writes");
    log.push_back({true, tag});
    sentValues.push_back(firstFloat(data));
    return track(sends_, data, nullptr, tag);
  }
  Request irecv(int, std::span<std::byte> data, int tag) override {
    checkNoOverlap(data, sends_, "receive writes bytes a pending send reads");
    return track(recvs_, data, data.data(), tag);
  }
  Request ibarrier() override { return nullptr; }

  std::vector<Event> log;
  std::vector<float> sentValues;  // first element of every send
  std::vector<std::string> hazards;

 private:
  struct Op {
    std::span<const std::byte> data;
    std::byte* target;  // where a receive writes; nullptr for a send
    int tag;
    int tests = 0;
    bool done = false;
  };
  class ScriptedOp final : public PendingOp {
   public:
    ScriptedOp(ScriptedTransport& t, std::shared_ptr<Op> op) : t_(t), op_(std::move(op)) {}
    bool test() override {
      const int testsToComplete = op_->target != nullptr ? 2 : 8;
      if (!op_->done && ++op_->tests >= testsToComplete) t_.complete(*op_);
      return op_->done;
    }

   private:
    ScriptedTransport& t_;
    std::shared_ptr<Op> op_;
  };

  static float firstFloat(std::span<const std::byte> data) {
    float v = 0;
    std::memcpy(&v, data.data(), sizeof v);
    return v;
  }
  Request track(std::vector<std::shared_ptr<Op>>& list, std::span<const std::byte> data, std::byte* target,
                int tag) {
    auto op = std::make_shared<Op>(Op{data, target, tag});
    list.push_back(op);
    return std::make_unique<ScriptedOp>(*this, op);
  }
  void complete(Op& op) {
    op.done = true;
    if (op.target == nullptr) return;
    const float value = op.tag == 0 ? 2.0f : 5.0f;
    for (std::size_t i = 0; i + sizeof value <= op.data.size(); i += sizeof value) {
      std::memcpy(op.target + i, &value, sizeof value);
    }
    log.push_back({false, op.tag});
  }
  void checkNoOverlap(std::span<const std::byte> data, const std::vector<std::shared_ptr<Op>>& pending,
                      const char* hazard) {
    for (const auto& op : pending) {
      if (op->done) continue;
      const std::byte* a = data.data();
      const std::byte* b = op->data.data();
      if (a < b + op->data.size() && b < a + data.size()) hazards.push_back(hazard);
    }
  }

  std::vector<std::shared_ptr<Op>> sends_;
  std::vector<std::shared_ptr<Op>> recvs_;
};

TEST(ScheduleExecutor, PipelinesSegmentsAcrossSteps) {
  for (bool inPlace : {false, true}) {
    SCOPED_TRACE(inPlace ? "in place" : "out of place");
    // 32 float32 on 2 ranks: chunks of 16 elements, 4 segments of 16 bytes per step.
    ScriptedTransport transport;
    CpuReducer reducer;
    std::vector<float> input(32, 1.0f), separate(32, -1.0f);
    float* output = inPlace ? input.data() : separate.data();
    const AllReduceArgs args{input.data(), output, 32, DType::kFloat32, ReduceOp::kSum};
    executeSchedule(ringAllReduceSchedule(0, 2, 32, 4), transport, reducer, args, segmentsOf(16, 2),
                    Clock::now() + 10s, "scripted run");

    EXPECT_TRUE(transport.hazards.empty()) << transport.hazards.front();
    // Chunk 0 is what rank 1 sent in the all-gather (5), chunk 1 is own 1 + received 2.
    for (int i = 0; i < 16; ++i) EXPECT_EQ(output[i], 5.0f) << i;
    for (int i = 16; i < 32; ++i) EXPECT_EQ(output[i], 3.0f) << i;
    // Step 0 sends the input (1), step 1 forwards the reduced chunk (3).
    ASSERT_EQ(transport.sentValues.size(), 8u);
    for (int j = 0; j < 4; ++j) EXPECT_EQ(transport.sentValues[j], 1.0f);
    for (int j = 4; j < 8; ++j) EXPECT_EQ(transport.sentValues[j], 3.0f);
    // Pipelining: the first send of step 1 leaves before the last receive of step 0 has arrived.
    std::size_t firstStep1Send = transport.log.size(), step0Receives = 0, lastStep0Receive = 0;
    for (std::size_t i = 0; i < transport.log.size(); ++i) {
      const auto& e = transport.log[i];
      if (e.isSend && e.tag == 1 && firstStep1Send == transport.log.size()) firstStep1Send = i;
      if (!e.isSend && e.tag == 0) {
        ++step0Receives;
        lastStep0Receive = i;
      }
    }
    EXPECT_EQ(step0Receives, 4u);
    EXPECT_LT(firstStep1Send, lastStep0Receive);
  }
}

// A peer that never answers: the run ends at the deadline with TimeoutError naming the operation.
class SilentTransport final : public Transport {
 public:
  int rank() const override { return 0; }
  int size() const override { return 2; }
  std::string name() const override { return "silent"; }
  Request isend(int, std::span<const std::byte>, int) override { return std::make_unique<Never>(); }
  Request irecv(int, std::span<std::byte>, int) override { return std::make_unique<Never>(); }
  Request ibarrier() override { return std::make_unique<Never>(); }

 private:
  struct Never final : PendingOp {
    bool test() override { return false; }
  };
};

TEST(ScheduleExecutor, TimesOutNamingTheOperation) {
  SilentTransport transport;
  CpuReducer reducer;
  std::vector<float> data(8, 1.0f);
  const AllReduceArgs args{data.data(), data.data(), 8, DType::kFloat32, ReduceOp::kSum};
  try {
    executeSchedule(ringAllReduceSchedule(0, 2, 8, 4), transport, reducer, args, segmentsOf(1 << 20),
                    Clock::now() + 50ms, "all-reduce of 32 B");
    ADD_FAILURE() << "no timeout";
  } catch (const TimeoutError& e) {
    EXPECT_NE(std::string(e.what()).find("all-reduce of 32 B: timed out"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ccb
