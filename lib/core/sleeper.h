// Waiting as a port: code that backs off takes a Sleeper so tests can advance a fake clock
// instead of sleeping, and shutdown can cut every wait short.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace ms {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Waits for `delay`. False when the wait was interrupted (shutdown): the caller should give
  // up rather than carry on.
  virtual bool SleepFor(std::chrono::milliseconds delay) = 0;
};

// Sleeps on a condition variable so Interrupt() wakes every sleeper at once; after Interrupt()
// every SleepFor returns false immediately.
class InterruptibleSleeper final : public Sleeper {
 public:
  bool SleepFor(std::chrono::milliseconds delay) override {
    std::unique_lock lock(mu_);
    return !cv_.wait_for(lock, delay, [this] { return interrupted_; });
  }

  void Interrupt() {
    {
      std::lock_guard lock(mu_);
      interrupted_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool interrupted_ = false;  // guarded by mu_
};

}  // namespace ms
