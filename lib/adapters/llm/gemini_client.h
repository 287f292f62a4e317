// Google Gemini: POST {base_url}/v1beta/models/{model}:generateContent with a JSON
// responseSchema. The key travels in the x-goog-api-key header, never in the URL.
#pragma once

#include "adapters/llm/http_llm_client.h"

namespace ms::llm {

inline constexpr const char* kGeminiDefaultBaseUrl = "https://generativelanguage.googleapis.com";
inline constexpr const char* kGeminiDefaultModel = "gemini-2.0-flash";

// The response's `usageMetadata` as TokenUsage: prompt_tokens = promptTokenCount,
// completion_tokens = candidatesTokenCount + thoughtsTokenCount, cached_prompt_tokens =
// cachedContentTokenCount (implicit caching; part of promptTokenCount, capped at it). Missing
// fields read 0.
TokenUsage GeminiUsage(const nlohmann::json& usage_metadata);

class GeminiClient final : public HttpLlmClient {
 public:
  explicit GeminiClient(LlmClientOptions options);

 private:
  std::string Path() const override;
  Headers AuthHeaders() const override;
  nlohmann::json Body(const LlmRequest& request, const nlohmann::json& schema) const override;
  LlmResult Parse(const nlohmann::json& body) const override;
};

}  // namespace ms::llm
