// The claim stage: turns full or aged per-company buffers into `batches` rows.
//
// Runs on its own thread with its own Redis connection. Triggers: a company reported full by
// ingest (bounded queue), and a periodic sweep that (1) rebuilds the buffer from Postgres when
// Redis lost its state, (2) finishes claims whose taker died before recording them, (3) claims
// companies whose oldest pending message exceeded batch.max_age, and (4) re-offers messages
// still unbatched long after they were stored (their buffer entry was lost in a crash).
// Postgres decides membership (RecordClaim assigns only unbatched messages), so a message that
// two of these paths offer twice still lands in exactly one batch.
// Metrics: batches claimed, milestoned_batch_size_messages and stage_duration{stage="claim"}
// per batch created (the Redis claim, the `batches` row and the release, timed by the Clock's
// monotonic reading); failures, rebuilds and orphaned claims recovered.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include "config/config.h"
#include "core/clock.h"
#include "core/sleeper.h"
#include "observability/metrics.h"
#include "ports/batch_buffer.h"
#include "ports/message_store.h"
#include "runtime/backoff.h"
#include "runtime/bounded_queue.h"

namespace ms::app {

class Claimer {
 public:
  // `metrics` receives every count of the stage (see above). Every pointer must outlive it.
  Claimer(const Config& config, BatchBuffer* buffer, MessageStore* store, BatchLedger* ledger,
          BoundedQueue<std::string>* full_companies, BoundedQueue<ClaimedBatch>* claimed,
          const Clock* clock, Metrics* metrics);

  // Optional, before Run: the wait after a failed claim or sweep (default: a sleeper of its
  // own, never interrupted).
  void SetSleeper(Sleeper* sleeper) { sleeper_ = sleeper; }

  void Run(const std::atomic<bool>& stop);

  // One sweep (exposed for tests and `milestonectl`): rebuild, orphans, due companies.
  Status Sweep();
  // Claims every due batch of the company.
  Status ClaimAll(const std::string& company_id);

 private:
  Status RebuildIfNeeded();
  Status Reoffer(std::chrono::milliseconds min_age);
  // `started`: when taking the claim began (Clock::Monotonic), for the claim duration.
  Status RecordAndRelease(const Claim& claim, std::chrono::milliseconds started);

  const Config& config_;
  BatchBuffer* buffer_;
  MessageStore* store_;
  BatchLedger* ledger_;
  BoundedQueue<std::string>* full_companies_;
  BoundedQueue<ClaimedBatch>* claimed_;
  const Clock* clock_;
  Metrics* metrics_;
  std::optional<std::chrono::milliseconds> last_reoffer_;  // monotonic; none before the first
  InterruptibleSleeper own_sleeper_;
  Sleeper* sleeper_ = &own_sleeper_;
  // After a failure (Redis or Postgres down): 100 ms doubling up to 5 s, with jitter.
  Backoff retry_{std::chrono::milliseconds(100), std::chrono::seconds(5)};
};

}  // namespace ms::app
