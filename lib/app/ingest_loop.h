// The consumer thread: poll → decode → make durable (DLQ, Postgres, Redis) → store offsets.
// Making a batch durable runs on a PersistWorker while this thread polls and decodes the next
// one (one batch read ahead, two in flight: one in Postgres, one in Redis), so decode overlaps
// the Postgres and Redis round trips and they overlap each other.
//
// Invariant 1 lives here: an offset is stored only after Persister::Write and Buffer succeeded
// for the batch holding its message, on this thread, in poll order. While a dependency is down
// the failed batch is kept (with its progress) ahead of the read-ahead one, with any batch that
// was in flight behind it (even one that succeeded: offsets are never stored past a batch that
// is not durable); every assigned partition is paused and the loop keeps polling (so the
// member stays in the group and serves rebalances) while it backs off; it resumes by itself
// once a batch succeeds. A slow store (a lock, an overloaded database) is flow-controlled the
// same way without a backoff: after IngestLoop::kSlowPersist with the worker full and the next
// batch decoded, partitions are paused and polling goes on, so the member is never evicted for
// not polling (max.poll.interval.ms). On revoke the in-flight and read-ahead batches are finished
// while the partitions are still owned, or fenced (their messages and offsets dropped) when that
// fails or the partitions were lost.
//
// The loop sees the consumer only as a MessageSource (ports/message_source.h) and reads time only
// from its Clock (Monotonic, for the backoff and kSlowPersist), so it runs against fakes in tests.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/assignment.h"
#include "app/persist_worker.h"
#include "config/config.h"
#include "core/clock.h"
#include "observability/health.h"
#include "observability/metrics.h"
#include "pipeline/ingest/persister.h"
#include "ports/message_source.h"
#include "runtime/backoff.h"
#include "runtime/bounded_queue.h"

namespace ms::app {

class IngestLoop final : public RebalanceListener {
 public:
  // How long (Clock::Monotonic) Run waits for a busy worker before it pauses consumption and
  // polls on; it checks the clock every kWorkerWaitSlice.
  static constexpr std::chrono::milliseconds kSlowPersist{1000};
  static constexpr std::chrono::milliseconds kWorkerWaitSlice{100};

  // `metrics` receives every count of the stage (messages consumed, stored, duplicate, dead
  // letters by reason, persist failures, holdbacks, the persist latency, the paused gauge).
  // Every pointer must outlive the loop.
  IngestLoop(const Config& config, Persister* persister, BoundedQueue<std::string>* full_companies,
             const Clock* clock, Metrics* metrics);
  ~IngestLoop() override;

  // Must be called before Run; the source must deliver its rebalances to this loop (the
  // consumer is opened with this loop as its listener) and outlive it.
  void Attach(MessageSource* source) { source_ = source; }
  // Optional, before Run: what /healthz and /readyz read from this loop — the liveness
  // heartbeat (Run beats once per poll or backoff round) and the partition assignment the
  // rebalance callbacks keep. Either may be null.
  void SetReadiness(HealthRegistry* health, AssignmentTracker* assignment) {
    health_ = health;
    assignment_ = assignment;
  }

  // Runs until `stop` becomes true, then makes one last attempt to finish what it polled.
  // Returns an error only for a fatal consumer error.
  Status Run(const std::atomic<bool>& stop);

  void OnAssigned(const std::vector<PartitionKey>& parts) override;
  void OnRevoked(const std::vector<PartitionKey>& parts, bool lost) override;

 private:
  // Polls and decodes one batch to the back of queued_.
  Status FillQueue();
  // Hands the front queued batch to the worker if it is idle and no backoff is running.
  void SubmitNext();
  // Takes the worker's finished batch, waiting up to `timeout`, and Finish()es it. False when
  // nothing finished.
  bool Collect(std::chrono::milliseconds timeout);
  // Success: stores offsets, counts, hands on full companies, resumes. Failure: the batch goes
  // back to the front of queued_ (Requeue), partitions are paused and a backoff starts; each
  // batch that was in flight behind it follows it there as it comes back, even a successful
  // one. Never blocks.
  bool Finish(PersistWorker::Done done);
  // Puts a batch that failed, or came back behind one that failed, back into queued_ after the
  // ones requeued before it; nothing is submitted until every in-flight batch is back.
  void Requeue(IngestBatch batch);
  void HandOn(const std::vector<std::string>& full_companies);
  // Waits for the in-flight batch, then finishes the queued ones one by one while they
  // succeed (at most one attempt each).
  void DrainAll();
  void StoreOffsets(const IngestBatch& batch);
  void PauseAll();
  // Flow control: the worker is still busy after kSlowPersist with the next batch decoded.
  // Pauses every partition and lets Run keep polling (into backlog_, for what was fetched
  // already) until a batch finishes; not reported as a dependency down.
  void HoldBack();
  // One batch read ahead and the worker full: waits for it up to kWorkerWaitSlice, and holds
  // back once it has waited kSlowPersist in all — so a slow store never keeps this member from
  // polling (max.poll.interval.ms) and nothing more is read meanwhile.
  void AwaitWorker();
  void CountStored(const IngestBatch& batch);

  const Config& config_;
  DecodeLimits limits_;
  Persister* persister_;
  BoundedQueue<std::string>* full_companies_;
  const Clock* clock_;
  Metrics* metrics_;
  MessageSource* source_ = nullptr;
  HealthRegistry* health_ = nullptr;
  AssignmentTracker* assignment_ = nullptr;
  Backoff backoff_;
  std::chrono::milliseconds retry_at_{0};  // Clock::Monotonic; while paused: next attempt
  // Clock::Monotonic when Run began waiting for a full worker with the next batch decoded.
  std::optional<std::chrono::milliseconds> waiting_since_;
  std::deque<IngestBatch> queued_;  // decoded, not in flight; the front goes next
  std::vector<RawRecord> backlog_;  // polled while paused, not yet decoded
  bool paused_ = false;
  bool dependency_down_ = false;  // paused because a batch failed, not merely held back
  size_t requeued_ = 0;           // batches put back at the front while others are still in flight
  std::unique_ptr<PersistWorker> worker_;  // last: its thread stops before the rest goes
};

}  // namespace ms::app
