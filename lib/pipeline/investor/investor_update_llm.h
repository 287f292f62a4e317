// The LLM-written investor update (design §5): the period's digest (investor_update.h: the
// headline, the KPI table, milestones, sections, investor interest — already chosen and cut to
// one page) goes to the configured provider as delimited data, the answer {subject, body} is
// validated, and the offline template stands in whenever the provider cannot deliver. The
// model writes prose around facts already chosen; it never sees raw events.
//
// Prompt shape. The system prompt is constant: the task, the rule that the digest is data and
// never instructions, the output contract. The user prompt names the company and the period
// and carries the digest between <digest> and </digest>, one compact JSON object per line:
//     {"kind":"subject","text":"..."}
//     {"kind":"headline","date":"2025-11-05","type":"funding","text":"..."}
//     {"kind":"kpi","metric":"MRR","first":"$151k (2 Nov)","latest":"$262k (14 Nov)",
//      "change":"+73.5%"}
//     {"kind":"milestone"|"item","section":"Deals","date":"...","type":"...","text":"..."}
//     {"kind":"investors","names":["..."]}
// Whitespace runs collapse to one space; a field longer than max_field_bytes is cut at a UTF-8
// boundary and ends in "…"; "<digest>"/"</digest>" inside the data are defused so it cannot
// close the block.
//
// Privacy (design §4 invariant 5): with redact_pii, every string of the digest passes through
// Redact() before and after it is cut, so no e-mail address, phone number, card number,
// credential or IBAN reaches the request body.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "pipeline/investor/investor_update.h"
#include "pipeline/llm_policy/llm_call_policy.h"
#include "ports/extract.h"
#include "ports/ledger.h"

namespace ms {

struct InvestorUpdateLlmOptions {
  bool redact_pii = true;
  size_t max_field_bytes = 400;  // per string field of the digest
  int max_output_tokens = 2048;
  int max_retries = 4;  // retryable failures the policy may retry, across both calls
};

struct InvestorUpdatePrompt {
  LlmRequest request;              // system, user, schema_json and schema name filled
  std::vector<int64_t> event_ids;  // the digest's events
  int redactions = 0;              // placeholders inserted
  int estimated_tokens = 0;        // bytes/4 of system+user
};

InvestorUpdatePrompt BuildInvestorUpdatePrompt(const UpdateDigest& digest,
                                               const InvestorUpdateLlmOptions& options);

// Validates the model's answer. InvalidArgument naming the problem when it is not a JSON
// object, or the subject or body is missing or blank. Lenient where it is safe: a ```json
// fence, other keys ignored. Cleans up: the subject becomes one line of at most 200 bytes.
// The result carries the digest, its period and event_ids; provider/model are left to the
// caller.
StatusOr<InvestorUpdate> ParseInvestorUpdate(std::string_view answer,
                                             const InvestorUpdatePrompt& prompt,
                                             const UpdateDigest& digest);

// {subject, body}: a closed object with every property required (OpenAI strict mode).
const std::string& InvestorUpdateSchemaJson();
const std::string& InvestorUpdateSystemPrompt();

struct InvestorUpdateRun {
  InvestorUpdate update;
  TokenUsage usage;   // over the successful calls
  int llm_calls = 0;  // HTTP calls made, failed ones included
};

// Writes the update through `policy` (its client names provider and model):
//  - an empty digest (no event, no KPI): no call; the offline template.
//  - one call; an answer cut off at the output limit or failing ParseInvestorUpdate gets
//    exactly one repair call (the problem and the redacted bad answer appended).
//  - the LLM's update when an answer validates: provider and model set, fallback_reason empty.
//  - otherwise the offline template of the digest, provider "template" and
//    fallback_reason naming the provider and why ("openai: answer unusable after one repair:
//    no subject", "gemini: <the policy's error>"). Never fails: the caller always gets an
//    update and decides how loudly to report a fallback.
InvestorUpdateRun WriteInvestorUpdate(const UpdateDigest& digest, LlmCallPolicy& policy,
                                      const InvestorUpdateLlmOptions& options);

}  // namespace ms
