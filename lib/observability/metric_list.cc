// The metric list as data (see metric_list.h).
#include "observability/metric_list.h"

namespace ms {
namespace {

#define MS_COUNTER_SPEC(member, name, help, ...) \
  MetricSpec{MetricId::member, MetricKind::kCounter, name, help, BucketSet::kNone, {__VA_ARGS__}},
#define MS_GAUGE_SPEC(member, name, help, ...) \
  MetricSpec{MetricId::member, MetricKind::kGauge, name, help, BucketSet::kNone, {__VA_ARGS__}},
#define MS_HISTOGRAM_SPEC(member, name, help, buckets, ...)          \
  MetricSpec{MetricId::member,   MetricKind::kHistogram, name, help, \
             BucketSet::buckets, {__VA_ARGS__}},

const std::vector<MetricSpec>& Specs() {
  static const std::vector<MetricSpec> kSpecs = {
      MS_ALL_METRICS(MS_COUNTER_SPEC, MS_GAUGE_SPEC, MS_HISTOGRAM_SPEC)};
  return kSpecs;
}

#undef MS_COUNTER_SPEC
#undef MS_GAUGE_SPEC
#undef MS_HISTOGRAM_SPEC

}  // namespace

std::span<const MetricSpec> AllMetricSpecs() {
  return Specs();
}

std::string RenderMetricsReference() {
  static constexpr std::string_view kKinds[] = {"counter", "gauge", "histogram"};
  std::string out = "| metric | type | labels | meaning |\n|---|---|---|---|\n";
  for (const MetricSpec& spec : Specs()) {
    std::string labels;
    for (std::string_view label : spec.labels) {
      labels += (labels.empty() ? "`" : ", `") + std::string(label) + "`";
    }
    out += "| `" + std::string(spec.name) + "` | " +
           std::string(kKinds[static_cast<int>(spec.kind)]) + " | " + labels + " | " +
           std::string(spec.help) + " |\n";
  }
  return out;
}

}  // namespace ms
