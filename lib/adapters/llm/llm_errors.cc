#include "adapters/llm/llm_errors.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "adapters/llm/retry_after.h"

namespace ms::llm {
namespace {

using nlohmann::json;

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return out;
}

bool Contains(const std::string& lowered, std::string_view needle) {
  return lowered.find(needle) != std::string::npos;
}

std::string Text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number() || value.is_boolean()) return value.dump();
  return "";
}

// One line, bounded, so a provider's page of HTML cannot flood a log line.
std::string Excerpt(std::string_view text, size_t max_chars = 300) {
  std::string out;
  for (char ch : text.substr(0, max_chars)) out += (ch == '\n' || ch == '\r') ? ' ' : ch;
  if (text.size() > max_chars) out += "...";
  return out;
}

void ReadGeminiDetails(const json& details, ProviderError* out) {
  if (!details.is_array()) return;
  for (const json& detail : details) {
    std::string type = detail.is_object() ? Text(detail.value("@type", json())) : "";
    if (type.ends_with("RetryInfo")) {
      out->retry_delay = ParseGoDuration(Text(detail.value("retryDelay", json())));
    } else if (type.ends_with("QuotaFailure") && detail.contains("violations")) {
      for (const json& violation : detail["violations"]) {
        if (Contains(Lower(violation.dump()), "perday")) out->daily_quota = true;
      }
    } else if (type.ends_with("ErrorInfo")) {
      std::string text = Lower(detail.dump());
      if (Contains(text, "perday")) out->daily_quota = true;
      if (Contains(text, "api_key_invalid")) out->bad_key = true;
    }
  }
}

bool IsQuotaExhausted(int http_status, const ProviderError& error) {
  std::string message = Lower(error.message);
  if (error.code == "insufficient_quota" || error.type == "insufficient_quota") return true;
  if (error.type == "billing_error" || http_status == 402) return true;
  if (Contains(message, "credit balance is too low") ||
      Contains(message, "reached your specified api usage limits") ||
      Contains(message, "reached your specified workspace api usage limits")) {
    return true;
  }
  if (error.daily_quota) return true;
  // Gemini says "exceeded your current quota" for per-minute limits too, but then it includes
  // a RetryInfo; without one the quota is the daily or billing kind.
  return Contains(message, "exceeded your current quota") && !error.retry_delay;
}

bool IsContextLength(int http_status, const ProviderError& error) {
  if (http_status == 413) return true;
  if (http_status != 400) return false;
  std::string message = Lower(error.message);
  return error.code == "context_length_exceeded" || Contains(message, "context_length_exceeded") ||
         Contains(message, "maximum context length") || Contains(message, "prompt is too long") ||
         Contains(message, "exceeds the maximum number of tokens") ||
         Contains(message, "context window");
}

bool IsRetryableStatus(int http_status) {
  return http_status == 408 || http_status == 409 || http_status == 425 || http_status == 429 ||
         http_status >= 500;
}

std::string Describe(std::string_view provider, int http_status, const ProviderError& error) {
  std::string out = std::string(provider) + ": HTTP " + std::to_string(http_status);
  std::string kind = !error.code.empty()   ? error.code
                     : !error.type.empty() ? error.type
                                           : error.status;
  if (!kind.empty()) out += " " + kind;
  if (!error.message.empty()) out += ": " + Excerpt(error.message);
  return out;
}

}  // namespace

ProviderError ParseErrorBody(std::string_view body) {
  ProviderError out;
  json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_array() && !doc.empty()) doc = doc[0];  // Gemini streaming wraps it in an array
  if (!doc.is_object() || !doc.contains("error")) {
    out.message = Excerpt(body, 200);
    return out;
  }
  const json& error = doc["error"];
  if (!error.is_object()) {
    out.message = Text(error);
    return out;
  }
  out.type = Text(error.value("type", json()));
  out.code = Text(error.value("code", json()));
  out.status = Text(error.value("status", json()));
  out.message = Text(error.value("message", json()));
  ReadGeminiDetails(error.value("details", json()), &out);
  if (Contains(Lower(out.message), "api key not valid")) out.bad_key = true;
  return out;
}

LlmError ClassifyHttpError(std::string_view provider, const HttpResponse& response,
                           std::chrono::milliseconds now, std::string_view secret) {
  ProviderError error = ParseErrorBody(response.body);
  int http_status = response.status;
  std::string detail = RedactSecret(Describe(provider, http_status, error), secret);
  LlmError out;
  out.http_status = http_status;
  if (IsQuotaExhausted(http_status, error)) {
    out.quota_exhausted = true;
    out.status = FailedPrecondition(detail + " (quota exhausted)");
  } else if (IsContextLength(http_status, error)) {
    out.status = InvalidArgument(detail + " (prompt exceeds the context window)");
  } else if (IsRetryableStatus(http_status)) {
    out.status = Unavailable(detail);
    out.retry_after =
        error.retry_delay ? error.retry_delay : RetryAfterFromHeaders(response.headers, now);
  } else if (error.bad_key) {
    out.status = FailedPrecondition(detail + " (check the API key)");
  } else if (http_status == 400 || http_status == 422) {
    out.status = InvalidArgument(detail);
  } else {
    out.status = FailedPrecondition(detail);  // auth, permissions, unknown model, redirects
  }
  return out;
}

LlmError ClassifyTransportError(std::string_view provider, const Status& status) {
  LlmError out;
  std::string detail = std::string(provider) + ": " + status.message();
  if (status.code() == StatusCode::kResourceExhausted) {
    out.status = FailedPrecondition(detail + " (check base_url)");
  } else if (status.code() == StatusCode::kInternal) {
    out.status = Internal(detail);
  } else {
    out.status = Unavailable(detail);  // timeouts and connection failures alike
  }
  return out;
}

LlmError MalformedResponse(std::string_view provider, std::string_view what) {
  LlmError out;
  out.http_status = 200;
  out.status = Unavailable(std::string(provider) + ": malformed response: " + std::string(what));
  return out;
}

std::string RedactSecret(std::string text, std::string_view secret) {
  if (secret.size() < 4) return text;
  for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
    text.replace(pos, secret.size(), "[redacted]");
  }
  return text;
}

}  // namespace ms::llm
