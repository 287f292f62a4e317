// The outbox relay (design §1 relay, invariant 4): publishes `outbox` rows to Kafka
// `kafka.events_topic` (idempotent producer, key = company, headers x-event-id and
// x-event-type) and, with outbox.webhook_url set, POSTs each one HMAC-signed (webhook.h); a row
// is marked published (published_at) only when every configured sink took it.
//
// Ordering across instances: exactly one relay is active at a time — the holder of a
// session-level advisory lock on its own connection; the others stand by and take over when
// that connection (and so the lock) goes away. Within the leader rows go out in id order, and a
// company's rows stop at its first failure in a round, so each company's events reach every
// sink in order (with the idempotent producer a failed delivery fails every later message to
// the same partition too).
// Wake-ups: LISTEN milestoned_outbox (the store transaction NOTIFYs on commit) with a fallback
// poll every outbox.poll_interval — a notification is only a hint.
//
// Retries, per sink and with backoff:
//  - Kafka: a row the broker acknowledged gets kafka_published_at and is never produced again,
//    even while the webhook keeps refusing it (a webhook outage does not flood the topic). A
//    produce not acknowledged within RelayProduceWait (the producer's message.timeout.ms, set
//    with kafka.producer.properties, plus a margin) is not known to be delivered: it is
//    neither published nor on Kafka, and it is produced again later (consumers dedup on
//    x-event-id; delivery is at least once).
//  - A company's first failed row gets attempts + 1, last_error, and next_attempt_at =
//    now + 1 s * 2^(earlier attempts), at most 5 min; the rows behind it get last_error only.
//    A company whose earliest unpublished row is not due is skipped entirely (never a later
//    row before an earlier one); other companies go on.
//
// Published rows older than outbox.retention are deleted; open events unseen for
// events.stale_after become `stale` (with a history row and an `event.stale` outbox row) — by
// the leader, every minute, also when neither sink is configured.
// Metrics (optional): stage_duration{stage="relay"} per round that published rows (fetch,
// delivery, marking), and milestoned_outbox_publish_latency_seconds per published row, from its
// created_at (the store transaction) to its published_at, both on the database's clock.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "adapters/kafka/producer.h"
#include "adapters/postgres/pg.h"
#include "app/webhook.h"
#include "config/config.h"
#include "observability/metrics.h"

namespace ms::app {

struct RelayStats {
  std::atomic<int64_t> published{0};
  std::atomic<int64_t> failures{0};
  std::atomic<int64_t> backlog{0};
  std::atomic<bool> leader{false};
};

// How long one relay round waits for Kafka's delivery reports: the producer's message timeout
// (kafka::Producer::message_timeout; 30 s when it has no limit) plus a margin, so a message that
// times out is reported by librdkafka itself.
std::chrono::milliseconds RelayProduceWait(std::chrono::milliseconds message_timeout);

class OutboxRelay {
 public:
  // `producer` may be null when kafka.events_topic is empty (webhook only).
  OutboxRelay(const Config& config, pg::PgOptions pg_options, kafka::Producer* producer,
              RelayStats* stats);

  // Optional, before Run. May be null.
  void SetMetrics(Metrics* metrics) { metrics_ = metrics; }

  void Run(const std::atomic<bool>& stop);

  // Publishes every due row, round after round (leader only); returns the first failure of a
  // round, whose rows then wait for their next_attempt_at. Exposed for tests.
  Status PublishPending(pg::Connection& conn);
  Status Maintain(pg::Connection& conn);

 private:
  // What one round did with one row.
  struct RowOutcome {
    bool delivered = false;      // every configured sink took it: published
    bool kafka_taken = false;    // Kafka acknowledged it this round (record kafka_published_at)
    bool first_failure = false;  // the company's first undelivered row this round: an attempt
    Status error;                // why it was not delivered
  };

  Status BecomeLeader(pg::Connection& conn);
  bool ToKafka() const;
  // Produces the rows Kafka has not taken yet; one Status per fetched row (OK for rows on the
  // topic already).
  std::vector<Status> ProduceNew(const pg::Result& rows);
  // Delivers one fetched round to every sink, stopping a company's rows at its first failure.
  std::vector<RowOutcome> Deliver(const pg::Result& rows);
  // Writes a round's outcomes: published rows, rows now on Kafka, failures with their backoff.
  // Returns the first failure (with "relay" context), or OK.
  Status RecordRound(pg::Connection& conn, const pg::Result& rows,
                     const std::vector<RowOutcome>& outcomes,
                     std::chrono::steady_clock::time_point round_started);
  void WaitForNotification(pg::Connection& conn, std::chrono::milliseconds wait);
  // `latencies`: one publish latency in seconds per published row.
  void ObservePublished(const pg::Result& latencies,
                        std::chrono::steady_clock::time_point round_started);

  const Config& config_;
  pg::PgOptions pg_options_;
  kafka::Producer* producer_;
  RelayStats* stats_;
  Metrics* metrics_ = nullptr;
  std::chrono::milliseconds produce_wait_;
  std::unique_ptr<WebhookSink> webhook_;  // null when outbox.webhook_url is empty
};

}  // namespace ms::app
