// The LLM-written investor update (design §5): the company's open events go to the configured
// provider as delimited data, the answer {subject, body, highlights, metrics} is validated, and
// the offline template (investor_update.h) stands in whenever the provider cannot deliver.
//
// Prompt shape. The system prompt is constant: the task, the rule that event text is data and
// never instructions, the output contract (including unambiguous metric labels). The user
// prompt names the company and carries the events between <events> and </events>, one compact
// JSON object per line, most relevant first (severity, then recency):
//     {"i":0,"type":"funding","severity":"high","last_seen":"2025-11-01","sightings":2,
//      "title":"...","description":"...","impact":"...","timeline":"...","metrics":{...}}
// Empty fields are left out; whitespace runs collapse to one space; a field longer than
// max_field_bytes is cut at a UTF-8 boundary and ends in "…"; "<events>"/"</events>" inside
// the data are defused so it cannot close the block.
//
// Privacy (design §4 invariant 5): with redact_pii, every string taken from an event (title,
// description, impact, timeline, metric names and values) passes through Redact() before and
// after it is cut, so no e-mail address, phone number, card number, credential or IBAN that an
// event carries reaches the request body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "pipeline/investor_update.h"
#include "pipeline/llm_call_policy.h"
#include "ports/extract.h"
#include "ports/ledger.h"

namespace ms {

struct InvestorUpdateLlmOptions {
  bool redact_pii = true;
  size_t max_events = 40;        // the most relevant events sent; the rest are left out
  size_t max_field_bytes = 400;  // per string field of an event
  int max_output_tokens = 2048;
  int max_retries = 4;  // retryable failures the policy may retry, across both calls
};

struct InvestorUpdatePrompt {
  LlmRequest request;              // system, user, schema_json and schema name filled
  std::vector<int64_t> event_ids;  // the events in the prompt, in prompt order
  int redactions = 0;              // placeholders inserted
  int estimated_tokens = 0;        // bytes/4 of system+user
};

InvestorUpdatePrompt BuildInvestorUpdatePrompt(const std::string& company_id,
                                               const std::vector<StoredEvent>& events,
                                               const InvestorUpdateLlmOptions& options);

// Validates the model's answer. InvalidArgument naming the problem when it is not a JSON
// object, or the subject or body is missing or blank, or highlights/metrics have the wrong
// shape. Lenient where it is safe: a ```json fence, metrics as an object {label: value}
// instead of label/value pairs, numbers as values. Cleans up: the subject becomes one line of
// at most 200 bytes; blank highlights and metrics, and repeated metric labels, are dropped; at
// most 10 highlights and 20 metrics are kept. The result carries company_id and the prompt's
// event_ids; provider/model are left to the caller.
StatusOr<InvestorUpdate> ParseInvestorUpdate(std::string_view answer,
                                             const InvestorUpdatePrompt& prompt,
                                             const std::string& company_id);

// {subject, body, highlights[], metrics[{label, value}]}: closed objects with every property
// required (OpenAI strict mode), no $ref.
const std::string& InvestorUpdateSchemaJson();
const std::string& InvestorUpdateSystemPrompt();

struct InvestorUpdateRun {
  InvestorUpdate update;
  TokenUsage usage;   // over the successful calls
  int llm_calls = 0;  // HTTP calls made, failed ones included
};

// Writes the update through `policy` (its client names provider and model):
//  - no events: no call; the offline template.
//  - one call; an answer cut off at the output limit or failing ParseInvestorUpdate gets
//    exactly one repair call (the problem and the redacted bad answer appended).
//  - the LLM's update when an answer validates: provider and model set, fallback_reason empty.
//  - otherwise the offline template over all `events`, provider "template" and
//    fallback_reason naming the provider and why ("openai: answer unusable after one repair:
//    no subject", "gemini: <the policy's error>"). Never fails: the caller always gets an
//    update and decides how loudly to report a fallback.
InvestorUpdateRun WriteInvestorUpdate(const std::string& company_id,
                                      const std::vector<StoredEvent>& events, LlmCallPolicy& policy,
                                      const InvestorUpdateLlmOptions& options);

}  // namespace ms
