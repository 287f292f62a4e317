#include "observability/metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cassert>

#ifndef MS_VERSION
#define MS_VERSION "unknown"
#endif

namespace ms {
namespace {

using prometheus::Histogram;

Histogram::BucketBoundaries BucketsOf(BucketSet set) {
  switch (set) {
    case BucketSet::kBatchSize:
      return {1, 5, 10, 25, 50, 100, 200, 500, 1000};
    case BucketSet::kStage:
      return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
    case BucketSet::kLlm:
      return {0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300};
    case BucketSet::kOutbox:
      return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600};
    case BucketSet::kNone:
      break;
  }
  return {};
}

// Cache key: the family id, then each label value, separated by a byte no label value holds.
std::string KeyOf(MetricId id, std::initializer_list<std::string_view> values) {
  std::string key(1, static_cast<char>(id));
  for (std::string_view value : values) {
    key.push_back('\x1f');
    key.append(value);
  }
  return key;
}

prometheus::Labels LabelsOf(MetricId id, std::initializer_list<std::string_view> values) {
  const MetricSpec& spec = SpecOf(id);
  assert(values.size() == spec.labels.size());
  prometheus::Labels labels;
  size_t idx = 0;
  for (std::string_view value : values) {
    labels.emplace(std::string(spec.labels[idx++]), std::string(value));
  }
  return labels;
}

}  // namespace

std::string_view BuildVersion() {
  return MS_VERSION;
}

Metrics::Metrics(const MetricsOptions& options)
    : registry_(std::make_shared<prometheus::Registry>()) {
  Build();
  Seed(options);
}

Metrics::~Metrics() = default;

void Metrics::Build() {
  for (const MetricSpec& spec : AllMetricSpecs()) {
    auto idx = static_cast<size_t>(spec.id);
    std::string name(spec.name), help(spec.help);
    switch (spec.kind) {
      case MetricKind::kCounter:
        counter_families_[idx] =
            &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
        break;
      case MetricKind::kGauge:
        gauge_families_[idx] = &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
        break;
      case MetricKind::kHistogram:
        histogram_families_[idx] =
            &prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
        break;
    }
  }
}

void Metrics::Seed(const MetricsOptions& options) {
  for (Source source : {Source::kSlack, Source::kGmail}) {
    auto idx = static_cast<size_t>(source);
    consumed_[idx] = &CounterFor(MetricId::messages_consumed, {SourceName(source)});
    stored_[idx] = &CounterFor(MetricId::messages_stored, {SourceName(source)});
    duplicate_[idx] = &CounterFor(MetricId::messages_duplicate, {SourceName(source)});
  }
  for (size_t idx = 0; idx < kStageNames.size(); ++idx) {
    stages_[idx] = &HistogramFor(MetricId::stage_duration, {kStageNames[idx]});
  }
  for (const std::string& reason : options.dlq_reasons) Dlq(reason);
  for (const std::string& provider : options.llm_providers) {
    LlmTokens(provider, TokenDirection::kIn);
    LlmTokens(provider, TokenDirection::kOut);
    LlmTokens(provider, TokenDirection::kCached);
    LlmTokens(provider, TokenDirection::kCacheWrite);
    LlmCost(provider);
    LlmRateLimitWaits(provider);
    LlmRateLimitWaitSeconds(provider);
    SetCircuitState(provider, CircuitState::kClosed);
  }
  for (std::string_view mode : {"model", "tiered", "rules", "model+batch", "tiered+batch"}) {
    ModeCost(mode);
    CounterFor(MetricId::mode_messages, {mode});
    GaugeFor(MetricId::cost_per_1k, {mode});
  }
  for (std::string_view state :
       {"submitted", "completed", "partial", "failed", "expired", "cancelled"}) {
    LlmBatchJobs(state);
  }
  for (const MetricSpec& spec : AllMetricSpecs()) {
    if (!spec.labels.empty()) continue;
    const auto idx = static_cast<size_t>(spec.id);
    switch (spec.kind) {
      case MetricKind::kCounter:
        plain_counters_[idx] = &CounterFor(spec.id, {});
        break;
      case MetricKind::kGauge:
        plain_gauges_[idx] = &GaugeFor(spec.id, {});
        break;
      case MetricKind::kHistogram:
        plain_histograms_[idx] = &HistogramFor(spec.id, {});
        break;
    }
  }
  for (std::string_view worker : {"ingest", "claim", "extract", "relay", "stale"}) {
    WorkerExceptions(worker);
  }
  std::string version = options.version.empty() ? std::string(BuildVersion()) : options.version;
  GaugeFor(MetricId::build_info, {version}).Set(1);
}

prometheus::Counter& Metrics::CounterFor(MetricId id,
                                         std::initializer_list<std::string_view> values) {
  return counters_.Get(KeyOf(id, values), [&]() -> prometheus::Counter& {
    return counter_families_[static_cast<size_t>(id)]->Add(LabelsOf(id, values));
  });
}

prometheus::Gauge& Metrics::GaugeFor(MetricId id, std::initializer_list<std::string_view> values) {
  return gauges_.Get(KeyOf(id, values), [&]() -> prometheus::Gauge& {
    return gauge_families_[static_cast<size_t>(id)]->Add(LabelsOf(id, values));
  });
}

prometheus::Histogram& Metrics::HistogramFor(MetricId id,
                                             std::initializer_list<std::string_view> values) {
  return histograms_.Get(KeyOf(id, values), [&]() -> prometheus::Histogram& {
    return histogram_families_[static_cast<size_t>(id)]->Add(LabelsOf(id, values),
                                                             BucketsOf(SpecOf(id).buckets));
  });
}

void Metrics::SetConsumerLags(std::span<const PartitionLag> lags) {
  auto* family = gauge_families_[static_cast<size_t>(MetricId::consumer_lag)];
  std::lock_guard<std::mutex> lock(lag_mu_);
  for (prometheus::Gauge* gauge : lags_) family->Remove(gauge);
  lags_.clear();
  for (const PartitionLag& lag : lags) {
    std::string partition = std::to_string(lag.partition);
    auto& gauge = family->Add(LabelsOf(MetricId::consumer_lag, {lag.topic, partition}));
    gauge.Set(static_cast<double>(std::max<int64_t>(lag.lag, 0)));
    lags_.push_back(&gauge);
  }
}

std::string Metrics::Serialize() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

double Metrics::Total(MetricId id) const {
  const auto idx = static_cast<size_t>(id);
  std::vector<prometheus::MetricFamily> families;
  switch (SpecOf(id).kind) {
    case MetricKind::kCounter:
      families = counter_families_[idx]->Collect();
      break;
    case MetricKind::kGauge:
      families = gauge_families_[idx]->Collect();
      break;
    case MetricKind::kHistogram:
      families = histogram_families_[idx]->Collect();
      break;
  }
  double total = 0;
  for (const prometheus::MetricFamily& family : families) {
    for (const prometheus::ClientMetric& series : family.metric) {
      total += series.counter.value + series.gauge.value +
               static_cast<double>(series.histogram.sample_count);
    }
  }
  return total;
}

}  // namespace ms
