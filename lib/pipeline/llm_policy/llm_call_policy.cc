#include "pipeline/llm_policy/llm_call_policy.h"

#include <algorithm>
#include <random>
#include <string>

namespace ms {

using std::chrono::milliseconds;

namespace {

std::function<double()> ThreadLocalUniform() {
  return [] {
    thread_local std::mt19937_64 rng(std::random_device{}());
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
  };
}

int64_t Total(const TokenUsage& usage) {
  return usage.prompt_tokens + usage.completion_tokens;
}

int HttpStatusOf(const LlmResult& result) {
  return result.ok() ? 200 : result.error->http_status;
}

}  // namespace

bool IsRetryable(const LlmError& error) {
  if (error.quota_exhausted) return false;
  return error.status.code() == StatusCode::kUnavailable ||
         error.status.code() == StatusCode::kDeadlineExceeded;
}

LlmCallPolicy::LlmCallPolicy(LlmClient* client, const LlmCallOptions& options, LlmCallDeps deps)
    : client_(client),
      provider_(client->provider()),
      options_(options),
      deps_(std::move(deps)),
      limiter_({options.requests_per_minute, options.tokens_per_minute}, deps_.clock),
      semaphore_(options.max_concurrency),
      breaker_({options.breaker_failures, options.breaker_cooldown}, deps_.clock) {
  if (!deps_.uniform) deps_.uniform = ThreadLocalUniform();
}

milliseconds LlmCallPolicy::quota_paused_for() const {
  const int64_t left = quota_paused_until_ms_.load() - deps_.clock->Monotonic().count();
  return milliseconds(std::max<int64_t>(0, left));
}

milliseconds LlmCallPolicy::ready_in() const {
  return std::max(breaker_.RetryIn(), quota_paused_for());
}

Status LlmCallPolicy::Admit(int64_t tokens, milliseconds* waited) {
  *waited = milliseconds(0);
  if (milliseconds paused = quota_paused_for(); paused.count() > 0) {
    return Unavailable(provider_ + ": quota or spend limit exhausted; no calls for another " +
                       std::to_string(paused.count() / 1000) + " s");
  }
  if (!breaker_.Allow()) {
    ++breaker_rejections_;
    return Unavailable(provider_ + ": circuit breaker open, next probe in " +
                       std::to_string(breaker_.RetryIn().count()) + " ms");
  }
  milliseconds wait = limiter_.Reserve(tokens);
  if (wait.count() == 0) return Status::Ok();
  rate_limited_ms_ += wait.count();
  *waited = wait;
  if (deps_.sleeper->SleepFor(wait)) return Status::Ok();
  breaker_.RecordNeutral();
  return Cancelled(provider_ + ": interrupted while waiting for the rate limiter");
}

LlmResult LlmCallPolicy::Send(const LlmRequest& request, milliseconds rate_limit_wait,
                              CallBudget* budget) {
  SemaphorePermit permit(&semaphore_);
  ++budget->calls;
  ++calls_;
  const milliseconds started = deps_.clock->Monotonic();
  LlmResult result = client_->Complete(request);
  if (deps_.observe) {
    deps_.observe({provider_, HttpStatusOf(result), result.ok(),
                   std::max(milliseconds(0), deps_.clock->Monotonic() - started), rate_limit_wait});
  }
  return result;
}

milliseconds LlmCallPolicy::RetryDelay(const LlmError& error, Backoff* backoff) const {
  milliseconds jittered = backoff->Next();
  if (!error.retry_after) return jittered;
  return std::max(jittered, std::min(*error.retry_after, options_.max_server_delay));
}

StatusOr<LlmResponse> LlmCallPolicy::Call(const LlmRequest& request,
                                          int64_t estimated_prompt_tokens, CallBudget* budget) {
  LlmRequest bounded = request;
  bounded.deadline = options_.call_deadline;
  int64_t reserved = estimated_prompt_tokens + request.max_output_tokens;
  Backoff backoff(options_.backoff_base, options_.backoff_cap, deps_.uniform);
  milliseconds server_wait(0);  // the delay before this attempt, if it honoured a Retry-After
  for (;;) {
    milliseconds limiter_wait(0);
    MS_RETURN_IF_ERROR(Admit(reserved, &limiter_wait));
    LlmResult result = Send(bounded, limiter_wait + server_wait, budget);
    if (result.ok()) {
      breaker_.RecordSuccess();
      if (Total(result.response->usage) > 0)
        limiter_.Adjust(Total(result.response->usage) - reserved);
      return std::move(*result.response);
    }
    ++failures_;
    const LlmError& error = *result.error;
    if (!IsRetryable(error)) {
      breaker_.RecordNeutral();
      if (error.quota_exhausted) {
        quota_paused_until_ms_ = (deps_.clock->Monotonic() + options_.quota_pause).count();
      }
      return error.status;
    }
    breaker_.RecordFailure();
    if (budget->retries_left <= 0) {
      return Unavailable("retry budget exhausted after " + std::to_string(budget->retries) +
                         " retries: " + error.status.message());
    }
    --budget->retries_left;
    ++budget->retries;
    ++retries_;
    const milliseconds delay = RetryDelay(error, &backoff);
    server_wait = error.retry_after ? delay : milliseconds(0);
    if (!deps_.sleeper->SleepFor(delay))
      return Cancelled("interrupted while backing off: " + error.status.message());
  }
}

LlmCallStats LlmCallPolicy::stats() const {
  return {calls_.load(), failures_.load(), retries_.load(), breaker_rejections_.load(),
          rate_limited_ms_.load()};
}

}  // namespace ms
