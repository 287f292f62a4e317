// Turns a failed provider exchange into an LlmError the retry policy can act on. Shared by the
// OpenAI-compatible, Gemini and Anthropic clients, whose error bodies differ in shape:
//   OpenAI     {"error": {"message", "type", "code"}}
//   Gemini     {"error": {"code": 429, "message", "status": "RESOURCE_EXHAUSTED", "details"}}
//   Anthropic  {"type": "error", "error": {"type": "overloaded_error", "message"}}
//
// Classification (status code of LlmError::status):
//   Unavailable         408/409/425/429/5xx/529, timeouts, connection failures, malformed 2xx
//                       bodies; retry_after from the headers or Gemini's RetryInfo.
//   FailedPrecondition  401/403/404 and other 4xx (configuration), Gemini's 400
//                       API_KEY_INVALID; quota or spend-limit
//                       exhaustion (quota_exhausted = true, even on a 429: never retried).
//   InvalidArgument     400/413/422, including context-length overflows (the batch is too big).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/llm/http_client.h"
#include "ports/extract.h"

namespace ms::llm {

// The fields of a provider error body that matter for classification.
struct ProviderError {
  std::string type;     // OpenAI/Anthropic error.type
  std::string code;     // OpenAI error.code (string or number, as text)
  std::string status;   // Gemini error.status
  std::string message;  // error.message
  std::optional<std::chrono::milliseconds> retry_delay;  // Gemini RetryInfo.retryDelay
  bool daily_quota = false;  // Gemini QuotaFailure naming a per-day limit
  bool bad_key = false;      // Gemini reports an invalid key as 400 API_KEY_INVALID
};

// Best effort: an unparseable body gives an empty ProviderError with the body's start as the
// message.
ProviderError ParseErrorBody(std::string_view body);

// `secret` (the API key) is scrubbed from every message. `now` is Unix-epoch time.
LlmError ClassifyHttpError(std::string_view provider, const HttpResponse& response,
                           std::chrono::milliseconds now, std::string_view secret);

// An error of HttpClient::Post (no HTTP status).
LlmError ClassifyTransportError(std::string_view provider, const Status& status);

// A 2xx response the client could not understand: retryable, it is usually a proxy's page.
LlmError MalformedResponse(std::string_view provider, std::string_view what);

// Replaces every occurrence of `secret` (if at least 4 chars) in `text` with "[redacted]".
std::string RedactSecret(std::string text, std::string_view secret);

}  // namespace ms::llm
