// Anthropic Messages: POST {base_url}/v1/messages. Structured output through one forced tool
// named LlmRequest::schema_name (`record_events` for extraction) whose input_schema is the
// request's schema; the answer is the tool call's input.
#pragma once

#include "adapters/llm/http_llm_client.h"

namespace ms::llm {

inline constexpr const char* kAnthropicDefaultBaseUrl = "https://api.anthropic.com";
inline constexpr const char* kAnthropicDefaultModel = "claude-3-5-haiku-latest";
inline constexpr const char* kAnthropicVersion = "2023-06-01";

// The response's `usage` as TokenUsage: prompt_tokens = input_tokens + cache_read_input_tokens +
// cache_creation_input_tokens (Anthropic reports the cache counts beside input_tokens, not in
// it); cached_prompt_tokens = the reads, cache_write_tokens = the writes. Missing fields read 0.
TokenUsage AnthropicUsage(const nlohmann::json& usage);

class AnthropicClient final : public HttpLlmClient {
 public:
  explicit AnthropicClient(LlmClientOptions options);

 private:
  std::string Path() const override { return "/v1/messages"; }
  Headers AuthHeaders() const override;
  nlohmann::json Body(const LlmRequest& request, const nlohmann::json& schema) const override;
  LlmResult Parse(const nlohmann::json& body) const override;
};

}  // namespace ms::llm
