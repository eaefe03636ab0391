// Ring all-reduce over the loopback transport (suite 'loopback'): K = 1..16 ranks as threads, every dtype and
// op, in place and out of place, odd counts, and a larger count cut into many small segments so that the
// executor's pipelining really runs. Results are checked against reduce/verify.h's exact expectations.
#include <gtest/gtest.h>

#include <cstddef>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "algo/allreduce.h"
#include "comm/loopback_transport.h"
#include "core/error.h"
#include "reduce/cpu_reducer.h"
#include "reduce/verify.h"

namespace ccb {
namespace {

using namespace std::chrono_literals;

// Many small segments with 1 to 3 in flight (varying with K), and a size that is no multiple of 8 (rounded
// down for 8-byte elements), so steps overlap and the segment arithmetic meets ragged ends.
AllReduceOptions smallSegments(int ranks) {
  AllReduceOptions options;
  options.segmentBytes = 100;
  options.maxInFlight = 1 + ranks % 3;
  return options;
}

// Prime; with smallSegments() a chunk is 2 (K = 16, 2-byte elements) to 43 (K = 2, 8-byte) segments.
constexpr std::size_t kLargeCount = 1031;

struct Case {
  DType dtype;
  ReduceOp op;
  std::size_t count;
  bool inPlace;
  bool small;  // run with smallSegments()
};

std::string describe(const Case& c) {
  std::ostringstream os;
  os << dtypeName(c.dtype) << " " << opName(c.op) << " count " << c.count << (c.inPlace ? " in place" : "")
     << (c.small ? " small segments" : "");
  return os.str();
}

std::vector<Case> casesFor(int ranks) {
  const auto k = static_cast<std::size_t>(ranks);
  std::vector<Case> cases;
  for (DType dtype : kAllDTypes) {
    for (ReduceOp op : kAllOps) {
      for (bool inPlace : {false, true}) {
        for (std::size_t count : {std::size_t{0}, std::size_t{1}, k - 1, k + 1, std::size_t{97}}) {
          cases.push_back({dtype, op, count, inPlace, false});
        }
        cases.push_back({dtype, op, kLargeCount, inPlace, true});
      }
    }
  }
  return cases;
}

// One rank's share of the test: runs every case in the same order as its peers and describes each wrong
// result (wrong output elements, or an input that an out-of-place run changed).
std::vector<std::string> runCases(Transport& transport, const std::vector<Case>& cases) {
  CpuReducer reducer;
  auto plain = makeAllReduce("ring", transport, reducer, AllReduceOptions{});
  auto pipelined = makeAllReduce("ring", transport, reducer, smallSegments(transport.size()));
  std::vector<std::string> failures;
  const int rank = transport.rank();
  const int ranks = transport.size();
  for (const Case& c : cases) {
    const std::size_t bytes = c.count * dtypeSize(c.dtype);
    // Vectors of 8-byte elements keep every dtype aligned.
    std::vector<std::uint64_t> input(bytes / 8 + 1), output(bytes / 8 + 1), expected(bytes / 8 + 1);
    std::vector<std::uint64_t> pristine(bytes / 8 + 1);
    fillInput(input.data(), c.count, c.dtype, c.op, rank, ranks);
    fillInput(pristine.data(), c.count, c.dtype, c.op, rank, ranks);
    fillExpected(expected.data(), c.count, c.dtype, c.op, ranks);
    fillPoison(output.data(), c.count, c.dtype);
    void* out = c.inPlace ? static_cast<void*>(input.data()) : output.data();
    const AllReduceArgs args{input.data(), out, c.count, c.dtype, c.op};
    (c.small ? pipelined : plain)->run(args, Clock::now() + 60s, describe(c));
    if (const std::size_t wrong = countWrong(out, expected.data(), c.count, c.dtype)) {
      failures.push_back("rank " + std::to_string(rank) + ", " + describe(c) + ": " + std::to_string(wrong) +
                         " wrong elements");
    }
    if (!c.inPlace && countWrong(input.data(), pristine.data(), c.count, c.dtype) != 0) {
      failures.push_back("rank " + std::to_string(rank) + ", " + describe(c) + ": input changed");
    }
  }
  return failures;
}

class RingLoopback : public testing::TestWithParam<int> {};

TEST_P(RingLoopback, EveryDTypeOpCountAndPlacement) {
  const int ranks = GetParam();
  const std::vector<Case> cases = casesFor(ranks);
  std::mutex mutex;
  std::vector<std::string> failures;
  runLoopback(ranks, [&](Transport& transport) {
    std::vector<std::string> mine = runCases(transport, cases);
    std::lock_guard lock(mutex);
    failures.insert(failures.end(), mine.begin(), mine.end());
  });
  EXPECT_TRUE(failures.empty()) << failures.size() << " failures, first: " << failures.front();
}

INSTANTIATE_TEST_SUITE_P(Ranks, RingLoopback, testing::Range(1, 17),
                         [](const testing::TestParamInfo<int>& info) {
                           std::ostringstream name;
                           name << "K" << info.param;
                           return name.str();
                         });

// One rank never joins: its peers end at the deadline with a TimeoutError that names the operation.
TEST(RingLoopbackErrors, MissingRankTimesOut) {
  constexpr int kRanks = 3;
  std::mutex mutex;
  std::vector<std::string> messages;
  runLoopback(kRanks, [&](Transport& transport) {
    if (transport.rank() == kRanks - 1) return;  // never joins
    CpuReducer reducer;
    auto ring = makeAllReduce("ring", transport, reducer, AllReduceOptions{});
    std::vector<float> data(1024, 1.0f);
    const AllReduceArgs args{data.data(), data.data(), data.size(), DType::kFloat32, ReduceOp::kSum};
    std::string message = "no error";
    try {
      ring->run(args, Clock::now() + 300ms, "ring all-reduce of 4 KiB");
    } catch (const TimeoutError& e) {
      message = e.what();
    }
    std::lock_guard lock(mutex);
    messages.push_back(message);
  });
  ASSERT_EQ(messages.size(), 2u);
  for (const std::string& m : messages) EXPECT_NE(m.find("ring all-reduce of 4 KiB: timed out"), std::string::npos) << m;
}

TEST(RingLoopbackErrors, FactoryNamesAndRejections) {
  LoopbackFabric fabric(1);
  LoopbackTransport transport(fabric, 0);
  CpuReducer reducer;
  EXPECT_EQ(allReduceNames(), (std::vector<std::string>{"ring", "mpi"}));
  EXPECT_EQ(makeAllReduce("ring", transport, reducer, AllReduceOptions{})->name(), "ring");
  try {
    makeAllReduce("tree", transport, reducer, AllReduceOptions{});
    ADD_FAILURE() << "unknown name accepted";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("'tree' (valid: ring, mpi)"), std::string::npos) << e.what();
  }
  try {
    makeAllReduce("mpi", transport, reducer, AllReduceOptions{});
    ADD_FAILURE() << "mpi accepted a loopback transport";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("loopback"), std::string::npos) << e.what();
  }
  AllReduceOptions zeroSegments;
  zeroSegments.segmentBytes = 0;
  EXPECT_THROW(makeAllReduce("ring", transport, reducer, zeroSegments), UsageError);
}

TEST(RingLoopbackErrors, RejectsPartiallyOverlappingBuffers) {
  LoopbackFabric fabric(1);
  LoopbackTransport transport(fabric, 0);
  CpuReducer reducer;
  auto ring = makeAllReduce("ring", transport, reducer, AllReduceOptions{});
  std::vector<float> data(16, 1.0f);
  EXPECT_THROW(ring->run({data.data(), data.data() + 1, 8, DType::kFloat32, ReduceOp::kSum}, Clock::now() + 1s, "x"),
               UsageError);
  EXPECT_THROW(ring->run({nullptr, data.data(), 8, DType::kFloat32, ReduceOp::kSum}, Clock::now() + 1s, "x"),
               UsageError);
  ring->run({nullptr, nullptr, 0, DType::kFloat32, ReduceOp::kSum}, Clock::now() + 1s, "empty");
}

}  // namespace
}  // namespace ccb
