// Exponential backoff with full jitter (AWS architecture blog's "full jitter"): the n-th delay
// is uniform in [0, min(cap, base * 2^n)]. Randomness is injected for tests.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <random>

namespace ms {

class Backoff {
 public:
  // `uniform` returns a value in [0, 1).
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap,
          std::function<double()> uniform = DefaultUniform())
      : base_(base), cap_(cap), uniform_(std::move(uniform)) {}

  std::chrono::milliseconds Next() {
    auto ceiling = std::min<int64_t>(cap_.count(), base_.count() << std::min(attempt_, 30));
    ++attempt_;
    return std::chrono::milliseconds(
        static_cast<int64_t>(uniform_() * static_cast<double>(ceiling)));
  }
  void Reset() { attempt_ = 0; }
  int attempts() const { return attempt_; }

  static std::function<double()> DefaultUniform() {
    return [rng = std::mt19937_64(std::random_device{}())]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    };
  }

 private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds cap_;
  std::function<double()> uniform_;
  int attempt_ = 0;
};

}  // namespace ms
