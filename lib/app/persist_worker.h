// Makes ingest batches durable on two threads of its own, a two-stage pipeline: one thread
// runs Persister::Write (DLQ, Postgres) and the other Persister::Buffer (Redis), so batch N's
// Redis append overlaps batch N+1's Postgres upsert, and the consumer thread polls and decodes
// meanwhile.
//
// Promises:
//  - At most kDepth batches are in flight. Each stage handles them one at a time in
//    submission order, and Take() hands them back in submission order, each with its result:
//    offsets stored from them stay in poll order.
//  - A batch whose Store failed skips Buffer and comes back with its progress; a batch behind
//    it is not held up (its steps are idempotent), so the caller decides what to do with it.
//  - The worker never touches the Kafka consumer: librdkafka consumer calls (offsets, pause,
//    rebalance callbacks) stay on the consumer thread.
//  - The destructor lets the steps being run finish (each bounded by the store's and the
//    buffer's timeouts), then joins; batches not taken are dropped, so their offsets are never
//    stored and Kafka redelivers them — harmless, every step is idempotent.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "core/clock.h"
#include "pipeline/ingest/persister.h"

namespace ms::app {

class PersistWorker {
 public:
  static constexpr size_t kDepth = 2;  // one batch per stage

  struct Done {
    IngestBatch batch;  // with its progress recorded: a failed one is retried as is
    StatusOr<PersistCounts> result;
    std::chrono::duration<double> took;  // time spent in the two steps, not waiting for them
  };

  // Both must outlive the worker.
  PersistWorker(Persister* persister, const Clock* clock);
  ~PersistWorker();
  PersistWorker(const PersistWorker&) = delete;
  PersistWorker& operator=(const PersistWorker&) = delete;

  // True while a submitted batch has not been taken back.
  bool busy() const;
  // True while kDepth batches are in flight: Submit must wait.
  bool full() const;

  // Hands `batch` to the worker. Requires !full().
  void Submit(IngestBatch batch);

  // The oldest submitted batch once processed, waiting up to `timeout`; nullopt when nothing
  // is in flight or it did not finish in time.
  std::optional<Done> Take(std::chrono::milliseconds timeout);

 private:
  enum class Step { kToWrite, kWriting, kToBuffer, kBuffering, kFinished };
  struct Slot {
    IngestBatch batch;
    PersistCounts counts;
    Status status;
    Step step = Step::kToWrite;
    std::chrono::duration<double> took{0};
  };

  // Runs `from` → `running` → `to` on the oldest slot at `from`, until stopped.
  void RunStage(Step from, Step running);
  // Runs one step on `slot` (outside the lock); returns the slot's next step.
  Step RunStep(Step running, Slot& slot);
  Slot* Oldest(Step step);  // requires mu_

  Persister* persister_;
  const Clock* clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Slot> slots_;    // guarded by mu_: in submission order; a running slot is never popped
  bool stop_ = false;         // guarded by mu_
  std::thread write_thread_;  // last two: started once the members above exist
  std::thread buffer_thread_;
};

}  // namespace ms::app
