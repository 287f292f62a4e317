// OpenAI-compatible chat completions: POST {base_url}/v1/chat/completions with a strict
// json_schema response format. Works against OpenAI and the compatible local servers (vLLM,
// Ollama, llama.cpp server, LiteLLM); the bearer token is only sent when a key is set.
#pragma once

#include <memory>

#include "adapters/llm/http_llm_client.h"

namespace ms::llm {

inline constexpr const char* kOpenAiDefaultBaseUrl = "https://api.openai.com";
inline constexpr const char* kOpenAiDefaultModel = "gpt-4o-mini";

// The response's `usage` as TokenUsage: prompt_tokens and completion_tokens as reported;
// cached_prompt_tokens = prompt_tokens_details.cached_tokens (automatic prefix caching; part of
// prompt_tokens, capped at it). Missing or null fields read 0.
TokenUsage OpenAiUsage(const nlohmann::json& usage);

class OpenAiClient final : public HttpLlmClient {
 public:
  // `options` as normalised by MakeLlmClient.
  explicit OpenAiClient(LlmClientOptions options);

 private:
  std::string Path() const override { return "/v1/chat/completions"; }
  Headers AuthHeaders() const override;
  nlohmann::json Body(const LlmRequest& request, const nlohmann::json& schema) const override;
  LlmResult Parse(const nlohmann::json& body) const override;

  // OpenAI itself wants max_completion_tokens (newer models reject max_tokens); compatible
  // servers widely understand only max_tokens.
  const bool official_api_;
};

}  // namespace ms::llm
