#include "comm/watchdog.h"

#include <cstdio>
#include <cstdlib>

namespace ccb {

Watchdog::Watchdog() : thread_([this] { watch(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    armed_ = false;
  }
  wake_.notify_one();
  thread_.join();
}

void Watchdog::arm(Clock::time_point deadline, std::string_view what) {
  bool wakeThread = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    armed_ = true;
    armedAt_ = Clock::now();
    deadline_ = deadline;
    what_.assign(what);  // reuses the string's capacity after the first few calls
    wakeThread = deadline < sleepingUntil_;
  }
  if (wakeThread) wake_.notify_one();
}

void Watchdog::disarm() {
  // No wake-up: the thread finds nothing armed when its current sleep ends and goes back to sleep.
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = false;
}

void Watchdog::watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (!armed_) {
      sleepingUntil_ = Clock::time_point::max();
      wake_.wait(lock);
      continue;
    }
    if (Clock::now() < deadline_) {
      sleepingUntil_ = deadline_;
      wake_.wait_until(lock, deadline_);
      continue;
    }
    const double seconds = std::chrono::duration<double>(deadline_ - armedAt_).count();
    std::fprintf(stderr, "ccbench: error: %s: timed out after %.3g s (peer not answering?)\n", what_.c_str(),
                 seconds);
    std::fflush(stderr);
    std::_Exit(kWatchdogExitCode);
  }
}

Watchdog& processWatchdog() {
  static Watchdog watchdog;
  return watchdog;
}

}  // namespace ccb
