// A worker loop's exception boundary (app/worker_guard.h): an escaped exception is counted and
// the loop started again after a pause; a stop or an interrupted pause ends it.
#include "app/worker_guard.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "fake_time.h"

namespace ms {
namespace {

TEST(WorkerGuard, AnEscapedExceptionIsCountedAndTheLoopStartsAgainAfterAPause) {
  Metrics metrics;
  test::FakeClock clock;
  test::FakeSleeper sleeper(&clock);
  std::atomic<bool> stop{false};
  int runs = 0;
  app::RunGuarded("relay", stop, sleeper, &metrics, [&] {
    if (++runs < 3) throw std::runtime_error("bad row");
  });
  EXPECT_EQ(runs, 3);
  EXPECT_DOUBLE_EQ(metrics.WorkerExceptions("relay").Value(), 2);
  EXPECT_EQ(sleeper.sleeps(), (std::vector<std::chrono::milliseconds>{app::kWorkerRestartPause,
                                                                      app::kWorkerRestartPause}));
}

TEST(WorkerGuard, AfterAStopAnExceptionEndsTheWorker) {
  test::FakeClock clock;
  test::FakeSleeper sleeper(&clock);
  std::atomic<bool> stop{true};
  int runs = 0;
  app::RunGuarded("claim", stop, sleeper, nullptr, [&] {
    ++runs;
    throw 42;  // not even a std::exception
  });
  EXPECT_EQ(runs, 1);
  EXPECT_TRUE(sleeper.sleeps().empty());
}

TEST(WorkerGuard, AnInterruptedPauseEndsTheWorker) {
  test::FakeClock clock;
  test::FakeSleeper sleeper(&clock);
  sleeper.Interrupt();  // the drain began
  std::atomic<bool> stop{false};
  int runs = 0;
  app::RunGuarded("extract", stop, sleeper, nullptr, [&] {
    ++runs;
    throw std::logic_error("broken invariant");
  });
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace ms
