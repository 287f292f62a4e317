// The stale sweep over a fake EventLifecycle (ports/event_lifecycle.h): it sweeps at once and
// then every interval with events.stale_after, counts what went stale, keeps going after a
// failed sweep, and ends on the stop flag or an interrupted wait.
#include "app/stale_sweep.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <vector>

#include "fake_time.h"

namespace ms {
namespace {

using namespace std::chrono_literals;

// Answers each MarkStale with the next scripted result (0 once they run out), and records the
// stale_after of every call.
class FakeLifecycle final : public EventLifecycle {
 public:
  std::deque<StatusOr<int64_t>> results;
  std::vector<std::chrono::milliseconds> calls;

  StatusOr<int64_t> MarkStale(std::chrono::milliseconds stale_after) override {
    calls.push_back(stale_after);
    if (results.empty()) return int64_t{0};
    StatusOr<int64_t> result = results.front();
    results.pop_front();
    return result;
  }
};

TEST(StaleSweepTest, SweepsAtOnceThenEveryIntervalWithStaleAfter) {
  FakeLifecycle events;
  events.results = {int64_t{2}, int64_t{0}, int64_t{3}};
  std::atomic<bool> stop{false};
  test::StoppingSleeper sleeper(&stop, 3);
  app::StaleSweep sweep(&events, 720h, &sleeper, 1min);
  sweep.Run(stop);
  ASSERT_EQ(events.calls.size(), 3u) << "one sweep before the first wait, one after each";
  for (auto stale_after : events.calls) EXPECT_EQ(stale_after, 720h);
  EXPECT_EQ(sleeper.waits(), std::vector<std::chrono::milliseconds>(3, 1min));
  EXPECT_EQ(sweep.staled(), 5);
}

TEST(StaleSweepTest, AFailedSweepIsTriedAgainNextInterval) {
  FakeLifecycle events;
  events.results = {Unavailable("postgres: connection refused"), int64_t{4}};
  std::atomic<bool> stop{false};
  test::StoppingSleeper sleeper(&stop, 2);
  app::StaleSweep sweep(&events, 1h, &sleeper);
  sweep.Run(stop);
  EXPECT_EQ(events.calls.size(), 2u);
  EXPECT_EQ(sleeper.waits().front(), app::kStaleSweepInterval);
  EXPECT_EQ(sweep.staled(), 4);
}

TEST(StaleSweepTest, SweepOnceReturnsTheCountOrTheError) {
  FakeLifecycle events;
  events.results = {int64_t{7}, Unavailable("down")};
  test::FakeClock clock;
  test::FakeSleeper sleeper(&clock);
  app::StaleSweep sweep(&events, 1h, &sleeper);
  StatusOr<int64_t> first = sweep.SweepOnce();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 7);
  StatusOr<int64_t> second = sweep.SweepOnce();
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(sweep.staled(), 7);
}

TEST(StaleSweepTest, AnInterruptedWaitEndsTheRun) {
  FakeLifecycle events;
  test::FakeClock clock;
  test::FakeSleeper sleeper(&clock);
  sleeper.Interrupt();  // shutdown began
  std::atomic<bool> stop{false};
  app::StaleSweep sweep(&events, 1h, &sleeper);
  sweep.Run(stop);
  EXPECT_EQ(events.calls.size(), 1u);
}

TEST(StaleSweepTest, AStopSetBeforehandSweepsNothing) {
  FakeLifecycle events;
  test::FakeClock clock;
  test::FakeSleeper sleeper(&clock);
  std::atomic<bool> stop{true};
  app::StaleSweep sweep(&events, 1h, &sleeper);
  sweep.Run(stop);
  EXPECT_TRUE(events.calls.empty());
}

}  // namespace
}  // namespace ms
