// The staged ring over the loopback transport with a fake device (suite 'loopback'): the executor that the
// GPU path uses, checked for every dtype, op, placement and count on 1..6 ranks, with device operations that
// complete late and out of order.
#include <gtest/gtest.h>

#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "backends/staged_ring.h"
#include "comm/loopback_transport.h"
#include "core/error.h"
#include "fake_staging_device.h"
#include "ring_cases.h"

namespace ccb {
namespace {

using namespace std::chrono_literals;

class StagedRingLoopback : public testing::TestWithParam<int> {};

TEST_P(StagedRingLoopback, EveryDTypeOpCountAndPlacement) {
  const int ranks = GetParam();
  const std::vector<RingCase> cases = ringCases(ranks);
  std::mutex mutex;
  std::vector<std::string> failures;
  int leftPending = 0;
  runLoopback(ranks, [&](Transport& transport) {
    FakeStagingDevice device(static_cast<unsigned>(transport.rank()) + 17u, 3);
    StagedRingAllReduce plain(transport, device, AllReduceOptions{});
    StagedRingAllReduce small(transport, device, smallSegmentOptions());
    std::vector<std::string> mine = runRingCases(transport, plain, small, MemKind::kHost, cases);
    std::lock_guard lock(mutex);
    failures.insert(failures.end(), mine.begin(), mine.end());
    leftPending += device.pending();
    if (ranks > 1) {
      EXPECT_GT(device.started(), 0);
    }
  });
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
  EXPECT_EQ(leftPending, 0);
}

INSTANTIATE_TEST_SUITE_P(Ranks, StagedRingLoopback, testing::Range(1, 7),
                         [](const testing::TestParamInfo<int>& info) {
                           std::ostringstream name;
                           name << "K" << info.param;
                           return name.str();
                         });

TEST(StagedRingErrors, BadOptionsAndArguments) {
  LoopbackFabric fabric(1);
  LoopbackTransport transport(fabric, 0);
  FakeStagingDevice device(1, 0);
  AllReduceOptions noSegment;
  noSegment.segmentBytes = 0;
  EXPECT_THROW(StagedRingAllReduce(transport, device, noSegment), UsageError);
  AllReduceOptions noSlots;
  noSlots.maxInFlight = 0;
  EXPECT_THROW(StagedRingAllReduce(transport, device, noSlots), UsageError);
  StagedRingAllReduce ring(transport, device, AllReduceOptions{});
  EXPECT_EQ(ring.name(), "ring");
  EXPECT_THROW(
      ring.run(AllReduceArgs{nullptr, nullptr, 4, DType::kFloat32, ReduceOp::kSum}, Clock::now() + 1s, "x"),
      UsageError);
}

// One rank never joins: its peers stop at the deadline with a TimeoutError naming the operation, and the
// device's abandoned operations are not left counted as running.
TEST(StagedRingErrors, MissingRankTimesOut) {
  constexpr int kRanks = 3;
  std::mutex mutex;
  std::vector<std::string> messages;
  runLoopback(kRanks, [&](Transport& transport) {
    if (transport.rank() == kRanks - 1) return;
    FakeStagingDevice device(5, 1);
    StagedRingAllReduce ring(transport, device, AllReduceOptions{});
    std::vector<float> data(1024, 1.0f);
    const AllReduceArgs args{data.data(), data.data(), data.size(), DType::kFloat32, ReduceOp::kSum};
    std::string message = "no error";
    try {
      ring.run(args, Clock::now() + 300ms, "staged ring of 4 KiB");
    } catch (const TimeoutError& e) {
      message = e.what();
    }
    std::lock_guard lock(mutex);
    messages.push_back(message);
    EXPECT_EQ(device.pending(), 0);
  });
  ASSERT_EQ(messages.size(), 2u);
  for (const std::string& m : messages)
    EXPECT_NE(m.find("staged ring of 4 KiB: timed out"), std::string::npos) << m;
}

}  // namespace
}  // namespace ccb
