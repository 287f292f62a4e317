// The resilience around one LlmClient: rate limits, bounded concurrency, a circuit breaker and
// retries with exponential backoff and full jitter (honouring the server's Retry-After up to a
// cap), each call bounded by a deadline. One policy per provider, shared by all workers.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/sleeper.h"
#include "core/status.h"
#include "pipeline/llm_policy/circuit_breaker.h"
#include "pipeline/llm_policy/rate_limiter.h"
#include "pipeline/llm_policy/semaphore.h"
#include "ports/extract.h"
#include "runtime/backoff.h"

namespace ms {

struct LlmCallOptions {
  int max_concurrency = 2;
  int requests_per_minute = 60;
  int tokens_per_minute = 100000;
  int max_retries = 4;  // per batch, across all its calls
  std::chrono::milliseconds call_deadline{60000};
  std::chrono::milliseconds max_server_delay{60000};  // cap on an honoured Retry-After
  int breaker_failures = 5;
  std::chrono::milliseconds breaker_cooldown{30000};
  std::chrono::milliseconds backoff_base{1000};
  std::chrono::milliseconds backoff_cap{30000};
  // After a quota or spend-limit error no call goes out for this long: every batch would fail
  // the same way, so they stay queued instead (the batch that met the error fails).
  std::chrono::milliseconds quota_pause{15 * 60'000};
};

// One HTTP call made by the policy, as reported to LlmCallDeps::observe (request metrics).
struct LlmCallObservation {
  std::string_view provider;  // valid during the callback only
  // The HTTP status; 0 when there was no response (connection failure, timeout). A success
  // reports 200: the clients accept only 2xx answers and do not say which.
  int http_status = 0;
  bool ok = false;                        // a usable answer (an unparsable 200 is not ok)
  std::chrono::milliseconds duration{0};  // the call alone, on LlmCallDeps::clock
  // Time waited right before this call for the local rate limiter, plus the delay before a
  // retry that honoured the server's Retry-After. Zero: not held back (backoff without a
  // Retry-After is not a rate-limit wait).
  std::chrono::milliseconds rate_limit_wait{0};
};
using LlmCallObserver = std::function<void(const LlmCallObservation&)>;

// What the world provides; all must outlive the policy.
struct LlmCallDeps {
  const Clock* clock = nullptr;
  Sleeper* sleeper = nullptr;
  // Uniform in [0, 1) for the jitter; called from several threads, so it must be thread-safe.
  // Empty: a thread-local generator.
  std::function<double()> uniform;
  // Called after every HTTP call, on the calling worker's thread, so it must be thread-safe,
  // quick and must not throw. Empty: calls are not observed. (Initialized, so that the
  // {clock, sleeper, uniform} form stays complete.)
  LlmCallObserver observe = nullptr;
};

// What one batch may spend and has spent.
struct CallBudget {
  int retries_left = 0;
  int calls = 0;    // HTTP calls made, failed ones included
  int retries = 0;  // calls that were retries
};

// Counters since start, for metrics.
struct LlmCallStats {
  int64_t calls = 0;
  int64_t failures = 0;  // calls that returned an error
  int64_t retries = 0;
  int64_t breaker_rejections = 0;
  int64_t rate_limited_ms = 0;  // total time spent waiting for the rate limiter
};

class LlmCallPolicy {
 public:
  LlmCallPolicy(LlmClient* client, const LlmCallOptions& options, LlmCallDeps deps);

  // Sends `request` (its deadline replaced by call_deadline) until it succeeds, fails for
  // good, or the budget runs out. `estimated_prompt_tokens` feeds the token bucket.
  // Errors: the client's non-retryable status as is (FailedPrecondition, InvalidArgument);
  // Unavailable when the breaker is open, calls are paused after a quota error (no call made)
  // or the retry budget is spent (naming the last error); Cancelled when the sleeper was
  // interrupted (shutdown).
  StatusOr<LlmResponse> Call(const LlmRequest& request, int64_t estimated_prompt_tokens,
                             CallBudget* budget);

  BreakerState breaker_state() const { return breaker_.state(); }
  // How long until a call may go out: an open breaker's cool-down or the quota pause.
  std::chrono::milliseconds ready_in() const;
  // What the quota pause has left; zero when calls are not paused for quota.
  std::chrono::milliseconds quota_paused_for() const;
  int64_t breaker_times_opened() const { return breaker_.times_opened(); }
  int in_flight() const { return semaphore_.in_use(); }
  LlmCallStats stats() const;
  LlmClient* client() const { return client_; }

 private:
  // Waits for the breaker and the limiter; *waited is the limiter's delay.
  Status Admit(int64_t tokens, std::chrono::milliseconds* waited);
  // One HTTP call, observed; `rate_limit_wait` is what it waited for before (see
  // LlmCallObservation).
  LlmResult Send(const LlmRequest& request, std::chrono::milliseconds rate_limit_wait,
                 CallBudget* budget);
  std::chrono::milliseconds RetryDelay(const LlmError& error, Backoff* backoff) const;

  LlmClient* client_;
  const std::string provider_;
  const LlmCallOptions options_;
  LlmCallDeps deps_;
  RateLimiter limiter_;
  Semaphore semaphore_;
  CircuitBreaker breaker_;
  std::atomic<int64_t> calls_{0};
  std::atomic<int64_t> failures_{0};
  std::atomic<int64_t> retries_{0};
  std::atomic<int64_t> breaker_rejections_{0};
  std::atomic<int64_t> rate_limited_ms_{0};
  std::atomic<int64_t> quota_paused_until_ms_{0};  // on deps_.clock
};

// Whether the retry policy may try `error` again.
bool IsRetryable(const LlmError& error);

}  // namespace ms
