#include "adapters/llm/http_llm_client.h"

#include "adapters/llm/llm_errors.h"

namespace ms::llm {

using nlohmann::json;

HttpLlmClient::HttpLlmClient(std::string provider, LlmClientOptions options)
    : provider_(std::move(provider)),
      options_(std::move(options)),
      http_(HttpClientOptions{options_.connect_timeout, options_.max_response_bytes}) {}

LlmResult HttpLlmClient::Fail(Status status) const {
  LlmResult result;
  result.error.emplace();
  result.error->status = std::move(status);
  return result;
}

StatusOr<json> HttpLlmClient::RequestBody(const LlmRequest& request) const {
  json schema = json::parse(request.schema_json, nullptr, /*allow_exceptions=*/false);
  if (!schema.is_object()) return Internal(provider_ + ": schema_json is not a JSON object");
  return Body(request, schema);
}

LlmResult HttpLlmClient::ReadBody(const json& body) const {
  try {
    return Parse(body);
  } catch (const json::exception& error) {
    return {std::nullopt, MalformedResponse(provider_, error.what())};
  }
}

LlmResult HttpLlmClient::Complete(const LlmRequest& request) {
  auto body = RequestBody(request);
  if (!body.ok()) return Fail(body.status());
  HttpRequest http;
  http.url = options_.base_url + Path();
  http.headers = AuthHeaders();
  http.headers.emplace_back("Content-Type", "application/json");
  http.body = body->dump();
  http.timeout = request.deadline;

  auto response = http_.Post(http);
  LlmResult result;
  if (!response.ok()) {
    result.error = ClassifyTransportError(provider_, response.status());
  } else if (response->status < 200 || response->status >= 300) {
    result.error = ClassifyHttpError(provider_, *response, clock_.Now(), options_.api_key);
  } else {
    json body = json::parse(response->body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded())
      return {std::nullopt, MalformedResponse(provider_, "body is not JSON")};
    result = ReadBody(body);
  }
  return result;
}

std::string HttpLlmClient::StripCodeFence(std::string text) {
  size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string::npos || text.compare(start, 3, "```") != 0) return text;
  size_t body = text.find('\n', start);
  size_t end = text.rfind("```");
  if (body == std::string::npos || end <= body) return text;
  return text.substr(body + 1, end - body - 1);
}

int64_t JsonCount(const json& object, const char* key) {
  if (!object.is_object()) return 0;
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<int64_t>() : 0;
}

std::string JsonString(const json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace ms::llm
