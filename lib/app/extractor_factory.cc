#include "app/extractor_factory.h"

#include "adapters/llm/batch_job_client.h"
#include "adapters/llm/llm_client_factory.h"
#include "app/options.h"
#include "pipeline/extract/rules_extractor.h"
#include "pipeline/extract/tiered_extractor.h"

namespace ms::app {

LlmCallObserver LlmCallMetrics(Metrics* metrics) {
  return [metrics](const LlmCallObservation& call) {
    const double seconds = static_cast<double>(call.duration.count()) / 1000;
    metrics->LlmRequestLatency(call.provider, call.http_status).Observe(seconds);
    if (!call.ok) metrics->LlmRequestErrors(call.provider, call.http_status).Increment();
    if (call.rate_limit_wait.count() > 0) {
      metrics->LlmRateLimitWaits(call.provider).Increment();
      metrics->LlmRateLimitWaitSeconds(call.provider)
          .Increment(static_cast<double>(call.rate_limit_wait.count()) / 1000);
    }
  };
}

StatusOr<std::unique_ptr<ExtractorSet>> MakeExtractor(const Config& config, Metrics* metrics) {
  auto set = std::make_unique<ExtractorSet>();
  if (config.llm.provider == LlmProvider::kRules) {
    set->rules = std::make_unique<RulesExtractor>(RulesExtractorOptions{config.llm.prefilter});
    set->extractor = set->rules.get();
    set->provider = "rules";
    set->model = "rules-v1";
    return set;
  }
  MS_ASSIGN_OR_RETURN(set->client, llm::MakeLlmClient(LlmClientOptionsFrom(config)));
  LlmPolicyOptions policy;
  static_cast<LlmCallOptions&>(policy) = LlmCallOptionsFrom(config);
  policy.prompt.redact_pii = config.llm.redact_pii;
  policy.prompt.prefilter = config.llm.prefilter;
  policy.prompt.max_prompt_tokens = config.llm.max_batch_tokens;
  LlmCallDeps deps{&set->clock, &set->sleeper, {}, {}};
  if (metrics != nullptr) deps.observe = LlmCallMetrics(metrics);
  MS_ASSIGN_OR_RETURN(set->llm, LlmExtractor::Create(set->client.get(), policy, std::move(deps)));
  set->extractor = set->llm.get();
  set->provider = set->client->provider();
  set->model = set->client->model();
  if (config.llm.mode == LlmMode::kTiered) {
    set->tiered = std::make_unique<TieredExtractor>(set->llm.get(), set->provider, set->model);
    set->extractor = set->tiered.get();
  }
  if (config.llm.submit == LlmSubmit::kBatch) {
    MS_ASSIGN_OR_RETURN(set->job_client, llm::MakeBatchJobClient(LlmClientOptionsFrom(config)));
    set->jobs = std::make_unique<JobExtractor>(set->job_client.get(), set->llm.get(), policy.prompt,
                                               config.llm.mode == LlmMode::kTiered);
  }
  return set;
}

}  // namespace ms::app
