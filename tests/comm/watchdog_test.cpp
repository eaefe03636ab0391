// Watchdog: it ends the process with one clear line when an armed deadline passes, and stays quiet otherwise.
#include "comm/watchdog.h"

#include <gtest/gtest.h>

#include <thread>

namespace ccb {
namespace {

using namespace std::chrono_literals;

class WatchdogDeathTest : public ::testing::Test {
 protected:
  // The watchdog owns a thread: re-execute the test binary for death tests instead of forking a threaded one.
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(WatchdogDeathTest, ExpiredDeadlineExitsWithOneLine) {
  EXPECT_EXIT(
      {
        Watchdog watchdog;
        watchdog.arm(Clock::now() + 100ms, "MPI_Allreduce 4M");
        std::this_thread::sleep_for(10s);
      },
      ::testing::ExitedWithCode(kWatchdogExitCode),
      "^ccbench: error: MPI_Allreduce 4M: timed out after 0\\.1 s \\(peer not answering\\?\\)\n$");
}

// A re-arm with an earlier deadline must wake the thread that sleeps towards a later one.
TEST_F(WatchdogDeathTest, EarlierDeadlineWakesTheThread) {
  EXPECT_EXIT(
      {
        Watchdog watchdog;
        watchdog.arm(Clock::now() + 60s, "long");
        watchdog.disarm();
        watchdog.arm(Clock::now() + 50ms, "short");
        std::this_thread::sleep_for(10s);
      },
      ::testing::ExitedWithCode(kWatchdogExitCode), "short: timed out");
}

TEST_F(WatchdogDeathTest, ProcessWatchdogWorks) {
  EXPECT_EXIT(
      {
        WatchdogGuard guard(processWatchdog(), Clock::now() + 50ms, "guarded call");
        std::this_thread::sleep_for(10s);
      },
      ::testing::ExitedWithCode(kWatchdogExitCode), "guarded call: timed out");
}

// Disarmed in time, over and over (as around every blocking call): the process lives on.
TEST(Watchdog, DisarmedInTimeStaysQuiet) {
  Watchdog watchdog;
  for (int i = 0; i < 100000; ++i) {
    watchdog.arm(Clock::now() + 30ms, "short call");
    watchdog.disarm();
  }
  std::this_thread::sleep_for(60ms);  // past every deadline armed above
  { WatchdogGuard guard(watchdog, Clock::now() + 20ms, "guarded"); }
  std::this_thread::sleep_for(40ms);
  SUCCEED();
}

// Re-arming with later deadlines keeps extending the watch without the thread firing early.
TEST(Watchdog, RearmExtendsTheDeadline) {
  Watchdog watchdog;
  for (int i = 0; i < 6; ++i) {
    watchdog.arm(Clock::now() + 40ms, "extended");
    std::this_thread::sleep_for(15ms);
  }
  watchdog.disarm();
  SUCCEED();
}

}  // namespace
}  // namespace ccb
