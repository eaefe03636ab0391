#include "ring_cases.h"

#include <chrono>
#include <cstdint>
#include <sstream>

#include "reduce/verify.h"

namespace ccb {
namespace {

using namespace std::chrono_literals;

std::string describe(const RingCase& c) {
  std::ostringstream os;
  os << dtypeName(c.dtype) << " " << opName(c.op) << " count " << c.count << (c.inPlace ? " in place" : "")
     << (c.smallSegments ? " small segments" : "");
  return os.str();
}

}  // namespace

AllReduceOptions smallSegmentOptions() {
  AllReduceOptions options;
  options.segmentBytes = 50;
  options.maxInFlight = 3;
  return options;
}

std::vector<RingCase> ringCases(int ranks) {
  const auto k = static_cast<std::size_t>(ranks);
  std::vector<RingCase> cases;
  for (DType dtype : kAllDTypes) {
    for (ReduceOp op : kAllOps) {
      for (bool inPlace : {false, true}) {
        for (std::size_t count : {std::size_t{0}, std::size_t{1}, k - 1, k + 1, std::size_t{97}}) {
          cases.push_back({dtype, op, count, inPlace, false});
        }
        cases.push_back({dtype, op, 2003, inPlace, true});
      }
    }
  }
  return cases;
}

std::vector<std::string> runRingCases(Transport& transport, AllReduce& plain, AllReduce& small, MemKind kind,
                                      const std::vector<RingCase>& cases) {
  std::vector<std::string> failures;
  const int rank = transport.rank();
  const int ranks = transport.size();
  for (const RingCase& c : cases) {
    const std::size_t bytes = c.count * dtypeSize(c.dtype);
    // Host vectors of 8-byte units keep every dtype aligned; the buffers under test live in `kind` memory.
    std::vector<std::uint64_t> input(bytes / 8 + 1), poison(bytes / 8 + 1), expected(bytes / 8 + 1),
        actual(bytes / 8 + 1);
    fillInput(input.data(), c.count, c.dtype, c.op, rank, ranks);
    fillPoison(poison.data(), c.count, c.dtype);
    fillExpected(expected.data(), c.count, c.dtype, c.op, ranks);
    const auto in = allocateBuffer(kind, bytes + 8);
    const auto out = allocateBuffer(kind, bytes + 8);
    copyToMemory(kind, in->data(), input.data(), bytes);
    copyToMemory(kind, out->data(), poison.data(), bytes);
    std::byte* result = c.inPlace ? in->data() : out->data();
    const AllReduceArgs args{in->data(), result, c.count, c.dtype, c.op};
    (c.smallSegments ? small : plain).run(args, Clock::now() + 60s, describe(c));
    copyFromMemory(kind, actual.data(), result, bytes);
    if (const std::size_t wrong = countWrong(actual.data(), expected.data(), c.count, c.dtype)) {
      failures.push_back("rank " + std::to_string(rank) + ", " + describe(c) + ": " + std::to_string(wrong) +
                         " wrong elements");
    }
    if (!c.inPlace) {
      copyFromMemory(kind, actual.data(), in->data(), bytes);
      if (countWrong(actual.data(), input.data(), c.count, c.dtype) != 0) {
        failures.push_back("rank " + std::to_string(rank) + ", " + describe(c) + ": input changed");
      }
    }
  }
  return failures;
}

}  // namespace ccb
