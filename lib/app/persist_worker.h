// Makes ingest batches durable (Ingestor::Process: DLQ, Postgres, Redis) on a thread of its
// own, one batch at a time, so the consumer thread polls and decodes the next batch meanwhile.
//
// Promises:
//  - At most one batch is in flight. The consumer thread owns every other batch; it gets the
//    in-flight one back, with its result, from Take(). Batches therefore finish in the order
//    they were submitted, and offsets stored from them stay in order.
//  - The worker never touches the Kafka consumer: librdkafka consumer calls (offsets, pause,
//    rebalance callbacks) stay on the consumer thread.
//  - The destructor lets a batch being processed finish (Process is bounded by the store's
//    and the buffer's timeouts), then joins; a result not taken is dropped, so its offsets are
//    never stored and Kafka redelivers it — harmless, every step is idempotent.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "core/clock.h"
#include "pipeline/ingest.h"

namespace ms::app {

class PersistWorker {
 public:
  struct Done {
    IngestBatch batch;  // with its progress recorded: a failed one is retried as is
    StatusOr<IngestCounts> result;
    std::chrono::duration<double> took;  // wall time of Process
  };

  // Both must outlive the worker.
  PersistWorker(Ingestor* ingestor, const Clock* clock);
  ~PersistWorker();
  PersistWorker(const PersistWorker&) = delete;
  PersistWorker& operator=(const PersistWorker&) = delete;

  // True from Submit until Take returned the batch.
  bool busy() const;

  // Hands `batch` to the worker. Requires !busy().
  void Submit(IngestBatch batch);

  // The submitted batch once processed, waiting up to `timeout`; nullopt when nothing is in
  // flight or it did not finish in time.
  std::optional<Done> Take(std::chrono::milliseconds timeout);

 private:
  void Run();

  Ingestor* ingestor_;
  const Clock* clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::optional<IngestBatch> todo_;  // guarded by mu_: submitted, not started
  std::optional<Done> done_;         // guarded by mu_: finished, not taken
  bool busy_ = false;                // guarded by mu_
  bool stop_ = false;                // guarded by mu_
  std::thread thread_;               // last: started once the members above exist
};

}  // namespace ms::app
