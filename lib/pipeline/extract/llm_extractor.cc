#include "pipeline/extract/llm_extractor.h"

#include <utility>

namespace ms {

namespace {

// The problem with an answer that needs repair, or empty when the answer is usable.
std::string TruncationProblem(const LlmResponse& response) {
  if (response.finish_reason != "length") return "";
  return "the answer was cut off at the output token limit (finish_reason=length)";
}

// Adds one prompt's validated answer to the batch's result. Rejected observations count as
// rejected answer items too: the model's output failed validation either way.
void Append(ParsedAnswer&& parsed, ExtractionResult* result) {
  result->rejected_events += parsed.rejected_events + parsed.rejected_observations;
  for (ExtractedEvent& event : parsed.events) result->events.push_back(std::move(event));
  for (ExtractedObservation& observation : parsed.observations)
    result->observations.push_back(std::move(observation));
}

Status ValidateOptions(const LlmPolicyOptions& options) {
  if (options.max_concurrency < 1) return InvalidArgument("llm: max_concurrency must be >= 1");
  if (options.max_retries < 0) return InvalidArgument("llm: max_retries must be >= 0");
  if (options.call_deadline.count() <= 0) return InvalidArgument("llm: call_deadline must be > 0");
  if (options.breaker_failures < 1) return InvalidArgument("llm: breaker_failures must be >= 1");
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<LlmExtractor>> LlmExtractor::Create(LlmClient* client,
                                                             const LlmPolicyOptions& options,
                                                             LlmCallDeps deps) {
  if (client == nullptr || deps.clock == nullptr || deps.sleeper == nullptr)
    return InvalidArgument("llm: extractor needs a client, a clock and a sleeper");
  MS_RETURN_IF_ERROR(ValidateOptions(options));
  return std::unique_ptr<LlmExtractor>(new LlmExtractor(client, options, std::move(deps)));
}

LlmExtractor::LlmExtractor(LlmClient* client, const LlmPolicyOptions& options, LlmCallDeps deps)
    : client_(client), options_(options), policy_(client, options, std::move(deps)) {}

Status LlmExtractor::ExtractInto(const ExtractionRequest& request, ExtractionResult* out) {
  ExtractionResult& result = *out;
  result.provider = client_->provider();
  result.mode = "model";
  result.model = client_->model();
  result.requested_model = result.model;
  CallBudget budget;
  budget.retries_left = options_.max_retries;
  for (const PreparedPrompt& prompt : PreparePrompts(request, options_.prompt)) {
    result.dropped_by_prefilter += prompt.dropped_by_prefilter;
    Status status = RunPrompt(prompt, request.company_id, &budget, &result);
    if (!status.ok()) {
      return status.WithContext("batch " + std::to_string(request.batch_id) + ": " +
                                result.provider + " after " + std::to_string(budget.calls) +
                                " calls");
    }
  }
  return Status::Ok();
}

StatusOr<LlmResponse> LlmExtractor::CallAndCount(const LlmRequest& request,
                                                 int64_t estimated_tokens, CallBudget* budget,
                                                 ExtractionResult* result) {
  int calls_before = budget->calls;
  auto response = policy_.Call(request, estimated_tokens, budget);
  result->llm_calls += budget->calls - calls_before;
  if (!response.ok()) return response.status();
  result->usage += response->usage;
  if (!response->model.empty()) result->model = response->model;
  return response;
}

Status LlmExtractor::RunPrompt(const PreparedPrompt& prompt, const std::string& company_id,
                               CallBudget* budget, ExtractionResult* result) {
  LlmRequest request = prompt.request;
  int64_t estimated_tokens = prompt.estimated_tokens;
  for (int attempt = 0;; ++attempt) {
    MS_ASSIGN_OR_RETURN(LlmResponse response,
                        CallAndCount(request, estimated_tokens, budget, result));
    std::string problem = TruncationProblem(response);
    if (problem.empty()) {
      auto parsed = ParseAnswer(response.text, prompt, company_id);
      if (parsed.ok()) {
        Append(std::move(*parsed), result);
        return Status::Ok();
      }
      if (parsed.status().code() != StatusCode::kInvalidArgument) return parsed.status();
      problem = parsed.status().message();
    }
    if (attempt > 0) return InvalidArgument("llm answer unusable after one repair: " + problem);
    request = RepairRequest(prompt, response.text, problem);
    estimated_tokens = prompt.estimated_tokens + static_cast<int64_t>(response.text.size() / 4);
  }
}

}  // namespace ms
