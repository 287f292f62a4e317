// Per-provider rate limits as two token buckets: requests per minute and tokens per minute.
//
// Reservations never fail: Reserve() takes the request and its tokens at once, possibly driving
// a bucket into debt, and returns how long the caller must wait before sending. Later callers
// queue behind that debt, so the long-run rate matches the limit and no caller starves. Each
// bucket holds at most one minute's worth, which is also the burst allowed after idling.
// Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "core/clock.h"

namespace ms {

struct RateLimits {
  int requests_per_minute = 60;    // <= 0: unlimited
  int tokens_per_minute = 100000;  // <= 0: unlimited
};

class RateLimiter {
 public:
  // `clock` must outlive the limiter.
  RateLimiter(RateLimits limits, const Clock* clock);

  // Takes one request and `tokens` tokens (clamped to one minute's worth, so an oversized
  // prompt waits for a full bucket rather than forever). Zero: send now.
  std::chrono::milliseconds Reserve(int64_t tokens);

  // Corrects a reservation once the real usage is known: positive takes more tokens,
  // negative gives back.
  void Adjust(int64_t token_delta);

 private:
  struct Bucket {
    double capacity = 0;  // 0: unlimited
    double level = 0;     // may go negative (debt)
    double per_ms = 0;
  };
  static Bucket MakeBucket(int per_minute);
  void RefillLocked(std::chrono::milliseconds now);
  static std::chrono::milliseconds Take(Bucket* bucket, double amount);

  const Clock* clock_;
  std::mutex mu_;
  Bucket requests_;                   // guarded by mu_
  Bucket tokens_;                     // guarded by mu_
  std::chrono::milliseconds last_{};  // guarded by mu_
};

}  // namespace ms
