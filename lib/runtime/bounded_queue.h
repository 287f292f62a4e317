// A bounded multi-producer multi-consumer queue: the hand-over point between stages. A full
// queue pushes back on its producer (TryPush fails, Push waits); Close() wakes everyone and
// makes further pushes fail, so stages drain and stop in order.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace ms {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}

  // False when full or closed.
  bool TryPush(T item) {
    {
      std::lock_guard lock(mu_);
      if (closed_ || items_.size() >= capacity_) return false;
      items_.push_back(std::move(item));
    }
    not_empty_.notify_one();
    return true;
  }

  // Waits up to `wait` for room. False on timeout or when closed.
  bool Push(T item, std::chrono::milliseconds wait) {
    {
      std::unique_lock lock(mu_);
      if (!not_full_.wait_for(lock, wait, [&] { return closed_ || items_.size() < capacity_; }) ||
          closed_) {
        return false;
      }
      items_.push_back(std::move(item));
    }
    not_empty_.notify_one();
    return true;
  }

  // Waits up to `wait` for an item; nullopt on timeout, or when closed and drained.
  std::optional<T> Pop(std::chrono::milliseconds wait) {
    std::optional<T> out;
    {
      std::unique_lock lock(mu_);
      if (!not_empty_.wait_for(lock, wait, [&] { return closed_ || !items_.empty(); })) {
        return out;
      }
      if (items_.empty()) return out;
      out.emplace(std::move(items_.front()));
      items_.pop_front();
    }
    not_full_.notify_one();
    return out;
  }

  void Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  size_t size() const {
    std::lock_guard lock(mu_);
    return items_.size();
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<T> items_;  // guarded by mu_
  bool closed_ = false;  // guarded by mu_
};

}  // namespace ms
