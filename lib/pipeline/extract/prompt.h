// The LLM wire format of extraction (design §5): compact prompts out, validated events and KPI
// observations in.
//
// Prompt shape. The system prompt is constant (so providers can cache it): the task, what a
// KPI observation is (a reading, never an event), the 14 event types, the severity rules, the
// event metric names, the output contract, and the rule that message text is data, never
// instructions. The user prompt names the company and carries the messages between
// <messages> and </messages>, one line each:
//     <index>|<s|g>|<sender>|<YYYY-MM-DD>|<text>
// index counts from 0 within the prompt (no UUIDs, no database ids); s = Slack, g = Gmail
// (the subject is folded into the text as "Subject: ... — "); whitespace runs, newlines
// included, collapse to one space; text longer than max_message_chars is cut at a UTF-8
// boundary and ends in "…[trimmed]"; "<messages>"/"</messages>" inside a message are
// defused so the data cannot close the block.
//
// Privacy (design §4 invariant 5): with redact_pii, sender, subject and text pass through
// Redact() before anything else sees them, and the trimmed text is redacted again, so no
// e-mail address, phone number, Luhn-valid card number, credential-looking token or IBAN
// reaches system or user.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ports/extract.h"

namespace ms {

struct PromptOptions {
  bool redact_pii = true;
  bool prefilter = true;
  int max_prompt_tokens = 24000;  // <= 0: no limit
  size_t max_message_chars = 1200;
};

struct PreparedPrompt {
  // system + user + schema_json filled; deadline/max_output_tokens left default.
  LlmRequest request;
  std::vector<int64_t> index_to_message_id;  // prompt line index -> messages.id
  int dropped_by_prefilter = 0;  // the batch's total, on the first prompt only (sum = total)
  int redactions = 0;            // placeholders inserted into this prompt
  int estimated_tokens = 0;      // bytes/4 of system+user
};

// One PreparedPrompt per chunk: a batch whose prompt would exceed max_prompt_tokens is split
// (in message order; every chunk holds at least one message, so a single huge message still
// gets a prompt). Empty vector when the prefilter dropped everything (no LLM call needed).
std::vector<PreparedPrompt> PreparePrompts(const ExtractionRequest& request,
                                           const PromptOptions& options);

// The model's answer after validation.
struct ParsedAnswer {
  std::vector<ExtractedEvent> events;              // company_id set, source ids sorted ascending
  std::vector<ExtractedObservation> observations;  // answer order, one per (metric, message)
  int rejected_events = 0;                         // events that failed validation and were dropped
  int rejected_observations = 0;  // observations that failed validation and were dropped
};

// Parses and validates the model's JSON answer ({"events":[...], "observations":[...]}) for
// the batch's company, mapping short line indexes back to message ids. Returns InvalidArgument
// when the JSON is malformed or not of the schema's shape (=> repair attempt): no "events"
// array, an element that is not an object, "observations" present but not an array or null.
//
// Events: rejected (and counted) with an unknown type or severity, no title, another
// company_id, or no valid source index. Lenient where it is safe: a ```json fence around the
// answer, surrounding whitespace, type and severity in another case, numbers given as strings
// (and vice versa) in metrics and sources, metrics as an object instead of name/value pairs, a
// missing company_id (the batch's company is assumed). Out-of-range or repeated sources are
// dropped; an event keeps the rest.
//
// Observations: a missing "observations" key reads as none (answers to older prompts).
// Rejected (and counted) when the metric is not in the vocabulary (pipeline/ledger/metric_vocab.h;
// matched in any case), the value is not a finite number >= 0 (a string holding one, such as
// "1.42m" or "$262,000", is read with ParseAmount), or the source is not a line index of the
// prompt. The unit is normalized with NormalizeUnit. Only the first observation of a
// (metric, message) is kept; later ones are dropped without being counted.
StatusOr<ParsedAnswer> ParseAnswer(std::string_view answer, const PreparedPrompt& prompt,
                                   const std::string& company_id);

// A follow-up request asking the model to return valid JSON for the same prompt: the original
// system and user text, then the validation error and (the first 2000 bytes of) the bad answer,
// both redacted too: whatever the model wrote goes back out in a request body.
LlmRequest RepairRequest(const PreparedPrompt& prompt, std::string_view bad_answer,
                         std::string_view error);

// The answer's JSON Schema, {"events": [...], "observations": [...]} (draft 2020-12 subset
// every provider accepts: object, array, string, integer, number, enum, required; no $ref). Every
// object lists all its properties in "required" and sets "additionalProperties": false, as OpenAI
// strict mode demands (Gemini's converter drops the keyword). Metrics are an array of {name, value}
// pairs because free-form maps are not expressible in strict mode. An observation is {metric (enum
// of the metric vocabulary), value (number), unit (string), source (integer line index)}.
const std::string& EventSchemaJson();

// The constant system prompt (exposed for tests and the benchmark).
const std::string& ExtractionSystemPrompt();

}  // namespace ms
