#include "adapters/llm/anthropic_client.h"

namespace ms::llm {

using nlohmann::json;

namespace {

std::string FinishReason(const std::string& reason) {
  if (reason == "end_turn" || reason == "tool_use" || reason == "stop_sequence") return "stop";
  if (reason == "max_tokens") return "length";
  return "other";  // refusal, pause_turn, ...
}

// The forced tool's input, serialised (the request offers exactly one tool, so any tool_use
// block is its call); failing that, any text blocks (a model that ignored the tool may still
// have answered in JSON).
std::string AnswerText(const json& content) {
  std::string text;
  if (!content.is_array()) return text;
  for (const json& block : content) {
    std::string type = JsonString(block, "type");
    if (type == "tool_use" && block.contains("input")) {
      return block["input"].dump();
    }
    if (type == "text") text += JsonString(block, "text");
  }
  return text;
}

}  // namespace

TokenUsage AnthropicUsage(const json& usage) {
  TokenUsage out;
  // input_tokens counts only the input after the last cache breakpoint; cache reads and writes
  // are reported beside it, and all three together are the prompt.
  out.cached_prompt_tokens = JsonCount(usage, "cache_read_input_tokens");
  out.cache_write_tokens = JsonCount(usage, "cache_creation_input_tokens");
  out.prompt_tokens =
      JsonCount(usage, "input_tokens") + out.cached_prompt_tokens + out.cache_write_tokens;
  out.completion_tokens = JsonCount(usage, "output_tokens");
  return out;
}

AnthropicClient::AnthropicClient(LlmClientOptions options)
    : HttpLlmClient("anthropic", std::move(options)) {}

HttpLlmClient::Headers AnthropicClient::AuthHeaders() const {
  return {{"x-api-key", options().api_key}, {"anthropic-version", kAnthropicVersion}};
}

json AnthropicClient::Body(const LlmRequest& request, const json& schema) const {
  json tool = {{"name", request.schema_name},
               {"description", request.schema_description},
               {"input_schema", schema}};
  // Anthropic renders tools, then system, then messages: a breakpoint on the system block
  // caches the tool (schema) and the system prompt, the prefix every extraction shares.
  json system_block = {
      {"type", "text"}, {"text", request.system}, {"cache_control", {{"type", "ephemeral"}}}};
  return {
      {"model", options().model},
      {"max_tokens", request.max_output_tokens},
      {"system", json::array({system_block})},
      {"messages", json::array({{{"role", "user"}, {"content", request.user}}})},
      {"tools", json::array({tool})},
      {"tool_choice", {{"type", "tool"}, {"name", request.schema_name}}},
      {"temperature", 0},
  };
}

LlmResult AnthropicClient::Parse(const json& body) const {
  if (!body.contains("content")) return Fail(Unavailable("anthropic: malformed response"));
  LlmResponse response;
  response.text = AnswerText(body["content"]);
  response.finish_reason = FinishReason(JsonString(body, "stop_reason"));
  response.usage = AnthropicUsage(body.value("usage", json::object()));
  response.model = JsonString(body, "model");
  if (response.model.empty()) response.model = options().model;
  return {std::move(response), std::nullopt};
}

}  // namespace ms::llm
