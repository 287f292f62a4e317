#include "tests/fake_llm/fake_llm_wire.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace ms::test {
namespace {

using nlohmann::json;

constexpr std::pair<Fault, const char*> kFaultNames[] = {
    {Fault::kNone, "none"},
    {Fault::kRateLimited, "rate_limited"},
    {Fault::kServerError, "server_error"},
    {Fault::kUnavailable, "unavailable"},
    {Fault::kOverloaded, "overloaded"},
    {Fault::kResourceExhausted, "resource_exhausted"},
    {Fault::kSlow, "slow"},
    {Fault::kTruncatedBody, "truncated_body"},
    {Fault::kTruncatedAnswer, "truncated_answer"},
    {Fault::kSchemaInvalid, "schema_invalid"},
    {Fault::kLength, "length"},
    {Fault::kUnauthorized, "unauthorized"},
    {Fault::kContextLength, "context_length"},
    {Fault::kQuotaExhausted, "quota_exhausted"},
};

enum class Finish { kStop, kLength };

json OpenAiSuccess(const std::string& answer, Finish finish, const FakeReply& reply,
                   const std::string& model) {
  return {
      {"id", "chatcmpl-fake"},
      {"object", "chat.completion"},
      {"model", model},
      {"choices", json::array({{{"index", 0},
                                {"message", {{"role", "assistant"}, {"content", answer}}},
                                {"finish_reason", finish == Finish::kStop ? "stop" : "length"}}})},
      {"usage",
       {{"prompt_tokens", reply.prompt_tokens},
        {"completion_tokens", reply.completion_tokens},
        {"total_tokens", reply.prompt_tokens + reply.completion_tokens},
        {"prompt_tokens_details", {{"cached_tokens", reply.cached_tokens}}}}}};
}

json GeminiSuccess(const std::string& answer, Finish finish, const FakeReply& reply,
                   const std::string& model) {
  json candidate = {{"content", {{"role", "model"}, {"parts", json::array({{{"text", answer}}})}}},
                    {"finishReason", finish == Finish::kStop ? "STOP" : "MAX_TOKENS"},
                    {"index", 0}};
  json usage = {{"promptTokenCount", reply.prompt_tokens},
                {"candidatesTokenCount", reply.completion_tokens},
                {"totalTokenCount", reply.prompt_tokens + reply.completion_tokens}};
  if (reply.cached_tokens > 0) usage["cachedContentTokenCount"] = reply.cached_tokens;
  return {{"candidates", json::array({candidate})},
          {"usageMetadata", std::move(usage)},
          {"modelVersion", model}};
}

// A JSON object answer goes into the forced tool call, as the real API does; anything else
// (truncated, not an object) comes back as a text block.
json AnthropicSuccess(const std::string& answer, Finish finish, const FakeReply& reply,
                      const std::string& model, const std::string& tool) {
  json parsed = json::parse(answer, nullptr, /*allow_exceptions=*/false);
  json block =
      parsed.is_object()
          ? json{{"type", "tool_use"}, {"id", "toolu_fake"}, {"name", tool}, {"input", parsed}}
          : json{{"type", "text"}, {"text", answer}};
  std::string stop = finish == Finish::kLength ? "max_tokens"
                     : parsed.is_object()      ? "tool_use"
                                               : "end_turn";
  return {{"id", "msg_fake"},
          {"type", "message"},
          {"role", "assistant"},
          {"model", model},
          {"content", json::array({block})},
          {"stop_reason", stop},
          {"usage",
           {{"input_tokens", reply.prompt_tokens - reply.cached_tokens - reply.cache_write_tokens},
            {"cache_read_input_tokens", reply.cached_tokens},
            {"cache_creation_input_tokens", reply.cache_write_tokens},
            {"output_tokens", reply.completion_tokens}}}};
}

WireResponse Success(Wire wire, const std::string& answer, Finish finish, const FakeReply& reply,
                     const std::string& model, const std::string& tool) {
  json body = wire == Wire::kOpenAi   ? OpenAiSuccess(answer, finish, reply, model)
              : wire == Wire::kGemini ? GeminiSuccess(answer, finish, reply, model)
                                      : AnthropicSuccess(answer, finish, reply, model, tool);
  return {200, {{"Content-Type", "application/json"}}, body.dump()};
}

struct ErrorSpec {
  int status;
  const char* type;  // OpenAI code / Anthropic error type
  const char* gemini_status;
  std::string message;
  json gemini_details = json::array();
};

WireResponse Error(Wire wire, const ErrorSpec& spec) {
  json body;
  if (wire == Wire::kGemini) {
    body = {{"error",
             {{"code", spec.status},
              {"message", spec.message},
              {"status", spec.gemini_status},
              {"details", spec.gemini_details}}}};
  } else if (wire == Wire::kAnthropic) {
    body = {{"type", "error"}, {"error", {{"type", spec.type}, {"message", spec.message}}}};
  } else {
    body = {{"error",
             {{"message", spec.message},
              {"type", spec.type},
              {"param", nullptr},
              {"code", spec.type}}}};
  }
  return {spec.status, {{"Content-Type", "application/json"}}, body.dump()};
}

json RetryInfo(const std::string& seconds) {
  return json::array(
      {{{"@type", "type.googleapis.com/google.rpc.RetryInfo"}, {"retryDelay", seconds + "s"}}});
}

ErrorSpec QuotaSpec(Wire wire) {
  if (wire == Wire::kAnthropic) {
    return {400, "invalid_request_error", "",
            "Your credit balance is too low to access the Anthropic API."};
  }
  json violation = {{"quotaId", "GenerateRequestsPerDayPerProjectPerModel-FreeTier"}};
  json details = json::array({{{"@type", "type.googleapis.com/google.rpc.QuotaFailure"},
                               {"violations", json::array({violation})}}});
  return {429, "insufficient_quota", "RESOURCE_EXHAUSTED",
          "You exceeded your current quota, please check your plan and billing details.", details};
}

ErrorSpec ContextSpec(Wire wire) {
  if (wire == Wire::kAnthropic)
    return {400, "invalid_request_error", "", "prompt is too long: 210000 tokens > 200000 maximum"};
  if (wire == Wire::kGemini) {
    return {400, "invalid_argument", "INVALID_ARGUMENT",
            "The input token count (1200000) exceeds the maximum number of tokens allowed "
            "(1048576)."};
  }
  return {400, "context_length_exceeded", "",
          "This model's maximum context length is 128000 tokens. However, your messages "
          "resulted in 130000 tokens."};
}

ErrorSpec UnauthorizedSpec(Wire wire) {
  if (wire == Wire::kGemini) {
    json details = json::array(
        {{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"}, {"reason", "API_KEY_INVALID"}}});
    return {400, "", "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.",
            details};
  }
  return {401, wire == Wire::kAnthropic ? "authentication_error" : "invalid_api_key", "",
          "Incorrect API key provided."};
}

ErrorSpec RateLimitSpec(Wire wire) {
  if (wire == Wire::kGemini)
    return {429, "", "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."};
  return {429, wire == Wire::kAnthropic ? "rate_limit_error" : "rate_limit_exceeded", "",
          "Rate limit reached: requests per minute."};
}

WireResponse FaultResponse(Wire wire, const FakeReply& reply) {
  switch (reply.fault) {
    case Fault::kRateLimited: {
      WireResponse out = Error(wire, RateLimitSpec(wire));
      out.headers["Retry-After"] = reply.retry_after;
      return out;
    }
    case Fault::kResourceExhausted:  // Gemini's shape, whatever the wire
      return Error(Wire::kGemini,
                   {429, "rate_limit_exceeded", "RESOURCE_EXHAUSTED",
                    "You exceeded your current quota, please check your plan and billing "
                    "details.",
                    RetryInfo(reply.retry_after)});
    case Fault::kServerError:
      return Error(wire, {500, "api_error", "INTERNAL", "An internal error has occurred."});
    case Fault::kUnavailable:
      return Error(wire, {503, "api_error", "UNAVAILABLE", "The model is overloaded."});
    case Fault::kOverloaded:
      return Error(Wire::kAnthropic, {529, "overloaded_error", "", "Overloaded"});
    case Fault::kUnauthorized:
      return Error(wire, UnauthorizedSpec(wire));
    case Fault::kContextLength:
      return Error(wire, ContextSpec(wire));
    case Fault::kQuotaExhausted:
      return Error(wire, QuotaSpec(wire));
    default:
      return {500, {}, "unexpected fault"};
  }
}

}  // namespace

std::optional<Fault> ParseFault(std::string_view name) {
  for (const auto& [fault, fault_name] : kFaultNames) {
    if (name == fault_name) return fault;
  }
  return std::nullopt;
}

std::string_view FaultName(Fault fault) {
  for (const auto& [known, fault_name] : kFaultNames) {
    if (known == fault) return fault_name;
  }
  return "unknown";
}

WireResponse RenderReply(Wire wire, const FakeReply& reply, const std::string& answer,
                         const std::string& model, const std::string& tool) {
  std::string half = answer.substr(0, answer.size() / 2);
  switch (reply.fault) {
    case Fault::kNone:
    case Fault::kSlow:
      return Success(wire, answer, Finish::kStop, reply, model, tool);
    case Fault::kTruncatedAnswer:
      return Success(wire, half, Finish::kStop, reply, model, tool);
    case Fault::kLength:
      return Success(wire, half, Finish::kLength, reply, model, tool);
    case Fault::kSchemaInvalid:
      return Success(wire, R"({"events":"not a list","note":42})", Finish::kStop, reply, model,
                     tool);
    case Fault::kTruncatedBody: {
      WireResponse out = Success(wire, answer, Finish::kStop, reply, model, tool);
      out.body.resize(out.body.size() / 2);
      return out;
    }
    default:
      return FaultResponse(wire, reply);
  }
}

}  // namespace ms::test
