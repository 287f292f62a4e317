// The outbox relay (design §1 relay, invariant 4): publishes `outbox` rows to Kafka
// `kafka.events_topic` (idempotent producer, key = company, headers x-event-id and
// x-event-type) and marks them published.
//
// Ordering across instances: exactly one relay is active at a time — the holder of a
// session-level advisory lock on its own connection; the others stand by and take over when
// that connection (and so the lock) goes away. Within the leader rows go out in id order, and
// with the idempotent producer a failed delivery fails every later message to the same
// partition too, so only a prefix per company is ever marked published.
// Wake-ups: LISTEN milestoned_outbox (the store transaction NOTIFYs on commit) with a fallback
// poll every outbox.poll_interval — a notification is only a hint.
// A produce that times out is not marked published; it is sent again (consumers dedup on
// x-event-id). With outbox.webhook_url set, every row is also POSTed, HMAC-signed (webhook.h);
// a row counts as published only when every configured sink took it. Published rows older than
// outbox.retention are deleted; open events unseen for events.stale_after become `stale` (with a
// history row and an `event.stale` outbox row) — by the leader, every minute, also when neither
// sink is configured.
// Metrics (optional): stage_duration{stage="relay"} per round that published rows (fetch,
// delivery, marking), and milestoned_outbox_publish_latency_seconds per published row, from its
// created_at (the store transaction) to its published_at, both on the database's clock.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>

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

class OutboxRelay {
 public:
  // `producer` may be null when kafka.events_topic is empty (webhook only).
  OutboxRelay(const Config& config, pg::PgOptions pg_options, kafka::Producer* producer,
              RelayStats* stats);

  // Optional, before Run. May be null.
  void SetMetrics(Metrics* metrics) { metrics_ = metrics; }

  void Run(const std::atomic<bool>& stop);

  // One round: publish everything pending (leader only). Exposed for tests.
  Status PublishPending(pg::Connection& conn);
  Status Maintain(pg::Connection& conn);

 private:
  Status BecomeLeader(pg::Connection& conn);
  // Delivers one fetched round; returns, per row, whether every configured sink took it,
  // stopping a company's rows at its first failure (per-company order for the webhook).
  std::vector<bool> Deliver(const pg::Result& rows, Status* first_error);
  void WaitForNotification(pg::Connection& conn, std::chrono::milliseconds wait);
  // `latencies`: one publish latency in seconds per published row.
  void ObservePublished(const pg::Result& latencies,
                        std::chrono::steady_clock::time_point round_started);

  const Config& config_;
  pg::PgOptions pg_options_;
  kafka::Producer* producer_;
  RelayStats* stats_;
  Metrics* metrics_ = nullptr;
  std::unique_ptr<WebhookSink> webhook_;  // null when outbox.webhook_url is empty
};

}  // namespace ms::app
