// Frozen time for tests: a clock that only moves when told (its wall and monotonic readings move
// together), and a sleeper that moves it instead of sleeping, recording every wait.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <vector>

#include "core/clock.h"
#include "core/sleeper.h"

namespace ms::test {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::chrono::milliseconds start = std::chrono::milliseconds(1'700'000'000'000))
      : start_(start), now_ms_(start.count()) {}
  std::chrono::milliseconds Now() const override {
    return std::chrono::milliseconds(now_ms_.load());
  }
  std::chrono::milliseconds Monotonic() const override {
    return std::chrono::milliseconds(now_ms_.load()) - start_;
  }
  void Advance(std::chrono::milliseconds delta) { now_ms_ += delta.count(); }

 private:
  const std::chrono::milliseconds start_;
  std::atomic<int64_t> now_ms_;
};

class FakeSleeper final : public Sleeper {
 public:
  explicit FakeSleeper(FakeClock* clock) : clock_(clock) {}

  bool SleepFor(std::chrono::milliseconds delay) override {
    std::lock_guard lock(mu_);
    sleeps_.push_back(delay);
    if (interrupted_) return false;
    clock_->Advance(delay);
    return true;
  }

  std::vector<std::chrono::milliseconds> sleeps() const {
    std::lock_guard lock(mu_);
    return sleeps_;
  }
  void Interrupt() {
    std::lock_guard lock(mu_);
    interrupted_ = true;
  }

 private:
  FakeClock* clock_;
  mutable std::mutex mu_;
  std::vector<std::chrono::milliseconds> sleeps_;  // guarded by mu_
  bool interrupted_ = false;                       // guarded by mu_
};

// Records each wait, returns at once, and sets `stop` after `limit` waits: a worker's Run can
// run on the test's own thread and end after that many rounds.
class StoppingSleeper final : public Sleeper {
 public:
  StoppingSleeper(std::atomic<bool>* stop, size_t limit) : stop_(stop), limit_(limit) {}
  bool SleepFor(std::chrono::milliseconds delay) override {
    waits_.push_back(delay);
    if (waits_.size() >= limit_) *stop_ = true;
    return true;
  }
  const std::vector<std::chrono::milliseconds>& waits() const { return waits_; }

 private:
  std::atomic<bool>* stop_;
  size_t limit_;
  std::vector<std::chrono::milliseconds> waits_;
};

}  // namespace ms::test
