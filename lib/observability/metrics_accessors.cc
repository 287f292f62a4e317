// Metrics' typed accessors: each names its family by MetricId and passes label values in the
// order metric_list.h declares the label names.
#include <string>

#include "observability/metrics.h"

namespace ms {
namespace {

std::string StatusLabel(int http_status) {
  return http_status > 0 ? std::to_string(http_status) : "transport";
}

std::string_view DirectionLabel(TokenDirection direction) {
  switch (direction) {
    case TokenDirection::kIn:
      return "in";
    case TokenDirection::kOut:
      return "out";
    case TokenDirection::kCached:
      return "cached";
    case TokenDirection::kCacheWrite:
      return "cache_write";
  }
  return "in";
}

}  // namespace

prometheus::Counter& Metrics::MessagesConsumed(Source source) {
  return *consumed_[static_cast<size_t>(source)];
}
prometheus::Counter& Metrics::MessagesStored(Source source) {
  return *stored_[static_cast<size_t>(source)];
}
prometheus::Counter& Metrics::MessagesDuplicate(Source source) {
  return *duplicate_[static_cast<size_t>(source)];
}
prometheus::Counter& Metrics::Dlq(std::string_view reason) {
  return CounterFor(MetricId::dlq, {reason});
}
prometheus::Counter& Metrics::WorkerExceptions(std::string_view worker) {
  return CounterFor(MetricId::worker_exceptions, {worker});
}

prometheus::Histogram& Metrics::StageLatency(Stage stage) {
  return *stages_[static_cast<size_t>(stage)];
}

prometheus::Histogram& Metrics::LlmRequestLatency(std::string_view provider, int http_status) {
  return HistogramFor(MetricId::llm_request_duration, {provider, StatusLabel(http_status)});
}
prometheus::Counter& Metrics::LlmRequestErrors(std::string_view provider, int http_status) {
  return CounterFor(MetricId::llm_request_errors, {provider, StatusLabel(http_status)});
}
prometheus::Counter& Metrics::LlmTokens(std::string_view provider, TokenDirection direction) {
  return CounterFor(MetricId::llm_tokens, {provider, DirectionLabel(direction)});
}
prometheus::Counter& Metrics::LlmCost(std::string_view provider) {
  return CounterFor(MetricId::llm_cost, {provider});
}

prometheus::Counter& Metrics::ModeCost(std::string_view mode) {
  return CounterFor(MetricId::mode_cost, {mode});
}
void Metrics::CountModeMessages(std::string_view mode, int messages) {
  prometheus::Counter& stored = CounterFor(MetricId::mode_messages, {mode});
  stored.Increment(messages);
  if (stored.Value() > 0) {
    GaugeFor(MetricId::cost_per_1k, {mode}).Set(1000.0 * ModeCost(mode).Value() / stored.Value());
  }
}
prometheus::Counter& Metrics::LlmBatchJobs(std::string_view state) {
  return CounterFor(MetricId::llm_batch_jobs, {state});
}
prometheus::Counter& Metrics::LlmRateLimitWaits(std::string_view provider) {
  return CounterFor(MetricId::llm_rate_limit_waits, {provider});
}
prometheus::Counter& Metrics::LlmRateLimitWaitSeconds(std::string_view provider) {
  return CounterFor(MetricId::llm_rate_limit_wait_seconds, {provider});
}
void Metrics::SetCircuitState(std::string_view provider, CircuitState state) {
  GaugeFor(MetricId::llm_circuit_state, {provider}).Set(static_cast<double>(state));
}

}  // namespace ms
