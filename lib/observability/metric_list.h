// Every metric milestoned exports, declared in ONE list (after Envoy's ALL_*_STATS macros): the
// name, help text and label names live only here. metrics.cc builds the prometheus families
// from it, the typed accessors of Metrics fill labels by position from it, docs/operations.md
// tables it, and a unit test checks that every entry is in the /metrics output with its HELP.
// Every count the daemon keeps is one of these: the stages write them, and the progress line,
// the shutdown totals and the tests read them back (Metrics::Total), so there is no second set
// of counters to keep in step.
//
// Adding a metric without labels is one line here: it exists at zero from start-up, and code
// reaches it as metrics.Counter<MetricId::member>() (Gauge<>, Histogram<>; checked at compile
// time). One with labels also gets a typed accessor in Metrics, which fills them in order.
// Then regenerate the table in docs/operations.md (the unit test prints it).
//
// Naming (https://prometheus.io/docs/practices/naming/): `milestoned_` prefix, base units
// (`_seconds`), counters end in `_total`. Renaming a metric breaks dashboards and alerts:
// add the new one, keep the old one for a release.
//
// COUNTER(member, name, help, label...)   GAUGE(member, name, help, label...)
// HISTOGRAM(member, name, help, buckets, label...)  where `buckets` names a BucketSet.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

