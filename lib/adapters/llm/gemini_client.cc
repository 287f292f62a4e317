#include "adapters/llm/gemini_client.h"

#include <algorithm>

#include "adapters/llm/gemini_schema.h"

namespace ms::llm {

using nlohmann::json;

namespace {

std::string FinishReason(const std::string& reason) {
  if (reason == "STOP") return "stop";
  if (reason == "MAX_TOKENS") return "length";
  return "other";  // SAFETY, RECITATION, BLOCKLIST, MALFORMED_FUNCTION_CALL, ...
}

// The answer is the candidate's text parts joined; "thought" parts are reasoning, not answer.
std::string AnswerText(const json& candidate) {
  std::string text;
  const json content = candidate.value("content", json::object());
  for (const json& part : content.value("parts", json::array())) {
    if (part.value("thought", false)) continue;
    text += JsonString(part, "text");
  }
  return text;
}

}  // namespace

TokenUsage GeminiUsage(const json& usage_metadata) {
  TokenUsage out;
  out.prompt_tokens = JsonCount(usage_metadata, "promptTokenCount");
  out.completion_tokens = JsonCount(usage_metadata, "candidatesTokenCount") +
                          JsonCount(usage_metadata, "thoughtsTokenCount");
  // Implicit caching: the cached part is reported inside promptTokenCount.
  out.cached_prompt_tokens =
      std::min(JsonCount(usage_metadata, "cachedContentTokenCount"), out.prompt_tokens);
  return out;
}

GeminiClient::GeminiClient(LlmClientOptions options)
    : HttpLlmClient("gemini", std::move(options)) {}

std::string GeminiClient::Path() const {
  return "/v1beta/models/" + options().model + ":generateContent";
}

HttpLlmClient::Headers GeminiClient::AuthHeaders() const {
  return {{"x-goog-api-key", options().api_key}};
}

json GeminiClient::Body(const LlmRequest& request, const json& schema) const {
  return {
      {"systemInstruction", {{"parts", json::array({{{"text", request.system}}})}}},
      {"contents",
       json::array({{{"role", "user"}, {"parts", json::array({{{"text", request.user}}})}}})},
      {"generationConfig",
       {{"responseMimeType", "application/json"},
        {"responseSchema", ToGeminiSchema(schema)},
        {"maxOutputTokens", request.max_output_tokens},
        {"temperature", 0}}},
  };
}

LlmResult GeminiClient::Parse(const json& body) const {
  const json candidates = body.value("candidates", json::array());
  if (!candidates.is_array() || candidates.empty()) {
    std::string blocked = JsonString(body.value("promptFeedback", json::object()), "blockReason");
    if (!blocked.empty()) return Fail(InvalidArgument("gemini: prompt blocked: " + blocked));
    return Fail(Unavailable("gemini: malformed response: no candidates"));
  }
  const json& candidate = candidates[0];
  LlmResponse response;
  response.text = AnswerText(candidate);
  response.finish_reason = FinishReason(JsonString(candidate, "finishReason"));
  response.usage = GeminiUsage(body.value("usageMetadata", json::object()));
  response.model = JsonString(body, "modelVersion");
  if (response.model.empty()) response.model = options().model;
  return {std::move(response), std::nullopt};
}

}  // namespace ms::llm
