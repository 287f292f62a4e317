// The consumer thread: poll → decode → make durable (DLQ, Postgres, Redis) → store offsets.
//
// Invariant 1 lives here: an offset is stored only after Ingestor::Process succeeded for the
// batch holding its message. While a dependency is down the batch is held, every assigned
// partition is paused and the loop keeps polling (so the member stays in the group and serves
// rebalances) while it backs off; it resumes by itself once Process succeeds.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/kafka/consumer.h"
#include "config/config.h"
#include "core/clock.h"
#include "observability/health.h"
#include "observability/metrics.h"
#include "pipeline/ingest.h"
#include "runtime/backoff.h"
#include "runtime/bounded_queue.h"

namespace ms::app {

struct IngestStats {
  std::atomic<int64_t> records{0};
  std::atomic<int64_t> stored{0};
  std::atomic<int64_t> dead{0};
  std::atomic<int64_t> failures{0};
  std::atomic<bool> paused{false};
};

class IngestLoop final : public kafka::RebalanceListener {
 public:
  IngestLoop(const Config& config, Ingestor* ingestor, BoundedQueue<std::string>* full_companies,
             const Clock* clock, IngestStats* stats);

  // Must be called before Run; the consumer is opened with this loop as its listener.
  void Attach(kafka::Consumer* consumer) { consumer_ = consumer; }
  // Optional, before Run: per-source / per-reason metrics and the liveness heartbeat (Run
  // beats once per poll or backoff round). Either may be null.
  void SetObservers(Metrics* metrics, HealthRegistry* health) {
    metrics_ = metrics;
    health_ = health;
  }

  // Runs until `stop` becomes true, then makes one last attempt to finish the held batch.
  // Returns an error only for a fatal consumer error.
  Status Run(const std::atomic<bool>& stop);

  void OnAssigned(const std::vector<kafka::TopicPartition>& parts) override;
  void OnRevoked(const std::vector<kafka::TopicPartition>& parts, bool lost) override;

 private:
  Status FillHeld();
  // One attempt at the held batch; on success stores offsets and resumes partitions.
  Status TryProcessHeld();
  void StoreOffsets(const IngestBatch& batch);
  void PauseAll();
  void CountStored(const IngestBatch& batch);

  const Config& config_;
  DecodeLimits limits_;
  Ingestor* ingestor_;
  BoundedQueue<std::string>* full_companies_;
  const Clock* clock_;
  IngestStats* stats_;
  kafka::Consumer* consumer_ = nullptr;
  Metrics* metrics_ = nullptr;
  HealthRegistry* health_ = nullptr;
  Backoff backoff_;
  std::optional<IngestBatch> held_;
  std::vector<kafka::OwnedMessage> backlog_;  // polled while paused, not yet decoded
  bool paused_ = false;
};

}  // namespace ms::app
