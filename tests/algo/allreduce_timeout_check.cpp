// Deliberately broken 2-rank all-reduces, run by tests/comm/expect_failure.sh: the job must end (not hang),
// non-zero, with one line naming the all-reduce that timed out.
//   ring: rank 1 never joins; rank 0's executor throws TimeoutError at its 0.3 s deadline.
//   mpi:  rank 1 joins 30 s late; MPI_Allreduce blocks, and the watchdog ends the job after 0.3 s.
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

#include "algo/allreduce.h"
#include "comm/mpi_transport.h"
#include "core/error.h"
#include "reduce/cpu_reducer.h"

namespace {

using namespace std::chrono_literals;

void allReduceWithLatePeer(ccb::MpiTransport& transport, const char* algorithm) {
  const bool ring = std::strcmp(algorithm, "ring") == 0;
  if (transport.rank() == 1) {
    if (ring) return;  // never joins
    std::this_thread::sleep_for(30s);
  }
  ccb::CpuReducer reducer;
  auto allReduce = ccb::makeAllReduce(algorithm, transport, reducer, ccb::AllReduceOptions{});
  std::vector<float> data(1024, 1.0f);
  const std::string what = std::string(algorithm) + " all-reduce of 4 KiB";
  allReduce->run({data.data(), data.data(), data.size(), ccb::DType::kFloat32, ccb::ReduceOp::kSum},
                 ccb::Clock::now() + 300ms, what);
}

}  // namespace

int main(int argc, char** argv) {
  ccb::MpiSession session(&argc, &argv);
  ccb::MpiTransport transport(MPI_COMM_WORLD);
  try {
    allReduceWithLatePeer(transport, argc > 1 ? argv[1] : "ring");
  } catch (const ccb::Error& e) {
    std::fprintf(stderr, "ccbench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
