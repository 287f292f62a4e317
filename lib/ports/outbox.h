// Ports of the relay half (design §1 relay, §3 outbox, invariant 4): the outbox as the relay
// reads and marks it, with leadership fenced by an epoch, and the sinks rows are delivered to.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace ms {

// One outbox row as the relay delivers it.
struct OutboxRow {
  int64_t id = 0;         // outbox.id: the delivery id, the consumers' dedup key
  std::string company;    // the aggregate: the Kafka key; order holds per company
  std::string type;       // event.created, event.sighted, event.changed, event.stale
  std::string payload;    // JSON, with "delivery_id" = id
  std::string event_uid;  // the event every row of it shares
  bool on_kafka = false;  // the Kafka sink took it in an earlier round
};

// The relay's leadership: one instance at a time reads and marks the outbox. Each new leader
// gets a higher epoch, and every mark is checked against the current epoch in its own
// statement, so a leader that lost its lead (its session died, another took over) can never
// mark a row again. A leader also holds a lease: it starts a round only while its lease is
// renewed, and a new leader waits for its predecessor's lease to run out before it sends
// anything, so the two never send at once.
struct Leadership {
  int64_t epoch = 0;
  std::chrono::milliseconds wait{0};  // what is left of the predecessor's lease
};

class Outbox {
 public:
  virtual ~Outbox() = default;

  // Takes the leadership when no other instance holds it; nullopt while another does.
  virtual StatusOr<std::optional<Leadership>> TryLead() = 0;
  // Extends the lease of leader `epoch` by `lease` from now. FailedPrecondition when it is no
  // longer the leader (fenced by a newer epoch, or its session and so its lock are gone).
  virtual Status Renew(int64_t epoch, std::chrono::milliseconds lease) = 0;
  // Gives the leadership up (shutdown): the lease ends now, so a successor need not wait.
  virtual void Resign(int64_t epoch) = 0;

  // Up to `limit` unpublished rows in id order, leaving out every company whose earliest
  // unpublished row waits for its next attempt (none of its rows overtakes that one).
  virtual StatusOr<std::vector<OutboxRow>> Due(int limit) = 0;

  // Each mark is a no-op unless `epoch` still leads: then FailedPrecondition ("fenced").
  // Every sink took `ids`: published now. Returns each row's publish latency in seconds
  // (created_at to published_at, on the database's clock).
  virtual StatusOr<std::vector<double>> MarkPublished(int64_t epoch,
                                                      const std::vector<int64_t>& ids,
                                                      bool on_kafka) = 0;
  // Kafka took `ids` but another sink did not: they are never produced again.
  virtual Status MarkOnKafka(int64_t epoch, const std::vector<int64_t>& ids) = 0;
  // A company's first failed rows: one more attempt each, `error` as their last error, and
  // their next attempt `base` * 2^(earlier attempts) from now, at most `cap`.
  virtual Status MarkFailed(int64_t epoch, const std::vector<int64_t>& ids,
                            const std::string& error, std::chrono::milliseconds base,
                            std::chrono::milliseconds cap) = 0;
  // Rows behind a company's failed row: not attempted, told why they wait.
  virtual Status NoteWaiting(int64_t epoch, const std::vector<int64_t>& ids,
                             const std::string& why) = 0;

  // Returns when new rows may be due (a store committed some) or after `wait`: true. False at
  // once when it cannot listen (no connection): the caller waits by other means.
  virtual bool WaitForRows(std::chrono::milliseconds wait) = 0;
};

// Upkeep of the outbox table, run periodically by the relay's leader.
class OutboxHousekeeping {
 public:
  virtual ~OutboxHousekeeping() = default;
  // Deletes published rows older than `retention`; returns how many.
  virtual StatusOr<int64_t> PrunePublished(std::chrono::milliseconds retention) = 0;
};

// Where the relay delivers rows: the Kafka events topic, a webhook.
class OutboxSink {
 public:
  virtual ~OutboxSink() = default;
  // Delivers one round's rows (id order) and returns one Status per row: OK when the sink
  // took it. Within a company a row is never sent after one that failed in the same call
  // (those get Aborted), so the company's rows reach the sink in order. `budget` is the time
  // the caller's round has left (zero or less: none); a row not attempted because the budget
  // would be overrun gets DeadlineExceeded and counts as not tried at all.
  virtual std::vector<Status> Deliver(const std::vector<OutboxRow>& rows,
                                      std::chrono::milliseconds budget) = 0;
};

}  // namespace ms
