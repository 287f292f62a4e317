// ParseInvestorUpdate and WriteInvestorUpdate: the model's answer -> a validated update, or
// the offline template.
#include "pipeline/investor/investor_update_llm.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "pipeline/extract/prompt_text.h"
#include "pipeline/extract/redact.h"
#include "pipeline/text/ascii.h"
#include "pipeline/text/utf8.h"

namespace ms {
namespace {

using nlohmann::json;

constexpr size_t kMaxSubjectBytes = 200;

// One line: newlines and tabs become spaces.
std::string OneLine(std::string_view text) {
  std::string out(ascii::Trim(text));
  for (char& c : out) {
    if (ascii::IsSpace(c)) c = ' ';
  }
  return std::string(utf8::Prefix(out, kMaxSubjectBytes));
}

Status ReadText(const json& doc, const char* name, std::string* out) {
  auto found = doc.find(name);
  if (found == doc.end() || found->is_null()) return InvalidArgument(std::string("no ") + name);
  if (!found->is_string()) return InvalidArgument(std::string(name) + " is not a string");
  *out = std::string(ascii::Trim(found->get<std::string>()));
  if (out->empty()) return InvalidArgument(std::string(name) + " is empty");
  return Status::Ok();
}

LlmRequest RepairRequest(const InvestorUpdatePrompt& prompt, std::string_view bad_answer,
                         std::string_view problem) {
  return prompt_text::RepairRequest(
      prompt.request, bad_answer, problem,
      "Reply again with only one complete JSON object {\"subject\": ..., \"body\": ...} that "
      "matches the schema, with no text before or after it.");
}

// Counts one policy call into `run`.
StatusOr<LlmResponse> Call(LlmCallPolicy& policy, const LlmRequest& request, int64_t tokens,
                           CallBudget* budget, InvestorUpdateRun* run) {
  int calls_before = budget->calls;
  auto response = policy.Call(request, tokens, budget);
  run->llm_calls += budget->calls - calls_before;
  if (response.ok()) run->usage += response->usage;
  return response;
}

// The validated update, or the reason there is none.
StatusOr<InvestorUpdate> Ask(LlmCallPolicy& policy, const InvestorUpdatePrompt& prompt,
                             const UpdateDigest& digest, int max_retries, InvestorUpdateRun* run) {
  CallBudget budget;
  budget.retries_left = max_retries;
  LlmRequest request = prompt.request;
  int64_t tokens = prompt.estimated_tokens;
  for (int attempt = 0;; ++attempt) {
    MS_ASSIGN_OR_RETURN(LlmResponse response, Call(policy, request, tokens, &budget, run));
    std::string problem;
    if (response.finish_reason == "length") {
      problem = "the answer was cut off at the output token limit (finish_reason=length)";
    } else {
      auto update = ParseInvestorUpdate(response.text, prompt, digest);
      if (update.ok()) {
        update->model = response.model.empty() ? policy.client()->model() : response.model;
        return update;
      }
      problem = update.status().message();
    }
    if (attempt > 0) return InvalidArgument("answer unusable after one repair: " + problem);
    request = RepairRequest(prompt, response.text, problem);
    tokens = prompt.estimated_tokens + static_cast<int64_t>(response.text.size() / 4);
  }
}

}  // namespace

StatusOr<InvestorUpdate> ParseInvestorUpdate(std::string_view answer,
                                             const InvestorUpdatePrompt& prompt,
                                             const UpdateDigest& digest) {
  json doc = json::parse(prompt_text::StripFence(answer), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("the answer is not valid JSON");
  if (!doc.is_object()) return InvalidArgument("the answer is not a JSON object");
  InvestorUpdate update;
  update.company_id = digest.company_id;
  update.period_start = digest.period_start;
  update.period_end = digest.period_end;
  update.digest = digest;
  update.event_ids = prompt.event_ids;
  MS_RETURN_IF_ERROR(ReadText(doc, "subject", &update.subject));
  update.subject = OneLine(update.subject);
  MS_RETURN_IF_ERROR(ReadText(doc, "body", &update.body));
  if (!update.body.ends_with('\n')) update.body += '\n';
  return update;
}

InvestorUpdateRun WriteInvestorUpdate(const UpdateDigest& digest, LlmCallPolicy& policy,
                                      const InvestorUpdateLlmOptions& options) {
  InvestorUpdateRun run;
  if (digest.headline.event_id == 0 && digest.kpis.empty()) {
    run.update = BuildInvestorUpdateOffline(digest);
    return run;
  }
  InvestorUpdatePrompt prompt = BuildInvestorUpdatePrompt(digest, options);
  std::string provider = policy.client()->provider();
  auto update = Ask(policy, prompt, digest, options.max_retries, &run);
  if (update.ok()) {
    run.update = std::move(update).value();
    run.update.provider = provider;
    return run;
  }
  run.update = BuildInvestorUpdateOffline(digest);
  const std::string& reason = update.status().message();
  run.update.fallback_reason =
      reason.starts_with(provider + ":") ? reason : provider + ": " + reason;
  return run;
}

}  // namespace ms
