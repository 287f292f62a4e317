// The resilience units under the LLM extractor: the token-bucket rate limiter, the circuit
// breaker and the concurrency semaphore, on a fake clock (plus a few real threads, for TSan);
// and what LlmCallPolicy reports about each HTTP call to its observer.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "fake_time.h"
#include "pipeline/llm_policy/circuit_breaker.h"
#include "pipeline/llm_policy/llm_call_policy.h"
#include "pipeline/llm_policy/rate_limiter.h"
#include "pipeline/llm_policy/semaphore.h"

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

// ---- LlmCallPolicy's observer ----------------------------------------------------------------

// Answers from a script; each call takes `latency` of fake time.
class TimedScriptedClient final : public LlmClient {
 public:
  TimedScriptedClient(FakeClock* clock, std::chrono::milliseconds latency)
      : clock_(clock), latency_(latency) {}
  void Then(LlmResult result) { script_.push_back(std::move(result)); }
  LlmResult Complete(const LlmRequest&) override {
    clock_->Advance(latency_);
    LlmResult next = std::move(script_.front());
    script_.pop_front();
    return next;
  }
  std::string provider() const override { return "fake"; }
  std::string model() const override { return "fake-1"; }

 private:
  FakeClock* clock_;
  std::chrono::milliseconds latency_;
  std::deque<LlmResult> script_;
};

LlmResult Ok() {
  LlmResponse response;
  response.text = R"({"events":[]})";
  response.finish_reason = "stop";
  return {std::move(response), std::nullopt};
}

LlmResult Error(int http_status, Status status,
                std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
  LlmError error;
  error.status = std::move(status);
  error.http_status = http_status;
  error.retry_after = retry_after;
  return {std::nullopt, std::move(error)};
}

// An observation with its provider copied out of the callback.
struct Seen {
  std::string provider;
  int http_status = 0;
  bool ok = false;
  std::chrono::milliseconds duration{0};
  std::chrono::milliseconds rate_limit_wait{0};
};

class LlmCallObserverTest : public ::testing::Test {
 protected:
  LlmCallObserverTest() {
    options_.requests_per_minute = 0;  // unlimited unless a test says otherwise
    options_.tokens_per_minute = 0;
    options_.backoff_base = 1000ms;
  }

  LlmCallPolicy MakePolicy() {
    LlmCallDeps deps{&clock_, &sleeper_, [] { return 0.5; },
                     [this](const LlmCallObservation& o) {
                       std::lock_guard lock(mu_);
                       seen_.push_back({std::string(o.provider), o.http_status, o.ok, o.duration,
                                        o.rate_limit_wait});
                     }};
    return LlmCallPolicy(&client_, options_, std::move(deps));
  }

  StatusOr<LlmResponse> CallOnce(LlmCallPolicy& policy, int retries = 4) {
    CallBudget budget;
    budget.retries_left = retries;
    return policy.Call(LlmRequest{}, 100, &budget);
  }

  std::vector<int> Statuses() const {
    std::vector<int> out;
    for (const Seen& seen : seen_) out.push_back(seen.http_status);
    return out;
  }
  int RateLimitWaits() const {
    int waits = 0;
    for (const Seen& seen : seen_) waits += seen.rate_limit_wait > 0ms ? 1 : 0;
    return waits;
  }

  FakeClock clock_;
  test::FakeSleeper sleeper_{&clock_};
  TimedScriptedClient client_{&clock_, 250ms};
  LlmCallOptions options_;
  std::mutex mu_;
  std::vector<Seen> seen_;  // guarded by mu_
};

TEST_F(LlmCallObserverTest, RateLimitedThenOkIsTwoObservationsAndOneRateLimitWait) {
  client_.Then(Error(429, Unavailable("fake: HTTP 429"), 2000ms));
  client_.Then(Ok());
  LlmCallPolicy policy = MakePolicy();
  ASSERT_TRUE(CallOnce(policy).ok());
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(Statuses(), (std::vector<int>{429, 200}));
  EXPECT_EQ(seen_[0].provider, "fake");
  EXPECT_FALSE(seen_[0].ok);
  EXPECT_TRUE(seen_[1].ok);
  EXPECT_EQ(seen_[0].duration, 250ms);  // the call alone, on the injected clock
  EXPECT_EQ(seen_[1].duration, 250ms);
  EXPECT_EQ(seen_[0].rate_limit_wait, 0ms);
  EXPECT_EQ(seen_[1].rate_limit_wait, 2000ms) << "the retry honoured Retry-After";
  EXPECT_EQ(RateLimitWaits(), 1);
}

TEST_F(LlmCallObserverTest, PlainBackoffIsNotARateLimitWaitAndNoResponseIsStatusZero) {
  client_.Then(Error(0, Unavailable("fake: connection refused")));
  client_.Then(Error(503, Unavailable("fake: HTTP 503")));
  client_.Then(Ok());
  client_.Then(Error(400, InvalidArgument("fake: HTTP 400")));  // not retried
  LlmCallPolicy policy = MakePolicy();
  ASSERT_TRUE(CallOnce(policy).ok());
  EXPECT_EQ(CallOnce(policy).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Statuses(), (std::vector<int>{0, 503, 200, 400}));
  EXPECT_EQ(sleeper_.sleeps(), (std::vector<std::chrono::milliseconds>{500ms, 1000ms}));
  EXPECT_EQ(RateLimitWaits(), 0);
}

TEST_F(LlmCallObserverTest, LimiterWaitIsReportedWithTheCallItHeldBack) {
  options_.requests_per_minute = 1;
  client_.Then(Ok());
  client_.Then(Ok());
  LlmCallPolicy policy = MakePolicy();
  ASSERT_TRUE(CallOnce(policy).ok());
  ASSERT_TRUE(CallOnce(policy).ok());
  ASSERT_EQ(seen_.size(), 2u);
  EXPECT_EQ(seen_[0].rate_limit_wait, 0ms);
  // About a minute (less the refill during the first call's 250 ms): what the policy slept.
  EXPECT_GT(seen_[1].rate_limit_wait, 59000ms);
  EXPECT_EQ(sleeper_.sleeps(), std::vector<std::chrono::milliseconds>{seen_[1].rate_limit_wait});
  EXPECT_EQ(policy.stats().rate_limited_ms, seen_[1].rate_limit_wait.count());
  EXPECT_EQ(RateLimitWaits(), 1);
}

TEST_F(LlmCallObserverTest, RetryBudgetSpentStillObservesEveryCall) {
  client_.Then(Error(529, Unavailable("fake: HTTP 529")));
  client_.Then(Error(529, Unavailable("fake: HTTP 529")));
  LlmCallPolicy policy = MakePolicy();
  EXPECT_EQ(CallOnce(policy, /*retries=*/1).status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(Statuses(), (std::vector<int>{529, 529}));
  for (const Seen& seen : seen_) EXPECT_FALSE(seen.ok);
}

}  // namespace
}  // namespace ms
