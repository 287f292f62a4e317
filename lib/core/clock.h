// The clock as a port: code that decides by time takes a Clock so tests can freeze it.
#pragma once

#include <chrono>

namespace ms {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time since the Unix epoch, in milliseconds: for timestamps and ages shared with
  // other processes. It may jump (NTP, an operator).
  virtual std::chrono::milliseconds Now() const = 0;
  // Milliseconds since an unspecified start, never going backwards: for deadlines and intervals
  // within this process. Only differences between two readings mean anything.
  virtual std::chrono::milliseconds Monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::chrono::milliseconds Now() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now().time_since_epoch());
  }
  std::chrono::milliseconds Monotonic() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now().time_since_epoch());
  }
};

}  // namespace ms
