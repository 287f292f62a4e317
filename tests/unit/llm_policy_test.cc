// The resilience units under the LLM extractor: the token-bucket rate limiter, the circuit
// breaker and the concurrency semaphore, on a fake clock (plus a few real threads, for TSan).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "fake_time.h"
#include "pipeline/circuit_breaker.h"
#include "pipeline/rate_limiter.h"
#include "pipeline/semaphore.h"

namespace ms {
namespace {

using namespace std::chrono_literals;
using test::FakeClock;

TEST(RateLimiter, RequestsPerMinuteQueueCallersBehindTheDebt) {
  FakeClock clock;
  RateLimiter limiter({/*requests_per_minute=*/2, /*tokens_per_minute=*/0}, &clock);
  EXPECT_EQ(limiter.Reserve(0), 0ms);
  EXPECT_EQ(limiter.Reserve(0), 0ms);  // the burst: one minute's worth
  EXPECT_EQ(limiter.Reserve(0), 30000ms);
  EXPECT_EQ(limiter.Reserve(0), 60000ms);  // behind the previous reservation
  clock.Advance(60000ms);
  EXPECT_EQ(limiter.Reserve(0), 30000ms);
}

TEST(RateLimiter, TokensPerMinuteAndAdjustment) {
  FakeClock clock;
  RateLimiter limiter({/*requests_per_minute=*/0, /*tokens_per_minute=*/6000}, &clock);
  EXPECT_EQ(limiter.Reserve(5000), 0ms);
  EXPECT_EQ(limiter.Reserve(2000), 10000ms);  // 1000 tokens short at 100 tokens/s
  limiter.Adjust(-3000);                      // the calls used less than reserved
  EXPECT_EQ(limiter.Reserve(2000), 0ms);
  clock.Advance(1h);
  EXPECT_EQ(limiter.Reserve(1'000'000), 0ms);  // clamped to one minute's worth
  EXPECT_EQ(limiter.Reserve(600), 6000ms);
}

TEST(RateLimiter, UnlimitedNeverWaits) {
  FakeClock clock;
  RateLimiter limiter({0, 0}, &clock);
  for (int call = 0; call < 1000; ++call) EXPECT_EQ(limiter.Reserve(1'000'000), 0ms);
}

TEST(CircuitBreaker, OpensAfterConsecutiveFailuresAndProbesAfterCooldown) {
  FakeClock clock;
  CircuitBreaker breaker({/*failure_threshold=*/3, /*cooldown=*/30s}, &clock);
  for (int call = 0; call < 2; ++call) {
    ASSERT_TRUE(breaker.Allow());
    breaker.RecordFailure();
  }
  ASSERT_TRUE(breaker.Allow());
  breaker.RecordSuccess();  // resets the count: failures must be consecutive
  for (int call = 0; call < 3; ++call) {
    ASSERT_TRUE(breaker.Allow());
    breaker.RecordFailure();
  }
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  EXPECT_EQ(breaker.times_opened(), 1);
  EXPECT_FALSE(breaker.Allow());
  EXPECT_EQ(breaker.RetryIn(), 30s);
  clock.Advance(29s);
  EXPECT_FALSE(breaker.Allow());
  clock.Advance(1s);
  EXPECT_EQ(breaker.state(), BreakerState::kHalfOpen);
  EXPECT_TRUE(breaker.Allow());   // the probe
  EXPECT_FALSE(breaker.Allow());  // one probe at a time
  breaker.RecordSuccess();
  EXPECT_EQ(breaker.state(), BreakerState::kClosed);
  EXPECT_TRUE(breaker.Allow());
}

TEST(CircuitBreaker, FailedProbeReopensNeutralProbeFreesTheSlot) {
  FakeClock clock;
  CircuitBreaker breaker({1, 10s}, &clock);
  ASSERT_TRUE(breaker.Allow());
  breaker.RecordFailure();
  clock.Advance(10s);
  ASSERT_TRUE(breaker.Allow());
  breaker.RecordNeutral();  // e.g. a 400: says nothing about health
  EXPECT_EQ(breaker.state(), BreakerState::kHalfOpen);
  ASSERT_TRUE(breaker.Allow());
  breaker.RecordFailure();
  EXPECT_EQ(breaker.state(), BreakerState::kOpen);
  EXPECT_EQ(breaker.times_opened(), 2);
  EXPECT_EQ(BreakerStateName(breaker.state()), "open");
}

TEST(Semaphore, BoundsConcurrencyAcrossThreads) {
  Semaphore semaphore(2);
  std::atomic<int> inside{0};
  std::atomic<int> peak{0};
  std::vector<std::thread> threads;
  for (int idx = 0; idx < 8; ++idx) {
    threads.emplace_back([&] {
      for (int round = 0; round < 50; ++round) {
        SemaphorePermit permit(&semaphore);
        int now = ++inside;
        int seen = peak.load();
        while (now > seen && !peak.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::yield();
        --inside;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(peak.load(), 2);
  EXPECT_EQ(semaphore.in_use(), 0);
  EXPECT_TRUE(semaphore.TryAcquire());
  EXPECT_TRUE(semaphore.TryAcquire());
  EXPECT_FALSE(semaphore.TryAcquire());
}

TEST(LlmPolicyConcurrency, BreakerAndLimiterAreThreadSafe) {
  FakeClock clock;
  CircuitBreaker breaker({5, 1s}, &clock);
  RateLimiter limiter({600, 60000}, &clock);
  std::atomic<int64_t> waited{0};
  std::vector<std::thread> threads;
  for (int idx = 0; idx < 4; ++idx) {
    threads.emplace_back([&, idx] {
      for (int round = 0; round < 200; ++round) {
        if (breaker.Allow()) {
          if ((round + idx) % 3 == 0) {
            breaker.RecordFailure();
          } else {
            breaker.RecordSuccess();
          }
        }
        waited += limiter.Reserve(10).count();
        limiter.Adjust(-5);
        clock.Advance(1ms);
        (void)breaker.state();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  // 800 requests at 10/s with a 600 burst: the last waits about (800 - 600 - 0.8) / 10 s.
  EXPECT_GT(waited.load(), 0);
}

}  // namespace
}  // namespace ms
