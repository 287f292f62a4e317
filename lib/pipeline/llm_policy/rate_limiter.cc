#include "pipeline/llm_policy/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace ms {

using std::chrono::milliseconds;

RateLimiter::RateLimiter(RateLimits limits, const Clock* clock)
    : clock_(clock),
      requests_(MakeBucket(limits.requests_per_minute)),
      tokens_(MakeBucket(limits.tokens_per_minute)),
      last_(clock->Monotonic()) {}

RateLimiter::Bucket RateLimiter::MakeBucket(int per_minute) {
  Bucket bucket;
  if (per_minute <= 0) return bucket;
  bucket.capacity = per_minute;
  bucket.level = per_minute;
  bucket.per_ms = per_minute / 60000.0;
  return bucket;
}

void RateLimiter::RefillLocked(milliseconds now) {
  double elapsed = static_cast<double>(std::max<int64_t>(0, (now - last_).count()));
  last_ = std::max(last_, now);
  for (Bucket* bucket : {&requests_, &tokens_}) {
    bucket->level = std::min(bucket->capacity, bucket->level + elapsed * bucket->per_ms);
  }
}

milliseconds RateLimiter::Take(Bucket* bucket, double amount) {
  if (bucket->capacity == 0) return milliseconds(0);
  bucket->level -= std::min(amount, bucket->capacity);
  if (bucket->level >= 0) return milliseconds(0);
  return milliseconds(static_cast<int64_t>(std::ceil(-bucket->level / bucket->per_ms)));
}

milliseconds RateLimiter::Reserve(int64_t tokens) {
  std::lock_guard lock(mu_);
  RefillLocked(clock_->Monotonic());
  milliseconds request_wait = Take(&requests_, 1);
  milliseconds token_wait = Take(&tokens_, static_cast<double>(std::max<int64_t>(0, tokens)));
  return std::max(request_wait, token_wait);
}

void RateLimiter::Adjust(int64_t token_delta) {
  std::lock_guard lock(mu_);
  if (tokens_.capacity == 0) return;
  RefillLocked(clock_->Monotonic());
  tokens_.level = std::min(tokens_.capacity, tokens_.level - static_cast<double>(token_delta));
}

}  // namespace ms
