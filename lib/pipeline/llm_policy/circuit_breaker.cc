#include "pipeline/llm_policy/circuit_breaker.h"

#include <algorithm>

namespace ms {

using std::chrono::milliseconds;

std::string_view BreakerStateName(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed:
      return "closed";
    case BreakerState::kOpen:
      return "open";
    case BreakerState::kHalfOpen:
      return "half_open";
  }
  return "unknown";
}

CircuitBreaker::CircuitBreaker(BreakerOptions options, const Clock* clock)
    : options_(options), clock_(clock) {}

BreakerState CircuitBreaker::StateLocked(milliseconds now) const {
  if (state_ == BreakerState::kOpen && now - opened_at_ >= options_.cooldown)
    return BreakerState::kHalfOpen;
  return state_;
}

void CircuitBreaker::OpenLocked(milliseconds now) {
  state_ = BreakerState::kOpen;
  opened_at_ = now;
  probe_in_flight_ = false;
  consecutive_failures_ = 0;
  ++times_opened_;
}

bool CircuitBreaker::Allow() {
  std::lock_guard lock(mu_);
  switch (StateLocked(clock_->Monotonic())) {
    case BreakerState::kClosed:
      return true;
    case BreakerState::kOpen:
      return false;
    case BreakerState::kHalfOpen:
      state_ = BreakerState::kHalfOpen;
      if (probe_in_flight_) return false;
      probe_in_flight_ = true;
      return true;
  }
  return false;
}

void CircuitBreaker::RecordSuccess() {
  std::lock_guard lock(mu_);
  state_ = BreakerState::kClosed;
  consecutive_failures_ = 0;
  probe_in_flight_ = false;
}

void CircuitBreaker::RecordFailure() {
  std::lock_guard lock(mu_);
  milliseconds now = clock_->Monotonic();
  if (state_ == BreakerState::kHalfOpen) {
    OpenLocked(now);  // the probe failed: another full cool-down
  } else if (state_ == BreakerState::kClosed &&
             ++consecutive_failures_ >= std::max(1, options_.failure_threshold)) {
    OpenLocked(now);
  }
}

void CircuitBreaker::RecordNeutral() {
  std::lock_guard lock(mu_);
  if (state_ == BreakerState::kHalfOpen) probe_in_flight_ = false;
}

BreakerState CircuitBreaker::state() const {
  std::lock_guard lock(mu_);
  return StateLocked(clock_->Monotonic());
}

milliseconds CircuitBreaker::RetryIn() const {
  std::lock_guard lock(mu_);
  if (state_ != BreakerState::kOpen) return milliseconds(0);
  return std::max(milliseconds(0), opened_at_ + options_.cooldown - clock_->Monotonic());
}

int64_t CircuitBreaker::times_opened() const {
  std::lock_guard lock(mu_);
  return times_opened_;
}

}  // namespace ms
