// The part every HTTP provider shares: POST a JSON body, classify failures, hand a parsed 2xx
// body to the provider. A provider supplies the path, headers, body and the response reader.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "adapters/llm/http_client.h"
#include "adapters/llm/llm_client_factory.h"
#include "core/clock.h"
#include "ports/extract.h"

namespace ms::llm {

// object[key] as an integer; 0 when absent, null or not a number.
int64_t JsonCount(const nlohmann::json& object, const char* key);
// object[key] as a string; empty when absent or not a string.
std::string JsonString(const nlohmann::json& object, const char* key);

class HttpLlmClient : public LlmClient {
 public:
  // One call, no retries. Thread-safe.
  LlmResult Complete(const LlmRequest& request) final;
  std::string provider() const final { return provider_; }
  std::string model() const final { return options_.model; }

  // The body Complete POSTs for `request`, and the reading of a 2xx body: a provider batch
  // job's requests and results carry the same shapes. Provider batch jobs use them.
  StatusOr<nlohmann::json> RequestBody(const LlmRequest& request) const;
  LlmResult ReadBody(const nlohmann::json& body) const;
  const LlmClientOptions& options() const { return options_; }
  using Headers = std::vector<std::pair<std::string, std::string>>;
  Headers Auth() const { return AuthHeaders(); }

 protected:
  // `options` has base_url (no trailing slash) and model already defaulted.
  HttpLlmClient(std::string provider, LlmClientOptions options);

  virtual std::string Path() const = 0;
  virtual Headers AuthHeaders() const = 0;
  // `schema` is request.schema_json, parsed.
  virtual nlohmann::json Body(const LlmRequest& request, const nlohmann::json& schema) const = 0;
  // Reads a 2xx body. May throw nlohmann::json exceptions: they become a malformed response.
  virtual LlmResult Parse(const nlohmann::json& body) const = 0;

  LlmResult Fail(Status status) const;

  // Some OpenAI-compatible servers wrap JSON in a ```json fence; the answer is what is inside.
  static std::string StripCodeFence(std::string text);

 private:
  const std::string provider_;
  const LlmClientOptions options_;
  HttpClient http_;
  SystemClock clock_;  // for Retry-After dates only
};

}  // namespace ms::llm
