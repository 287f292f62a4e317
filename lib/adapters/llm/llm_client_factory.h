// Builds the LlmClient for a configured provider. The only entry point the daemon needs; the
// provider classes behind it are details of this adapter.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "core/status.h"
#include "ports/extract.h"

namespace ms::llm {

struct LlmClientOptions {
  // "openai" (any OpenAI-compatible server: OpenAI, vLLM, Ollama, llama.cpp, LiteLLM),
  // "gemini" or "anthropic".
  std::string provider;
  std::string base_url;  // empty: the provider's public endpoint
  std::string model;     // empty: the provider's default model
  std::string api_key;   // secret: sent in a header only, never logged or put in a Status
  std::chrono::milliseconds connect_timeout{10000};
  size_t max_response_bytes = 4 << 20;
};

// InvalidArgument for an unknown provider or a malformed base_url; FailedPrecondition when the
// provider needs an API key and none is set (OpenAI-compatible servers other than
// api.openai.com need none).
StatusOr<std::unique_ptr<LlmClient>> MakeLlmClient(const LlmClientOptions& options);

}  // namespace ms::llm
