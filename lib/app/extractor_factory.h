// Chooses and builds the Extractor from llm.provider and llm.mode: the offline `rules`
// extractor, or an LLM client (OpenAI-compatible, Gemini, Anthropic) under the
// retry/rate-limit/breaker policy — alone, or (tiered) behind the rules for what they are sure of;
// with llm.submit batch, also the provider's batch API (JobExtractor).
#pragma once

#include <memory>

#include "config/config.h"
#include "core/clock.h"
#include "core/sleeper.h"
#include "observability/metrics.h"
#include "pipeline/extract/job_extractor.h"
#include "pipeline/extract/llm_extractor.h"
#include "ports/batch_job.h"
#include "ports/extract.h"

namespace ms::app {

struct ExtractorSet {
  SystemClock clock;
  InterruptibleSleeper sleeper;  // Interrupt() on shutdown cuts backoff waits short
  std::unique_ptr<LlmClient> client;
  std::unique_ptr<LlmExtractor> llm;  // null for `rules`
  std::unique_ptr<Extractor> rules;
  std::unique_ptr<Extractor> tiered;  // llm.mode tiered: the rules in front of `llm`
  Extractor* extractor = nullptr;     // the one to use
  // llm.submit batch: the provider's batch API, and extraction through it (`llm` re-sends
  // what a job did not answer).
  std::unique_ptr<BatchJobClient> job_client;
  std::unique_ptr<JobExtractor> jobs;
  std::string provider;
  std::string model;
};

// `metrics` (may be null; must outlive the set) receives every LLM HTTP call: its latency by
// provider and status, failures, and rate-limit waits (see LlmCallObservation).
StatusOr<std::unique_ptr<ExtractorSet>> MakeExtractor(const Config& config,
                                                      Metrics* metrics = nullptr);

// The LlmCallPolicy observer feeding `metrics` (which must outlive it).
LlmCallObserver LlmCallMetrics(Metrics* metrics);

}  // namespace ms::app
