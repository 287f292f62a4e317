// The daemon's Prometheus metrics: one registry, every family declared in metric_list.h, and
// typed accessors so a call site cannot misspell a name or a label.
//
// Promises:
//  - Thread-safe. Every accessor returns a reference that stays valid for the life of the
//    Metrics object; hot paths may keep it. Accessors keyed by enums (Source, Stage) are an
//    array lookup; accessors keyed by strings (DLQ reason, LLM provider, status) look the
//    label set up in a small map under a short lock (building prometheus::Labels only the
//    first time).
//  - Metrics without labels, and label sets known up front (both sources, every stage, the
//    configured providers and DLQ reasons) exist at zero from construction, so `rate()` and
//    alerts see them before the first event. Open-ended ones (HTTP status, Kafka partitions) appear
//    when first used.
//  - Serialize() renders text exposition format 0.0.4 and never fails.
//
// One Metrics object is built by the daemon and passed down (never a global).
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.h"
#include "observability/label_cache.h"
#include "observability/metric_list.h"

namespace ms {

// Pipeline stages timed by milestoned_stage_duration_seconds{stage=...}.
enum class Stage { kPersist, kClaim, kExtract, kStore, kRelay };
inline constexpr std::array<std::string_view, 5> kStageNames = {"persist", "claim", "extract",
                                                                "store", "relay"};

// prompt (all input), completion, and the parts of prompt read from / written to the
// provider's prompt cache.
enum class TokenDirection { kIn, kOut, kCached, kCacheWrite };
enum class CircuitState { kClosed = 0, kHalfOpen = 1, kOpen = 2 };

// This build's version (the CMake project version), for milestoned_build_info.
std::string_view BuildVersion();

struct MetricsOptions {
  std::string version;                     // empty = BuildVersion()
  std::vector<std::string> llm_providers;  // created at zero ("rules", "openai", ...)
  std::vector<std::string> dlq_reasons;    // created at zero (DlqReasonCode values)
};

struct PartitionLag {
  std::string topic;
  int32_t partition = -1;
  int64_t lag = 0;  // high watermark - committed offset; never negative
};

class Metrics {
 public:
  explicit Metrics(const MetricsOptions& options = {});
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // A metric declared without labels (metric_list.h), by id; the id's kind is checked at
  // compile time: metrics.Counter<MetricId::batches_done>().Increment(). Lock-free.
  template <MetricId kId>
  prometheus::Counter& Counter() {
    static_assert(IsPlain(kId, MetricKind::kCounter), "not a counter declared without labels");
    return *plain_counters_[static_cast<size_t>(kId)];
  }
  template <MetricId kId>
  prometheus::Gauge& Gauge() {
    static_assert(IsPlain(kId, MetricKind::kGauge), "not a gauge declared without labels");
    return *plain_gauges_[static_cast<size_t>(kId)];
  }
  template <MetricId kId>
  prometheus::Histogram& Histogram() {
    static_assert(IsPlain(kId, MetricKind::kHistogram), "not a histogram declared without labels");
    return *plain_histograms_[static_cast<size_t>(kId)];
  }

  // The metrics with labels. Ingest.
  prometheus::Counter& MessagesConsumed(Source source);
  prometheus::Counter& MessagesStored(Source source);
  prometheus::Counter& MessagesDuplicate(Source source);
  prometheus::Counter& Dlq(std::string_view reason);
  // `worker`: ingest, claim, extract, relay, stale.
  prometheus::Counter& WorkerExceptions(std::string_view worker);
  void SetConsumerLags(std::span<const PartitionLag> lags);  // replaces the whole set

  // Batching.
  prometheus::Histogram& StageLatency(Stage stage);

  // LLM. `http_status` 0 means no HTTP response (transport error, timeout).
  prometheus::Histogram& LlmRequestLatency(std::string_view provider, int http_status);
  prometheus::Counter& LlmRequestErrors(std::string_view provider, int http_status);
  prometheus::Counter& LlmTokens(std::string_view provider, TokenDirection direction);
  prometheus::Counter& LlmCost(std::string_view provider);
  // Spend by extraction mode (ExtractionResult::mode): the cost of every attempt, the messages
  // of each stored batch, and their ratio per 1,000 messages, updated as batches are stored.
  prometheus::Counter& ModeCost(std::string_view mode);
  void CountModeMessages(std::string_view mode, int messages);
  // Provider batch jobs by state (submitted, completed, partial, failed, expired, cancelled).
  prometheus::Counter& LlmBatchJobs(std::string_view state);
  prometheus::Counter& LlmRateLimitWaits(std::string_view provider);
  prometheus::Counter& LlmRateLimitWaitSeconds(std::string_view provider);
  void SetCircuitState(std::string_view provider, CircuitState state);

  // A counter's or a gauge's value summed over every label set it has (a histogram: its
  // observations counted), as /metrics would show them: what the progress line, the
  // shutdown totals and tests read.
  double Total(MetricId id) const;

  // Text exposition format 0.0.4 of every family.
  std::string Serialize() const;
  prometheus::Registry& registry() { return *registry_; }

 private:
  void Build();
  void Seed(const MetricsOptions& options);
  prometheus::Counter& CounterFor(MetricId id, std::initializer_list<std::string_view> values);
  prometheus::Gauge& GaugeFor(MetricId id, std::initializer_list<std::string_view> values);
  prometheus::Histogram& HistogramFor(MetricId id, std::initializer_list<std::string_view> values);

  std::shared_ptr<prometheus::Registry> registry_;
  // Families by MetricId; only the slot matching the spec's kind is set.
  std::array<prometheus::Family<prometheus::Counter>*, kMetricCount> counter_families_{};
  std::array<prometheus::Family<prometheus::Gauge>*, kMetricCount> gauge_families_{};
  std::array<prometheus::Family<prometheus::Histogram>*, kMetricCount> histogram_families_{};
  LabelCache<prometheus::Counter> counters_;
  LabelCache<prometheus::Gauge> gauges_;
  LabelCache<prometheus::Histogram> histograms_;
  // The one series of each metric declared without labels, by MetricId.
  std::array<prometheus::Counter*, kMetricCount> plain_counters_{};
  std::array<prometheus::Gauge*, kMetricCount> plain_gauges_{};
  std::array<prometheus::Histogram*, kMetricCount> plain_histograms_{};
  std::array<prometheus::Counter*, 2> consumed_{}, stored_{}, duplicate_{};  // by Source
  std::array<prometheus::Histogram*, kStageNames.size()> stages_{};
  std::mutex lag_mu_;
  std::vector<prometheus::Gauge*> lags_;  // guarded by lag_mu_: children of consumer_lag_
};

}  // namespace ms
