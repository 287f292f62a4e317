// Ports of the extraction half of the pipeline (design §1 extract/store, §5).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/message.h"
#include "core/status.h"

namespace ms {

// The 14 event types of design §5, in the order the schema lists them.
inline constexpr const char* kEventTypes[] = {"user_growth",      "revenue_milestone",
                                              "funding",          "partnership",
                                              "product_launch",   "hiring",
                                              "enterprise_deal",  "technical_achievement",
                                              "market_expansion", "compliance",
                                              "media_coverage",   "investor_interest",
                                              "customer_success", "other"};
inline constexpr const char* kSeverities[] = {"high", "medium", "low"};

// A stored message as extraction sees it.
struct BatchMessage {
  int64_t id = 0;  // messages.id
  Source source = Source::kSlack;
  std::string sender;
  std::string subject;
  std::string text;
  int64_t sent_at_ms = 0;
};

struct ExtractionRequest {
  int64_t batch_id = 0;
  std::string company_id;
  std::vector<BatchMessage> messages;
};

// One significant business event, validated against the event schema.
struct ExtractedEvent {
  std::string company_id;  // as stated by the extractor; must equal the batch's
  std::string type;        // one of kEventTypes
  std::string title;
  std::string description;
  std::string impact;
  std::map<std::string, std::string>
      metrics;  // e.g. {"mrr_usd": "192400", "growth_wow_pct": "12.5"}
  std::string timeline;
  std::string severity;  // one of kSeverities
  std::vector<std::string> stakeholders;
  std::vector<int64_t> source_message_ids;  // messages.id values from the request
};

// One reading of a per-company KPI series (design §3 ledger model): a report of MRR, ARR, DAU,
// churn, ... is an observation, not an event. Stored in `observations`, idempotent on
// (company, metric, source message); its time is the source message's sent time.
struct ExtractedObservation {
  std::string metric;  // a name of the metric vocabulary (pipeline/ledger/metric_vocab.h)
  double value = 0;    // in `unit`: 262000 for $262k, 12.5 for 12.5 %
  std::string unit;    // ISO currency code for money ("USD", "GBP", "EUR"), "pct", "count"
  int64_t source_message_id = 0;  // messages.id of the report
};

// Tokens one or more calls spent. prompt_tokens counts every input token, however the provider
// billed it; the two cache counts are parts of it, never added on top: cached_prompt_tokens
// were read from the provider's prompt cache (billed at the cached rate), cache_write_tokens
// were written to it (Anthropic bills them at 1.25 x the input rate). The rest of prompt_tokens
// is plain input.
struct TokenUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_prompt_tokens = 0;
  int64_t cache_write_tokens = 0;

  TokenUsage& operator+=(const TokenUsage& other) {
    prompt_tokens += other.prompt_tokens;
    completion_tokens += other.completion_tokens;
    cached_prompt_tokens += other.cached_prompt_tokens;
    cache_write_tokens += other.cache_write_tokens;
    return *this;
  }
};

struct ExtractionResult {
  std::vector<ExtractedEvent> events;
  std::vector<ExtractedObservation> observations;  // KPI readings, one per metric per message
  TokenUsage usage;
  // Of `usage`, what a provider batch job answered (llm.submit: batch), billed at the model's
  // batch_multiplier of the price; the rest was billed at the full price.
  TokenUsage batch_usage;
  std::string provider;         // "rules", "openai", "gemini", "anthropic"
  std::string model;            // as the provider reports it answered (often a dated name)
  std::string requested_model;  // as asked for: llm.model or the provider's default
  int llm_calls = 0;
  int dropped_by_prefilter = 0;
  int decided_offline = 0;  // llm.mode tiered: messages the rules decided, never sent
  // How the batch was decided, for pricing by mode: "model" (every kept message to the model),
  // "tiered" (llm.mode tiered) or "rules" (offline); a provider batch job adds "+batch".
  std::string mode;
  int rejected_events = 0;  // failed validation (unknown type, other company, no title)
};

// Turns a batch into events. Errors: Unavailable (retry the batch later), FailedPrecondition
// (configuration/auth/quota: fail the batch, don't retry until fixed), InvalidArgument (the
// batch itself cannot be processed, e.g. too large for the context, or an answer unusable after
// its repair), DeadlineExceeded, Cancelled (shutdown interrupted a wait: hand the batch back).
class Extractor {
 public:
  virtual ~Extractor() = default;
  // Fills *out (which starts empty). On failure *out still holds what the attempt spent and
  // dropped — tokens of the calls that answered, llm_calls, provider and model — so a failed
  // batch is accounted for too; its events are to be ignored.
  virtual Status ExtractInto(const ExtractionRequest& request, ExtractionResult* out) = 0;

  // How long until a call could go out (an open circuit breaker); zero when it could now.
  // Extraction workers wait rather than take batches that would fail without a call.
  virtual std::chrono::milliseconds ReadyIn() const { return std::chrono::milliseconds(0); }

  StatusOr<ExtractionResult> Extract(const ExtractionRequest& request) {
    ExtractionResult result;
    MS_RETURN_IF_ERROR(ExtractInto(request, &result));
    return result;
  }
};

// ---- The LLM wire, below the Extractor ------------------------------------------------------

struct LlmRequest {
  std::string system;       // instructions
  std::string user;         // the compact prompt with delimited message data
  std::string schema_json;  // JSON Schema of the expected answer
  // Names the structured output: the OpenAI json_schema name and the Anthropic forced tool
  // (name and description). Letters, digits and '_' only.
  std::string schema_name = "record_events";
  std::string schema_description = "Record the significant business events found in the messages.";
  int max_output_tokens = 4096;
  std::chrono::milliseconds deadline{60000};
};

struct LlmResponse {
  std::string text;           // the model's JSON answer (tool input for Anthropic)
  std::string finish_reason;  // normalized: "stop", "length", "other"
  TokenUsage usage;
  std::string model;
};

// A failed call, classified for the retry policy.
struct LlmError {
  Status status;  // Unavailable = retryable, FailedPrecondition/InvalidArgument = not
  int http_status = 0;
  std::optional<std::chrono::milliseconds> retry_after;  // server-given delay, if any
  bool quota_exhausted = false;                          // spend/quota limit: never retry
};

struct LlmResult {
  std::optional<LlmResponse> response;
  std::optional<LlmError> error;
  bool ok() const { return response.has_value(); }
};

// One provider's HTTP API (OpenAI-compatible, Gemini, Anthropic). One call, no retries: the
// retry policy lives above it.
class LlmClient {
 public:
  virtual ~LlmClient() = default;
  virtual LlmResult Complete(const LlmRequest& request) = 0;
  virtual std::string provider() const = 0;
  virtual std::string model() const = 0;
};

}  // namespace ms
