// Ring and MPI_Allreduce under mpiexec -n 2, 3, 4 (suite 'mpi'): every dtype and op, in place and out of place,
// on a few odd counts, checked against reduce/verify.h. Every rank runs every test; a failure on any rank makes
// mpiexec exit non-zero.
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "algo/allreduce.h"
#include "comm/mpi_transport.h"
#include "core/error.h"
#include "reduce/cpu_reducer.h"
#include "reduce/verify.h"

namespace ccb {
namespace {

using namespace std::chrono_literals;

// A count past several small segments, one past the chunk count, one element, and a prime.
std::vector<std::size_t> oddCounts(int ranks) { return {1, static_cast<std::size_t>(ranks) + 1, 97, 4099}; }

// Runs `algorithm` over every dtype, op, placement and odd count; returns a description of each wrong run.
std::vector<std::string> checkAll(AllReduce& algorithm, Transport& transport) {
  std::vector<std::string> failures;
  for (DType dtype : kAllDTypes) {
    for (ReduceOp op : kAllOps) {
      for (bool inPlace : {false, true}) {
        for (std::size_t count : oddCounts(transport.size())) {
          std::vector<std::uint64_t> input(count), output(count), expected(count);  // 8-byte aligned, big enough
          fillInput(input.data(), count, dtype, op, transport.rank(), transport.size());
          fillExpected(expected.data(), count, dtype, op, transport.size());
          fillPoison(output.data(), count, dtype);
          void* out = inPlace ? static_cast<void*>(input.data()) : output.data();
          std::ostringstream what;
          what << algorithm.name() << " " << dtypeName(dtype) << " " << opName(op) << " count " << count
               << (inPlace ? " in place" : "");
          algorithm.run({input.data(), out, count, dtype, op}, Clock::now() + 60s, what.str());
          if (const std::size_t wrong = countWrong(out, expected.data(), count, dtype)) {
            failures.push_back(what.str() + ": " + std::to_string(wrong) + " wrong elements");
          }
        }
      }
    }
  }
  return failures;
}

void expectAllCorrect(std::string_view name, const AllReduceOptions& options) {
  MpiTransport transport(MPI_COMM_WORLD);
  CpuReducer reducer;
  auto algorithm = makeAllReduce(name, transport, reducer, options);
  EXPECT_EQ(algorithm->name(), name);
  const std::vector<std::string> failures = checkAll(*algorithm, transport);
  EXPECT_TRUE(failures.empty()) << "rank " << transport.rank() << ": " << failures.size()
                                << " failures, first: " << failures.front();
}

TEST(AllReduceMpi, RingEveryDTypeAndOp) { expectAllCorrect("ring", AllReduceOptions{}); }

TEST(AllReduceMpi, RingSmallSegments) {
  AllReduceOptions options;
  options.segmentBytes = 256;
  options.maxInFlight = 2;
  expectAllCorrect("ring", options);
}

TEST(AllReduceMpi, MpiEveryDTypeAndOp) { expectAllCorrect("mpi", AllReduceOptions{}); }

}  // namespace
}  // namespace ccb

int main(int argc, char** argv) {
  ccb::MpiSession session(&argc, &argv);
  testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
