#include "adapters/llm/llm_client_factory.h"

#include "adapters/llm/anthropic_client.h"
#include "adapters/llm/gemini_client.h"
#include "adapters/llm/openai_client.h"

namespace ms::llm {
namespace {

struct ProviderDefaults {
  const char* base_url;
  const char* model;
  bool key_required;  // false: only when base_url is the public endpoint
};

Status NormaliseBaseUrl(LlmClientOptions* options, const ProviderDefaults& defaults) {
  std::string& url = options->base_url;
  if (url.empty()) url = defaults.base_url;
  if (!url.starts_with("http://") && !url.starts_with("https://"))
    return InvalidArgument("llm: base_url must start with http:// or https://");
  if (url.find('?') != std::string::npos || url.find('#') != std::string::npos)
    return InvalidArgument("llm: base_url must not carry a query or fragment");
  while (url.ends_with('/')) url.pop_back();
  // Ollama and friends document their base URL as ".../v1"; the clients add the version.
  if (options->provider == "openai" && url.ends_with("/v1")) url.resize(url.size() - 3);
  return Status::Ok();
}

Status Normalise(LlmClientOptions* options, const ProviderDefaults& defaults) {
  MS_RETURN_IF_ERROR(NormaliseBaseUrl(options, defaults));
  if (options->model.empty()) options->model = defaults.model;
  if (options->model.starts_with("models/")) options->model.erase(0, 7);  // Gemini's long form
  bool public_endpoint = options->base_url == defaults.base_url;
  if (options->api_key.empty() && (defaults.key_required || public_endpoint)) {
    return FailedPrecondition("llm: provider " + options->provider +
                              " needs an API key (none configured)");
  }
  if (options->max_response_bytes == 0) return InvalidArgument("llm: max_response_bytes is 0");
  return Status::Ok();
}

}  // namespace

StatusOr<std::unique_ptr<LlmClient>> MakeLlmClient(const LlmClientOptions& options) {
  LlmClientOptions normalised = options;
  if (options.provider == "openai") {
    MS_RETURN_IF_ERROR(Normalise(&normalised, {kOpenAiDefaultBaseUrl, kOpenAiDefaultModel, false}));
    return std::unique_ptr<LlmClient>(new OpenAiClient(std::move(normalised)));
  }
  if (options.provider == "gemini") {
    MS_RETURN_IF_ERROR(Normalise(&normalised, {kGeminiDefaultBaseUrl, kGeminiDefaultModel, true}));
    return std::unique_ptr<LlmClient>(new GeminiClient(std::move(normalised)));
  }
  if (options.provider == "anthropic") {
    MS_RETURN_IF_ERROR(
        Normalise(&normalised, {kAnthropicDefaultBaseUrl, kAnthropicDefaultModel, true}));
    return std::unique_ptr<LlmClient>(new AnthropicClient(std::move(normalised)));
  }
  return InvalidArgument("llm: unknown provider '" + options.provider +
                         "' (expected openai, gemini or anthropic)");
}

}  // namespace ms::llm
