// The outbox relay (design §1 relay, invariant 4): delivers `outbox` rows to the configured
// sinks (ports/outbox.h: the Kafka events topic, a webhook) and marks a row published only when
// every sink took it. Its parts:
//  - leadership (Outbox::TryLead/Renew): one instance relays at a time; a new leader waits out
//    its predecessor's lease before it sends, renews its own lease before every round, and
//    stops when a renewal or a mark says it was fenced by a newer epoch;
//  - rounds (RunRound): the due rows in id order, to Kafka first, then to the webhook; a
//    company's rows stop at its first failure in the round (every sink stops the company
//    there too), so each company's rows reach every sink in order;
//  - marking (Record): published, on Kafka, failed with backoff, waiting behind a failure —
//    each mark fenced by the leader's epoch;
//  - housekeeping of its own table every minute while leading (OutboxHousekeeping: retention
//    of published rows), also when no sink is configured. Events going stale is not the
//    relay's: app/stale_sweep.h runs it.
//
// Retries, per sink and with backoff:
//  - Kafka: a row the broker acknowledged gets kafka_published_at and is never produced again,
//    even while the webhook keeps refusing it. A produce not acknowledged within
//    RelayProduceWait is not known to be delivered and is produced again later (delivery is
//    at least once; consumers dedup on the delivery id, the outbox row's id).
//  - A company's first failed row gets attempts + 1, last_error, and next_attempt_at =
//    now + 1 s * 2^(earlier attempts), at most 5 min; the rows behind it get last_error only.
//  - A delivery whose marking failed (the database read-only, full or gone) is remembered, so
//    the next round marks it without sending it again; the relay then waits 1 s doubling up to
//    5 min (with jitter) before its next round, instead of the poll interval.
// Time is read from the injected Clock (Monotonic: a round's deadline, its duration, the
// housekeeping interval) and waited on through the Sleeper.
// Metrics: the leader gauge; rows published and not delivered; stage_duration{stage="relay"}
// per round that published rows, and milestoned_outbox_publish_latency_seconds per published
// row (database clock).
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <vector>

#include "config/config.h"
#include "core/clock.h"
#include "core/sleeper.h"
#include "observability/metrics.h"
#include "ports/outbox.h"
#include "runtime/backoff.h"

namespace ms::app {

// How long one relay round waits for Kafka's delivery reports: the producer's message timeout
// (kafka::Producer::message_timeout; 30 s when it has no limit) plus a margin, so a message that
// times out is reported by librdkafka itself.
std::chrono::milliseconds RelayProduceWait(std::chrono::milliseconds message_timeout);

class OutboxRelay {
 public:
  struct Sinks {
    OutboxSink* kafka = nullptr;    // null: kafka.events_topic is empty
    OutboxSink* webhook = nullptr;  // null: outbox.webhook_url is empty
  };

  // `produce_wait`: RelayProduceWait of the producer; the leader's lease is that plus a
  // margin, so whatever a leader enqueued is sent or given up within its lease. Every pointer
  // must outlive the relay.
  OutboxRelay(const Config& config, Outbox* outbox, OutboxHousekeeping* housekeeping, Sinks sinks,
              std::chrono::milliseconds produce_wait, const Clock* clock, Sleeper* sleeper,
              Metrics* metrics);

  // Leads when it can, relays and keeps house while leading, until `stop`; then resigns.
  void Run(const std::atomic<bool>& stop);

  // Takes the lead if no other instance holds it, after waiting out the predecessor's lease.
  // Aborted while another instance leads. Exposed for tests, like the two below.
  Status Lead();
  bool leading() const { return epoch_.has_value(); }
  // Runs rounds until nothing is due; returns the first failure (rows then wait for their
  // next attempt). FailedPrecondition when the lead was lost (fenced).
  Status PublishPending();
  Status Maintain();

 private:
  // What one round did with one row.
  struct RowOutcome {
    bool delivered = false;      // every configured sink took it: published
    bool kafka_taken = false;    // Kafka acknowledged it (record kafka_published_at)
    bool first_failure = false;  // the company's first undelivered row this round: an attempt
    Status error;                // why it was not delivered; DeadlineExceeded: not tried
  };
  // A delivery that outran its marking: the next round marks it without sending it again.
  struct Unmarked {
    bool kafka_taken = false;
    bool delivered = false;
  };

  // One round: renew the lease, take the due rows, deliver, mark. *more: rows were delivered
  // (so more may be due).
  // Fails when the lease, the rows or a mark could not be had; *delivery_error: the round's
  // first delivery failure (its rows are marked to wait for their next attempt).
  Status RunRound(bool* more, Status* delivery_error);
  // Rows remembered as delivered (or on Kafka) but not marked get that outcome without a send.
  void ApplyUnmarked(std::vector<OutboxRow>& rows, std::vector<RowOutcome>& outcomes) const;
  // `deadline`: Clock::Monotonic by which the round's sends must be done.
  void Deliver(const std::vector<OutboxRow>& rows, std::chrono::milliseconds deadline,
               std::vector<RowOutcome>& outcomes);
  // Writes a round's outcomes (the error of marking them); *delivery_error: the first delivery
  // failure, with "relay" context, or OK.
  Status Record(const std::vector<OutboxRow>& rows, const std::vector<RowOutcome>& outcomes,
                std::chrono::milliseconds round_started, Status* delivery_error);
  // A renewal or a mark said this instance no longer leads.
  void LoseLead(const Status& why);
  void SetLeading(std::optional<int64_t> epoch);
  void ObservePublished(const std::vector<double>& latencies,
                        std::chrono::milliseconds round_started);
  void MaybeMaintain();

  const Config& config_;
  Outbox* outbox_;
  OutboxHousekeeping* housekeeping_;
  Sinks sinks_;
  std::chrono::milliseconds lease_;
  const Clock* clock_;
  Sleeper* sleeper_;
  Metrics* metrics_;
  std::optional<int64_t> epoch_;          // set while this instance leads
  std::map<int64_t, Unmarked> unmarked_;  // by outbox id
  Backoff mark_backoff_;                  // after a round that failed to mark
  bool stalled_ = false;  // the last PublishPending failed on the database, not on a sink
  std::optional<std::chrono::milliseconds> last_maintenance_;  // Clock::Monotonic
};

}  // namespace ms::app
