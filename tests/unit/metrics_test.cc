// Metrics: the one list is complete in the exposition output, follows Prometheus naming, and
// the typed accessors land on the declared names and labels.
#include "observability/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

namespace ms {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string_view TypeName(MetricKind kind) {
  switch (kind) {
    case MetricKind::kCounter:
      return "counter";
    case MetricKind::kGauge:
      return "gauge";
    case MetricKind::kHistogram:
      return "histogram";
  }
  return "?";
}

MetricsOptions Seeds() {
  MetricsOptions options;
  options.version = "1.2.3";
  options.llm_providers = {"rules", "openai"};
  options.dlq_reasons = {"invalid_json", "no_company"};
  return options;
}

// Families whose label values are open-ended only appear once used.
void TouchOpenEnded(Metrics& metrics) {
  metrics.LlmRequestLatency("openai", 200).Observe(0.4);
  metrics.LlmRequestErrors("openai", 429).Increment();
  PartitionLag lag{"slack-messages", 0, 7};
  metrics.SetConsumerLags({&lag, 1});
}

TEST(MetricsTest, EveryDeclaredMetricIsServedWithHelpAndType) {
  Metrics metrics(Seeds());
  TouchOpenEnded(metrics);
  const std::string text = metrics.Serialize();
  for (const MetricSpec& spec : AllMetricSpecs()) {
    SCOPED_TRACE(std::string(spec.name));
    EXPECT_THAT(
        text, HasSubstr("# HELP " + std::string(spec.name) + " " + std::string(spec.help) + "\n"));
    EXPECT_THAT(text, HasSubstr("# TYPE " + std::string(spec.name) + " " +
                                std::string(TypeName(spec.kind)) + "\n"));
  }
}

TEST(MetricsTest, KnownLabelSetsExistAtZeroBeforeFirstUse) {
  const std::string text = Metrics(Seeds()).Serialize();
  EXPECT_THAT(text, HasSubstr("milestoned_messages_consumed_total{source=\"gmail\"} 0"));
  EXPECT_THAT(text, HasSubstr("milestoned_dlq_messages_total{reason=\"no_company\"} 0"));
  EXPECT_THAT(text,
              HasSubstr("milestoned_llm_tokens_total{direction=\"out\",provider=\"rules\"} 0"));
  EXPECT_THAT(text, HasSubstr("milestoned_stage_duration_seconds_count{stage=\"relay\"} 0"));
  EXPECT_THAT(text, HasSubstr("milestoned_build_info{version=\"1.2.3\"} 1"));
  EXPECT_THAT(text, Not(HasSubstr("milestoned_kafka_consumer_lag_messages{")));
}

TEST(MetricsTest, NamesFollowPrometheusConventions) {
  std::set<std::string_view> names;
  for (const MetricSpec& spec : AllMetricSpecs()) {
    SCOPED_TRACE(std::string(spec.name));
    EXPECT_TRUE(names.insert(spec.name).second) << "duplicate name";
    EXPECT_TRUE(spec.name.starts_with("milestoned_"));
    EXPECT_EQ(spec.name.ends_with("_total"), spec.kind == MetricKind::kCounter);
    EXPECT_EQ(spec.buckets != BucketSet::kNone, spec.kind == MetricKind::kHistogram);
    EXPECT_THAT(std::string(spec.name), Not(HasSubstr("_ms"))) << "use base units (seconds)";
    EXPECT_FALSE(spec.help.empty());
  }
  EXPECT_EQ(names.size(), kMetricCount);
}

TEST(MetricsTest, AccessorsFillDeclaredLabels) {
  Metrics metrics(Seeds());
  metrics.MessagesConsumed(Source::kSlack).Increment(3);
  metrics.Dlq("invalid_json").Increment();
  metrics.StageLatency(Stage::kPersist).Observe(0.002);
  metrics.LlmTokens("openai", TokenDirection::kIn).Increment(120);
  metrics.LlmCost("openai").Increment(0.25);
  metrics.SetCircuitState("openai", CircuitState::kOpen);
  metrics.LlmRequestErrors("openai", 0).Increment();
  const std::string text = metrics.Serialize();
  EXPECT_THAT(text, HasSubstr("milestoned_messages_consumed_total{source=\"slack\"} 3"));
  EXPECT_THAT(text, HasSubstr("milestoned_dlq_messages_total{reason=\"invalid_json\"} 1"));
  EXPECT_THAT(text, HasSubstr("milestoned_stage_duration_seconds_count{stage=\"persist\"} 1"));
  EXPECT_THAT(text,
              HasSubstr("milestoned_llm_tokens_total{direction=\"in\",provider=\"openai\"} 120"));
  EXPECT_THAT(text, HasSubstr("milestoned_llm_cost_usd_total{provider=\"openai\"} 0.25"));
  EXPECT_THAT(text, HasSubstr("milestoned_llm_circuit_state{provider=\"openai\"} 2"));
  EXPECT_THAT(text, HasSubstr("{provider=\"openai\",status=\"transport\"} 1"));
}

TEST(MetricsTest, StringKeyedAccessorsReturnTheSameChild) {
  Metrics metrics;
  EXPECT_EQ(&metrics.Dlq("too_large"), &metrics.Dlq(std::string("too_large")));
  EXPECT_NE(&metrics.Dlq("too_large"), &metrics.Dlq("too_deep"));
  EXPECT_EQ(&metrics.LlmRequestLatency("gemini", 503), &metrics.LlmRequestLatency("gemini", 503));
}

TEST(MetricsTest, ConsumerLagsReplaceThePreviousAssignment) {
  Metrics metrics;
  std::vector<PartitionLag> lags = {{"slack-messages", 0, 5}, {"slack-messages", 1, -3}};
  metrics.SetConsumerLags(lags);
  std::string text = metrics.Serialize();
  EXPECT_THAT(text, HasSubstr("{partition=\"0\",topic=\"slack-messages\"} 5"));
  EXPECT_THAT(text, HasSubstr("{partition=\"1\",topic=\"slack-messages\"} 0"));
  lags = {{"gmail-messages", 2, 9}};
  metrics.SetConsumerLags(lags);
  text = metrics.Serialize();
  EXPECT_THAT(text, Not(HasSubstr("topic=\"slack-messages\"")));
  EXPECT_THAT(text, HasSubstr("{partition=\"2\",topic=\"gmail-messages\"} 9"));
}

TEST(MetricsTest, EveryMetricWithoutLabelsIsServedAtZeroFromTheStart) {
  const std::string text = Metrics().Serialize();
  for (const MetricSpec& spec : AllMetricSpecs()) {
    if (!spec.labels.empty()) continue;
    SCOPED_TRACE(std::string(spec.name));
    const std::string series = spec.kind == MetricKind::kHistogram
                                   ? std::string(spec.name) + "_count"
                                   : std::string(spec.name);
    EXPECT_THAT(text, HasSubstr("\n" + series + " 0\n"));
  }
}

TEST(MetricsTest, PlainAccessorsReachTheDeclaredSeries) {
  Metrics metrics;
  metrics.Counter<MetricId::batches_done>().Increment(2);
  metrics.Gauge<MetricId::relay_leader>().Set(1);
  metrics.Histogram<MetricId::batch_size>().Observe(40);
  const std::string text = metrics.Serialize();
  EXPECT_THAT(text, HasSubstr("\nmilestoned_batches_done_total 2\n"));
  EXPECT_THAT(text, HasSubstr("\nmilestoned_relay_leader 1\n"));
  EXPECT_THAT(text, HasSubstr("\nmilestoned_batch_size_messages_sum 40\n"));
}

TEST(MetricsTest, TotalsSumEveryLabelSet) {
  Metrics metrics(Seeds());
  metrics.MessagesStored(Source::kSlack).Increment(3);
  metrics.MessagesStored(Source::kGmail).Increment(4);
  metrics.Dlq("invalid_json").Increment();
  metrics.Dlq("a_reason_not_seeded").Increment(2);
  metrics.Counter<MetricId::batches_failed>().Increment();
  metrics.Histogram<MetricId::batch_size>().Observe(10);
  metrics.Histogram<MetricId::batch_size>().Observe(20);
  EXPECT_EQ(metrics.Total(MetricId::messages_stored), 7);
  EXPECT_EQ(metrics.Total(MetricId::dlq), 3);
  EXPECT_EQ(metrics.Total(MetricId::batches_failed), 1);
  EXPECT_EQ(metrics.Total(MetricId::batches_done), 0);
  EXPECT_EQ(metrics.Total(MetricId::batch_size), 2) << "a histogram's total is its count";
}

TEST(MetricsTest, DefaultBuildInfoCarriesTheProjectVersion) {
  EXPECT_FALSE(BuildVersion().empty());
  EXPECT_THAT(Metrics().Serialize(), HasSubstr("milestoned_build_info{version=\"" +
                                               std::string(BuildVersion()) + "\"} 1"));
}

TEST(MetricsTest, OperationsDocListsEveryMetric) {
  std::ifstream in(std::string(MS_SOURCE_DIR) + "/docs/operations.md");
  std::stringstream doc;
  doc << in.rdbuf();
  EXPECT_THAT(doc.str(), HasSubstr(RenderMetricsReference()))
      << "regenerate the table in docs/operations.md from metric_list.h:\n"
      << RenderMetricsReference();
}

}  // namespace
}  // namespace ms
