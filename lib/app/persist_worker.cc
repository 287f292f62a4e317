#include "app/persist_worker.h"

#include <cassert>

namespace ms::app {

PersistWorker::PersistWorker(Ingestor* ingestor, const Clock* clock)
    : ingestor_(ingestor), clock_(clock), thread_([this] { Run(); }) {}

PersistWorker::~PersistWorker() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

bool PersistWorker::busy() const {
  std::lock_guard lock(mu_);
  return busy_;
}

void PersistWorker::Submit(IngestBatch batch) {
  {
    std::lock_guard lock(mu_);
    assert(!busy_ && "PersistWorker::Submit while a batch is in flight");
    todo_ = std::move(batch);
    busy_ = true;
  }
  cv_.notify_all();
}

std::optional<PersistWorker::Done> PersistWorker::Take(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (!busy_) return std::nullopt;
  if (!cv_.wait_for(lock, timeout, [&] { return done_.has_value(); })) return std::nullopt;
  std::optional<Done> out = std::move(done_);
  done_.reset();
  busy_ = false;
  return out;
}

void PersistWorker::Run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stop_ || todo_.has_value(); });
    if (stop_) return;  // a batch submitted but not started is dropped: Kafka redelivers it
    IngestBatch batch = std::move(*todo_);
    todo_.reset();
    lock.unlock();
    auto started = std::chrono::steady_clock::now();
    StatusOr<IngestCounts> result = ingestor_->Process(batch, clock_->Now());
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    lock.lock();
    done_.emplace(Done{std::move(batch), std::move(result), took});
    cv_.notify_all();
    if (stop_) return;
  }
}

}  // namespace ms::app
