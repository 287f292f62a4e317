// Chooses and builds the Extractor from llm.provider: the offline `rules` extractor, or an LLM
// client (OpenAI-compatible, Gemini, Anthropic) under the retry/rate-limit/breaker policy.
#pragma once

#include <memory>

#include "config/config.h"
#include "core/clock.h"
#include "pipeline/llm_extractor.h"
#include "pipeline/sleeper.h"
#include "ports/extract.h"

namespace ms::app {

struct ExtractorSet {
  SystemClock clock;
  InterruptibleSleeper sleeper;  // Interrupt() on shutdown cuts backoff waits short
  std::unique_ptr<LlmClient> client;
  std::unique_ptr<LlmExtractor> llm;  // null for `rules`
  std::unique_ptr<Extractor> rules;
  Extractor* extractor = nullptr;  // the one to use
  std::string provider;
  std::string model;
};

StatusOr<std::unique_ptr<ExtractorSet>> MakeExtractor(const Config& config);

}  // namespace ms::app
