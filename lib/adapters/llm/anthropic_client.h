// Anthropic Messages: POST {base_url}/v1/messages. Structured output through one forced tool
// named LlmRequest::schema_name (`record_events` for extraction) whose input_schema is the
// request's schema; the answer is the tool call's input.
#pragma once

#include "adapters/llm/http_llm_client.h"

namespace ms::llm {

inline constexpr const char* kAnthropicDefaultBaseUrl = "https://api.anthropic.com";
inline constexpr const char* kAnthropicDefaultModel = "claude-3-5-haiku-latest";
inline constexpr const char* kAnthropicVersion = "2023-06-01";

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
