// A circuit breaker in front of one LLM provider, so a provider that is down costs one fast
// Unavailable per batch instead of a full retry schedule each.
//
//   closed ──N consecutive retryable failures──▶ open ──cool-down elapsed──▶ half-open
//   half-open: one probe call at a time; success ▶ closed, failure ▶ open (cool-down restarts)
//
// Only failures that say the provider is unhealthy count (429/5xx/timeouts); a bad request or
// an auth error is "neutral". Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "core/clock.h"

namespace ms {

enum class BreakerState { kClosed, kOpen, kHalfOpen };

std::string_view BreakerStateName(BreakerState state);  // "closed", "open", "half_open"

struct BreakerOptions {
  int failure_threshold = 5;  // consecutive retryable failures that open the breaker
  std::chrono::milliseconds cooldown{30000};
};

class CircuitBreaker {
 public:
  // `clock` must outlive the breaker.
  CircuitBreaker(BreakerOptions options, const Clock* clock);

  // Whether a call may go out now. In half-open it admits one probe and refuses the rest until
  // that probe reports back. Every admitted call must end in exactly one Record* call.
  bool Allow();
  void RecordSuccess();
  void RecordFailure();
  void RecordNeutral();  // the call ended without telling us anything about health

  // The state as a caller would see it now (open turns half-open once the cool-down is over).
  BreakerState state() const;
  // How long until an open breaker lets a probe through; zero unless open.
  std::chrono::milliseconds RetryIn() const;
  int64_t times_opened() const;

 private:
  BreakerState StateLocked(std::chrono::milliseconds now) const;
  void OpenLocked(std::chrono::milliseconds now);

  const BreakerOptions options_;
  const Clock* clock_;
  mutable std::mutex mu_;
  BreakerState state_ = BreakerState::kClosed;  // guarded by mu_ (kOpen also covers half-open)
  int consecutive_failures_ = 0;                // guarded by mu_
  bool probe_in_flight_ = false;                // guarded by mu_
  std::chrono::milliseconds opened_at_{};       // guarded by mu_
  int64_t times_opened_ = 0;                    // guarded by mu_
};

}  // namespace ms