// clang-format off
#define MS_ALL_METRICS(COUNTER, GAUGE, HISTOGRAM)                                                \
  COUNTER(records_polled, "milestoned_records_polled_total",                                     \
          "Kafka records polled, before decoding (a redelivery or a bad record counts too).")    \
  COUNTER(messages_consumed, "milestoned_messages_consumed_total",                               \
          "Kafka records decoded into a message, by source (bad ones count as DLQ).", "source")  \
  COUNTER(messages_stored, "milestoned_messages_stored_total",                                   \
          "Messages made durable in Postgres (idempotent upsert), by source.", "source")         \
  COUNTER(messages_duplicate, "milestoned_messages_duplicate_total",                             \
          "Redelivered messages already in a batch, so changing nothing, by source.", "source")  \
  COUNTER(dlq, "milestoned_dlq_messages_total",                                                  \
          "Records routed to the dead-letter topic, by machine-readable reason.", "reason")      \
  COUNTER(batches_claimed, "milestoned_batches_claimed_total",                                   \
          "Batches claimed from the per-company pending buffers.")                               \
  COUNTER(batches_done, "milestoned_batches_done_total",                                         \
          "Batches whose events, history and outbox rows were stored.")                          \
  COUNTER(batches_failed, "milestoned_batches_failed_total",                                     \
          "Batches marked failed; retry with `milestonectl batches retry`.")                     \
  COUNTER(batches_retried, "milestoned_batches_retried_total",                                   \
          "Batches handed back for a later attempt (LLM unavailable, circuit open, shutdown).")  \
  COUNTER(batch_store_failures, "milestoned_batch_store_failures_total",                         \
          "Failed database steps of the extract stage (taking, loading, keeping or storing a "   \
          "batch); the batch is tried again later, a kept answer stored without a model call.")  \
  COUNTER(events_created, "milestoned_events_created_total",                                     \
          "Events new to the ledger, written by a stored batch.")                                \
  COUNTER(events_sighted, "milestoned_events_sighted_total",                                     \
          "Known events seen again by a stored batch (a sighting, not a new event).")            \
  HISTOGRAM(batch_size, "milestoned_batch_size_messages",                                        \
            "Messages per claimed batch.", kBatchSize)                                           \
  HISTOGRAM(stage_duration, "milestoned_stage_duration_seconds",                                 \
            "Wall time of one unit of work of a pipeline stage.", kStage, "stage")               \
  HISTOGRAM(llm_request_duration, "milestoned_llm_request_duration_seconds",                     \
            "LLM provider request latency, by provider and HTTP status.", kLlm,                  \
            "provider", "status")                                                                \
  COUNTER(llm_request_errors, "milestoned_llm_request_errors_total",                             \
          "Failed LLM provider requests, by provider and HTTP status (transport = no response).",\
          "provider", "status")                                                                  \
  COUNTER(llm_tokens, "milestoned_llm_tokens_total",                                             \
          "LLM tokens, by provider and direction (in = prompt, out = completion; cached and "   \
          "cache_write = the parts of in read from and written to the provider's prompt cache).",\
          "provider", "direction")                                                               \
  COUNTER(prefilter_dropped, "milestoned_prefilter_dropped_messages_total",                      \
          "Messages the no-signal prefilter left out of LLM prompts.")                           \
  COUNTER(decided_offline, "milestoned_messages_decided_offline_total",                          \
          "Messages the offline rules decided in llm.mode tiered, never sent to the model.")     \
  COUNTER(events_rejected, "milestoned_llm_events_rejected_total",                               \
          "Events in LLM answers rejected by validation (type, company, title).")                \
  COUNTER(llm_cost, "milestoned_llm_cost_usd_total",                                             \
          "Estimated LLM spend in US dollars, from the configured price table.", "provider")     \
  COUNTER(mode_messages, "milestoned_llm_mode_messages_total",                                  \
          "Messages of the stored batches, by extraction mode (model, tiered, rules; +batch for "\
          "a provider batch job).", "mode")                                                      \
  COUNTER(mode_cost, "milestoned_llm_mode_cost_usd_total",                                       \
          "Estimated LLM spend in US dollars by extraction mode, failed attempts included.",    \
          "mode")                                                                                \
  GAUGE(cost_per_1k, "milestoned_llm_cost_per_1k_messages_usd",                                  \
        "Estimated LLM spend per 1,000 stored messages since start, by extraction mode.",       \
        "mode")                                                                                  \
  COUNTER(llm_batch_jobs, "milestoned_llm_batch_jobs_total",                                     \
          "Provider batch jobs (llm.submit: batch) by state: submitted, then the state each "    \
          "ended in (completed, partial, failed, expired, cancelled), or poll_error when a "     \
          "poll failed or the job was left to the process that submitted it.", "state")         \
  COUNTER(llm_batch_fallbacks, "milestoned_llm_batch_fallback_requests_total",                   \
          "Requests of ended batch jobs re-sent synchronously at the full price (failed, "       \
          "expired, cancelled or unusable in the job).")                                         \
  COUNTER(llm_rate_limit_waits, "milestoned_llm_rate_limit_waits_total",                         \
          "LLM requests that waited for the local rate limiter or a Retry-After.", "provider")   \
  COUNTER(llm_rate_limit_wait_seconds, "milestoned_llm_rate_limit_wait_seconds_total",           \
          "Seconds LLM requests spent waiting for the rate limiter or a Retry-After.",           \
          "provider")                                                                            \
  GAUGE(llm_circuit_state, "milestoned_llm_circuit_state",                                       \
        "LLM circuit breaker state: 0 closed, 1 half-open, 2 open.", "provider")                 \
  GAUGE(consumer_lag, "milestoned_kafka_consumer_lag_messages",                                  \
        "High watermark minus committed offset, per assigned partition.", "topic", "partition") \
  GAUGE(pending_companies, "milestoned_pending_companies",                                       \
        "Companies with messages waiting to be batched.")                                        \
  GAUGE(oldest_pending_age, "milestoned_oldest_pending_age_seconds",                             \
        "Age of the oldest message waiting to be batched (0 when none).")                        \
  GAUGE(outbox_backlog, "milestoned_outbox_backlog_rows",                                        \
        "Outbox rows not yet published.")                                                        \
  HISTOGRAM(outbox_publish_latency, "milestoned_outbox_publish_latency_seconds",                 \
            "Seconds from an outbox row's commit to its acknowledged publication.", kOutbox)     \
  COUNTER(outbox_published, "milestoned_outbox_published_total",                                 \
          "Outbox rows marked published: every configured sink took them.")                      \
  COUNTER(outbox_delivery_failures, "milestoned_outbox_delivery_failures_total",                 \
          "Outbox rows a relay round did not deliver: failed, or waiting behind a failed row of "\
          "their company.")                                                                      \
  GAUGE(relay_leader, "milestoned_relay_leader",                                                 \
        "1 while this instance holds the outbox relay lock, else 0.")                            \
  GAUGE(ingest_paused, "milestoned_ingest_paused",                                               \
        "1 while consumption is paused because a dependency is down, else 0.")                   \
  COUNTER(ingest_holdbacks, "milestoned_ingest_holdbacks_total",                                 \
          "Times consumption was paused because storing a poll took over a second.")             \
  COUNTER(ingest_persist_failures, "milestoned_ingest_persist_failures_total",                   \
          "Polls whose dead letters, upsert or buffer append failed (a dependency down); "       \
          "consumption is paused and the poll tried again after a backoff.")                     \
  COUNTER(claim_failures, "milestoned_claim_failures_total",                                     \
          "Claims or sweeps that failed (Redis or Postgres down); tried again after a backoff.")  \
  COUNTER(pending_rebuilds, "milestoned_pending_rebuilds_total",                                 \
          "Rebuilds of the Redis pending buffers from Postgres after Redis lost its state.")     \
  COUNTER(orphan_claims_recovered, "milestoned_orphan_claims_recovered_total",                   \
          "Claims whose taker died before recording them, recorded by the sweep.")               \
  COUNTER(worker_exceptions, "milestoned_worker_exceptions_total",                               \
          "Exceptions that escaped a worker's loop; the worker was started again.", "worker")    \
  GAUGE(build_info, "milestoned_build_info",                                                     \
        "Build information; the value is always 1.", "version")
