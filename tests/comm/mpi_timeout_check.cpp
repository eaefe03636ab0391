// Deliberately broken 2-rank jobs, run by expect_failure.sh: the job must end (not hang), non-zero, with one
// line naming the operation that timed out.
//   wait:     rank 1 never sends; rank 0's wait throws TimeoutError; both ranks finalise and exit.
//   watchdog: rank 1 joins the barrier 30 s late; rank 0's watchdog ends the job after 0.3 s.
#include <cstdio>
#include <cstring>
#include <thread>

#include "comm/mpi_transport.h"
#include "comm/watchdog.h"
#include "core/error.h"

namespace {

using namespace std::chrono_literals;

void neverSent(ccb::MpiTransport& transport) {
  if (transport.rank() != 0) return;  // rank 1: the peer that never answers
  std::uint64_t value = 0;
  ccb::Request recv = transport.irecv(1, std::as_writable_bytes(std::span(&value, 1)), 5);
  ccb::wait(recv, ccb::Clock::now() + 300ms, "recv of step 1 from rank 1");
}

void lateBarrier(ccb::MpiTransport& transport) {
  if (transport.rank() == 1) std::this_thread::sleep_for(30s);
  ccb::WatchdogGuard guard(ccb::processWatchdog(), ccb::Clock::now() + 300ms, "MPI_Barrier after setup");
  ccb::checkMpi(MPI_Barrier(transport.comm()), "MPI_Barrier");
}

}  // namespace

int main(int argc, char** argv) {
  ccb::MpiSession session(&argc, &argv);
  ccb::MpiTransport transport(MPI_COMM_WORLD);
  const bool watchdog = argc > 1 && std::strcmp(argv[1], "watchdog") == 0;
  try {
    if (watchdog) {
      lateBarrier(transport);
    } else {
      neverSent(transport);
    }
  } catch (const ccb::Error& e) {
    std::fprintf(stderr, "ccbench: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
