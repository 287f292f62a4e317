// The daemon's own threads: the watchdog's ping period, and the signal thread, which turns the
// first stop signal into the stop flag and ends on Join.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "app/signals.h"
#include "app/watchdog.h"

namespace ms::app {
namespace {

using namespace std::chrono_literals;

TEST(WatchdogPeriodTest, HalfOfWatchdogSecWithinBounds) {
  EXPECT_EQ(WatchdogPeriod(std::nullopt), kMaxWatchdogPeriod);
  EXPECT_EQ(WatchdogPeriod(std::chrono::microseconds(3s)), 1500ms);
  EXPECT_EQ(WatchdogPeriod(std::chrono::microseconds(30s)), kMaxWatchdogPeriod);
  EXPECT_EQ(WatchdogPeriod(std::chrono::microseconds(1)), 1ms);
}

// Blocks the stop signals on the test's thread for the test (so the signal thread inherits
// them), and restores the mask after.
class SignalThreadTest : public ::testing::Test {
 protected:
  void SetUp() override { pthread_sigmask(SIG_SETMASK, nullptr, &saved_); }
  void TearDown() override { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

  // Waits up to 5 s for `flag`.
  static bool WaitFor(const std::atomic<bool>& flag) {
    for (int round = 0; round < 500 && !flag.load(); ++round) std::this_thread::sleep_for(10ms);
    return flag.load();
  }

  sigset_t saved_;
};

TEST_F(SignalThreadTest, TheFirstStopSignalSetsTheStopFlag) {
  SignalThread signals(BlockStopSignals(), 60s);
  EXPECT_FALSE(signals.stop().load());
  // Directed at the signal thread, which blocks it and so takes it with sigtimedwait.
  ASSERT_EQ(pthread_kill(signals.native_handle(), SIGTERM), 0);
  EXPECT_TRUE(WaitFor(signals.stop()));
  signals.Join();
}

TEST_F(SignalThreadTest, JoinEndsTheThreadWithoutASignal) {
  SignalThread signals(BlockStopSignals(), 60s);
  signals.Join();
  signals.Join();  // idempotent
  EXPECT_FALSE(signals.stop().load());
}

}  // namespace
}  // namespace ms::app