// clang-format on

namespace ms {

enum class MetricKind { kCounter, kGauge, kHistogram };

// Bucket boundaries of a histogram, in the metric's unit (see metrics.cc).
enum class BucketSet { kNone, kBatchSize, kStage, kLlm, kOutbox };

#define MS_METRIC_ID(member, ...) member,
enum class MetricId { MS_ALL_METRICS(MS_METRIC_ID, MS_METRIC_ID, MS_METRIC_ID) };
#undef MS_METRIC_ID

#define MS_METRIC_ONE(...) +1
inline constexpr size_t kMetricCount =
    0 MS_ALL_METRICS(MS_METRIC_ONE, MS_METRIC_ONE, MS_METRIC_ONE);
#undef MS_METRIC_ONE

// What a metric is, known at compile time: its kind and how many labels it has.
struct MetricShape {
  MetricKind kind;
  size_t labels;
};

template <typename... Labels>
constexpr size_t LabelCount(Labels...) {
  return sizeof...(Labels);
}

#define MS_COUNTER_SHAPE(member, name, help, ...) \
  MetricShape{MetricKind::kCounter, LabelCount(__VA_ARGS__)},
#define MS_GAUGE_SHAPE(member, name, help, ...) \
  MetricShape{MetricKind::kGauge, LabelCount(__VA_ARGS__)},
#define MS_HISTOGRAM_SHAPE(member, name, help, buckets, ...) \
  MetricShape{MetricKind::kHistogram, LabelCount(__VA_ARGS__)},
inline constexpr std::array<MetricShape, kMetricCount> kMetricShapes = {
    MS_ALL_METRICS(MS_COUNTER_SHAPE, MS_GAUGE_SHAPE, MS_HISTOGRAM_SHAPE)};
#undef MS_COUNTER_SHAPE
#undef MS_GAUGE_SHAPE
#undef MS_HISTOGRAM_SHAPE

// True when `id` is a metric of `kind` declared without labels: one series, no label values.
constexpr bool IsPlain(MetricId id, MetricKind kind) {
  const MetricShape& shape = kMetricShapes[static_cast<size_t>(id)];
  return shape.kind == kind && shape.labels == 0;
}

struct MetricSpec {
  MetricId id;
  MetricKind kind;
  std::string_view name;
  std::string_view help;
  BucketSet buckets;
  std::vector<std::string_view> labels;  // label names, in accessor argument order
};

// The list above as data, in declaration order; AllMetricSpecs()[i].id == MetricId(i).
std::span<const MetricSpec> AllMetricSpecs();

inline const MetricSpec& SpecOf(MetricId id) {
  return AllMetricSpecs()[static_cast<size_t>(id)];
}

// docs/operations.md's metric reference: a markdown table, one row per metric (name, type,
// labels, help). A unit test keeps the document identical to it.
std::string RenderMetricsReference();

}  // namespace ms
