// The one wait loop of the suite. It tests requests and yields the core when a round completes nothing,
// instead of blocking inside MPI_Wait: when ranks outnumber cores, a rank spinning in the library starves
// the very peer it waits for (DESIGN.md, "Facts measured").
#include <cstdio>
#include <span>
#include <sstream>
#include <thread>

#include "comm/transport.h"
#include "core/error.h"

namespace ccb {
namespace {

// "30 s", "0.2 s": enough digits to tell a short test deadline from a real one.
std::string formatSeconds(Clock::duration elapsed) {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  char text[32];
  std::snprintf(text, sizeof text, seconds >= 10 ? "%.0f s" : "%.2g s", seconds);
  return text;
}

[[noreturn]] void throwTimeout(const std::string& what, Clock::duration waited, std::size_t pending,
                               std::size_t total) {
  std::ostringstream os;
  os << what << ": timed out after " << formatSeconds(waited) << " waiting for " << pending << " of " << total
     << (total == 1 ? " operation" : " operations") << " (peer not answering?)";
  throw TimeoutError(os.str());
}

// Tests every live request once per round; completed ones are reset. The clock is read only after a round
// that completed nothing, where it costs little next to the yield that follows.
void waitSpan(std::span<Request> requests, Clock::time_point deadline, const std::string& what) {
  const Clock::time_point start = Clock::now();
  std::size_t pending = 0;
  for (const auto& request : requests) pending += request ? 1 : 0;
  const std::size_t total = pending;
  while (pending > 0) {
    bool progressed = false;
    for (auto& request : requests) {
      if (request && request->test()) {
        request.reset();
        --pending;
        progressed = true;
      }
    }
    if (pending == 0 || progressed) continue;
    const Clock::time_point now = Clock::now();
    if (now >= deadline) throwTimeout(what, now - start, pending, total);
    std::this_thread::yield();
  }
}

}  // namespace

void waitAll(std::vector<Request>& requests, Clock::time_point deadline, const std::string& what) {
  waitSpan(requests, deadline, what);
}

void wait(Request& request, Clock::time_point deadline, const std::string& what) {
  waitSpan(std::span<Request>(&request, 1), deadline, what);
}

void barrier(Transport& transport, Clock::time_point deadline, const std::string& what) {
  Request request = transport.ibarrier();
  wait(request, deadline, what);
}

}  // namespace ccb
