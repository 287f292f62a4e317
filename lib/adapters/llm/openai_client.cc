#include "adapters/llm/openai_client.h"

#include <algorithm>

namespace ms::llm {

using nlohmann::json;

namespace {

std::string FinishReason(const json& choice) {
  std::string reason = JsonString(choice, "finish_reason");
  if (reason == "stop") return "stop";
  if (reason == "length") return "length";
  return "other";  // content_filter, tool_calls, function_call, ...
}

// Reasoning models (o1, o3, o4, gpt-5) only accept the default temperature.
bool AcceptsTemperature(const std::string& model) {
  return !(model.starts_with("o1") || model.starts_with("o3") || model.starts_with("o4") ||
           model.starts_with("gpt-5"));
}

}  // namespace

TokenUsage OpenAiUsage(const json& usage) {
  TokenUsage out;
  out.prompt_tokens = JsonCount(usage, "prompt_tokens");
  out.completion_tokens = JsonCount(usage, "completion_tokens");
  // Automatic prefix caching: the cached part is reported inside prompt_tokens.
  const json details = usage.is_object() ? usage.value("prompt_tokens_details", json()) : json();
  out.cached_prompt_tokens = std::min(JsonCount(details, "cached_tokens"), out.prompt_tokens);
  return out;
}

OpenAiClient::OpenAiClient(LlmClientOptions options)
    : HttpLlmClient("openai", std::move(options)),
      official_api_(this->options().base_url == kOpenAiDefaultBaseUrl) {}

HttpLlmClient::Headers OpenAiClient::AuthHeaders() const {
  if (options().api_key.empty()) return {};
  return {{"Authorization", "Bearer " + options().api_key}};
}

json OpenAiClient::Body(const LlmRequest& request, const json& schema) const {
  json body = {
      {"model", options().model},
      {"messages", json::array({{{"role", "system"}, {"content", request.system}},
                                {{"role", "user"}, {"content", request.user}}})},
      {"response_format",
       {{"type", "json_schema"},
        {"json_schema", {{"name", request.schema_name}, {"strict", true}, {"schema", schema}}}}},
  };
  body[official_api_ ? "max_completion_tokens" : "max_tokens"] = request.max_output_tokens;
  if (AcceptsTemperature(options().model)) body["temperature"] = 0;
  return body;
}

LlmResult OpenAiClient::Parse(const json& body) const {
  const json& choices = body.at("choices");
  if (!choices.is_array() || choices.empty()) return Fail(Unavailable("openai: no choices"));
  const json& choice = choices[0];
  const json& message = choice.at("message");
  auto refusal = message.find("refusal");
  if (refusal != message.end() && refusal->is_string()) {
    return Fail(InvalidArgument("openai: the model refused: " + refusal->get<std::string>()));
  }
  LlmResponse response;
  const json& content = message.value("content", json());
  response.text = content.is_string() ? StripCodeFence(content.get<std::string>()) : "";
  response.finish_reason = FinishReason(choice);
  response.usage = OpenAiUsage(body.value("usage", json()));
  response.model = JsonString(body, "model");
  if (response.model.empty()) response.model = options().model;
  return {std::move(response), std::nullopt};
}

}  // namespace ms::llm
