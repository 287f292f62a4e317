// The Extractor over an LLM provider (design §5): the batch becomes one or more compact prompts
// (prefilter, redaction, chunking by token budget), each prompt one resilient call through
// LlmCallPolicy, each answer validated by ParseAnswer.
//
// Promises:
//  - A batch's events and observations are all or nothing: if any prompt fails, Extract fails.
//    On success every prompt's events and observations are in the result, in prompt order
//    (a repaired prompt contributes its repaired answer only); rejected_events counts the
//    events and observations that failed validation.
//  - A truncated answer (finish_reason "length") or one that fails validation gets exactly one
//    repair call (RepairRequest); if that also fails the batch fails with InvalidArgument
//    naming the reason.
//  - Retries are bounded per batch by max_retries, across all its prompts.
//  - Token usage is summed over every successful call, repair calls included; llm_calls counts
//    every HTTP call, failed ones included.
// Thread-safe: one LlmExtractor per provider, shared by the extraction workers.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "pipeline/extract/prompt.h"
#include "pipeline/llm_policy/llm_call_policy.h"
#include "ports/extract.h"

namespace ms {

struct LlmPolicyOptions : LlmCallOptions {
  PromptOptions prompt;
};

class LlmExtractor final : public Extractor {
 public:
  // `client` and everything in `deps` must outlive the extractor. InvalidArgument for options
  // that cannot work (no concurrency, negative retries, zero deadline).
  static StatusOr<std::unique_ptr<LlmExtractor>> Create(LlmClient* client,
                                                        const LlmPolicyOptions& options,
                                                        LlmCallDeps deps);

  Status ExtractInto(const ExtractionRequest& request, ExtractionResult* out) override;

  std::chrono::milliseconds ReadyIn() const override { return policy_.ready_in(); }

  // For /readyz and metrics.
  BreakerState breaker_state() const { return policy_.breaker_state(); }
  const LlmCallPolicy& policy() const { return policy_; }

 private:
  LlmExtractor(LlmClient* client, const LlmPolicyOptions& options, LlmCallDeps deps);

  // Runs one prompt (with at most one repair) and appends its events and observations to
  // `result`.
  Status RunPrompt(const PreparedPrompt& prompt, const std::string& company_id, CallBudget* budget,
                   ExtractionResult* result);
  StatusOr<LlmResponse> CallAndCount(const LlmRequest& request, int64_t estimated_tokens,
                                     CallBudget* budget, ExtractionResult* result);

  LlmClient* client_;
  const LlmPolicyOptions options_;
  LlmCallPolicy policy_;
};

}  // namespace ms
