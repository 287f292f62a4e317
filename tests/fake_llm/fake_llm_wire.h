// The fake LLM server's replies in each provider's wire format: successful completions and the
// faults the retry policy must survive (or must not retry).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace ms::test {

enum class Wire { kOpenAi, kGemini, kAnthropic };

enum class Fault {
  kNone,               // 200 with the answer
  kRateLimited,        // 429 in the provider's rate-limit shape, with Retry-After
  kServerError,        // 500
  kUnavailable,        // 503
  kOverloaded,         // 529 overloaded_error (Anthropic's shape, whatever the wire)
  kResourceExhausted,  // Gemini's 429 RESOURCE_EXHAUSTED with a RetryInfo delay (any wire)
  kSlow,               // 200, but only after FakeReply::delay
  kTruncatedBody,      // 200 whose HTTP body stops mid-JSON
  kTruncatedAnswer,    // 200, finish "stop", the model's JSON answer cut in half
  kSchemaInvalid,      // 200, the answer is JSON that does not match the schema
  kLength,             // 200, finish length / MAX_TOKENS / max_tokens, answer cut in half
  kUnauthorized,       // 401 (Gemini: 400 API_KEY_INVALID, as the real API does)
  kContextLength,      // 400 prompt longer than the context window
  kQuotaExhausted,     // OpenAI 429 insufficient_quota, Gemini daily quota, Anthropic credit
};

// "rate_limited", "server_error", ... ("none" for kNone); nullopt for an unknown name.
std::optional<Fault> ParseFault(std::string_view name);
std::string_view FaultName(Fault fault);

struct FakeReply {
  Fault fault = Fault::kNone;
  std::string answer;                  // the model's JSON answer; empty: the server's default
  std::chrono::milliseconds delay{0};  // before replying (any fault)
  std::string retry_after = "1";  // Retry-After header value (kRateLimited, kResourceExhausted)
  int prompt_tokens = 120;
  int completion_tokens = 30;
  // Of prompt_tokens, how many the request's cacheable prefix (system prompt and schema) counts.
  int prefix_tokens = 100;
  // Set by the server from the prompt cache it simulates: prefix tokens read from the cache (a
  // prefix seen before) or written to it (Anthropic, a new prefix behind a cache_control
  // breakpoint). Rendered in the provider's usage fields: OpenAI
  // prompt_tokens_details.cached_tokens and Gemini cachedContentTokenCount (parts of the prompt
  // count), Anthropic cache_read_input_tokens and cache_creation_input_tokens (beside
  // input_tokens, which then counts only the rest).
  int cached_tokens = 0;
  int cache_write_tokens = 0;
};

struct WireResponse {
  int status = 200;
  std::map<std::string, std::string> headers;
  std::string body;
};

// `answer` is the JSON text the model "wrote"; `model` is echoed back; `tool` names the
// Anthropic tool call an object answer comes back in (the request's forced tool).
WireResponse RenderReply(Wire wire, const FakeReply& reply, const std::string& answer,
                         const std::string& model, const std::string& tool = "record_events");

}  // namespace ms::test
