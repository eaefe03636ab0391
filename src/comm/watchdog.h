// Watchdog for blocking calls that cannot poll a deadline (MPI_Allreduce, MPI_Allgather, ...). If a peer dies
// or hangs, such a call never returns; the watchdog then ends the process so that mpiexec tears the whole job
// down instead of hanging until someone notices.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "comm/transport.h"

namespace ccb {

// Exit status of a process ended by the watchdog.
inline constexpr int kWatchdogExitCode = 3;

// One background thread, created with the object, watches at most one armed deadline at a time. When an armed
// deadline passes before disarm(), it prints "ccbench: error: <what>: timed out after N s (peer not
// answering?)" to stderr and calls std::_Exit(kWatchdogExitCode) (no destructors: other threads may be stuck
// in the MPI library). arm() and disarm() take one uncontended lock and wake the thread only when the new
// deadline is earlier than the one it sleeps towards, so arming around every blocking call is cheap.
class Watchdog {
 public:
  Watchdog();
  // Stops and joins the thread; an armed deadline is dropped.
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // Arms (or re-arms, replacing the previous deadline) the watchdog. `what` names the blocking operation.
  void arm(Clock::time_point deadline, std::string_view what);
  // Disarms; a no-op when not armed.
  void disarm();

 private:
  void watch();

  std::mutex mutex_;
  std::condition_variable wake_;
  bool armed_ = false;
  bool stopping_ = false;
  Clock::time_point armedAt_{};
  Clock::time_point deadline_{};
  Clock::time_point sleepingUntil_ = Clock::time_point::max();  // what the thread waits for; max when idle
  std::string what_;
  std::thread thread_;
};

// The process-wide watchdog, created (with its thread) on first use.
Watchdog& processWatchdog();

// Arms `watchdog` for the lifetime of the guard: { WatchdogGuard g(processWatchdog(), deadline, "...");
// MPI_...; }
class WatchdogGuard {
 public:
  WatchdogGuard(Watchdog& watchdog, Clock::time_point deadline, std::string_view what) : watchdog_(watchdog) {
    watchdog_.arm(deadline, what);
  }
  ~WatchdogGuard() { watchdog_.disarm(); }
  WatchdogGuard(const WatchdogGuard&) = delete;
  WatchdogGuard& operator=(const WatchdogGuard&) = delete;

 private:
  Watchdog& watchdog_;
};

}  // namespace ccb
