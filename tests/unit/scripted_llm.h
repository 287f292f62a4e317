// A scripted LlmClient for unit tests of what sits above the provider clients (the extraction
// policy, the investor update): it replays results in order and records every request.
#pragma once

#include <chrono>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ports/extract.h"

namespace ms::test {

inline LlmResult Answer(std::string text, std::string finish = "stop", int64_t prompt_tokens = 100,
                        int64_t completion_tokens = 20) {
  LlmResponse response;
  response.text = std::move(text);
  response.finish_reason = std::move(finish);
  response.usage = {prompt_tokens, completion_tokens};
  response.model = "fake-1-2024";
  return {std::move(response), std::nullopt};
}

inline LlmResult Failure(Status status,
                         std::optional<std::chrono::milliseconds> retry_after = std::nullopt,
                         bool quota = false) {
  LlmError error;
  error.status = std::move(status);
  error.retry_after = retry_after;
  error.quota_exhausted = quota;
  return {std::nullopt, std::move(error)};
}

class ScriptedClient final : public LlmClient {
 public:
  // What Complete answers once the script is used up.
  enum class WhenDone {
    kRepeatLast,  // the last scripted result again (a 503 when nothing was scripted)
    kFail,        // Unavailable "fake: script exhausted"
  };
  explicit ScriptedClient(WhenDone when_done = WhenDone::kRepeatLast) : when_done_(when_done) {}

  void Then(LlmResult result, int times = 1) {
    std::lock_guard lock(mu_);
    for (int idx = 0; idx < times; ++idx) script_.push_back(result);
  }
  LlmResult Complete(const LlmRequest& request) override {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    const size_t keep = when_done_ == WhenDone::kRepeatLast ? 1 : 0;
    if (script_.size() > keep) {
      LlmResult next = std::move(script_.front());
      script_.pop_front();
      return next;
    }
    if (!script_.empty()) return script_.front();
    return Failure(Unavailable(when_done_ == WhenDone::kRepeatLast ? "fake: HTTP 503"
                                                                   : "fake: script exhausted"));
  }
  std::string provider() const override { return "fake"; }
  std::string model() const override { return "fake-1"; }
  std::vector<LlmRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  const WhenDone when_done_;
  mutable std::mutex mu_;
  std::deque<LlmResult> script_;
  std::vector<LlmRequest> requests_;
};

}  // namespace ms::test
