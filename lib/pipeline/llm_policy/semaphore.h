// A counting semaphore bounding how many LLM calls are in flight at once, with an RAII permit.
// Unlike std::counting_semaphore it reports its use for metrics.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace ms {

class Semaphore {
 public:
  // At least one permit, whatever `permits` says.
  explicit Semaphore(int permits) : permits_(std::max(1, permits)), available_(permits_) {}

  // Blocks until a permit is free.
  void Acquire() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return available_ > 0; });
    --available_;
  }

  bool TryAcquire() {
    std::lock_guard lock(mu_);
    if (available_ == 0) return false;
    --available_;
    return true;
  }

  void Release() {
    {
      std::lock_guard lock(mu_);
      ++available_;
    }
    cv_.notify_one();
  }

  int permits() const { return permits_; }
  int in_use() const {
    std::lock_guard lock(mu_);
    return permits_ - available_;
  }

 private:
  const int permits_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int available_;  // guarded by mu_
};

// Holds one permit for its lifetime.
class SemaphorePermit {
 public:
  explicit SemaphorePermit(Semaphore* semaphore) : semaphore_(semaphore) { semaphore_->Acquire(); }
  ~SemaphorePermit() { semaphore_->Release(); }
  SemaphorePermit(const SemaphorePermit&) = delete;
  SemaphorePermit& operator=(const SemaphorePermit&) = delete;

 private:
  Semaphore* semaphore_;
};

}  // namespace ms
