#include "app/persist_worker.h"

#include <cassert>

namespace ms::app {

PersistWorker::PersistWorker(Persister* persister, const Clock* clock)
    : persister_(persister),
      clock_(clock),
      write_thread_([this] { RunStage(Step::kToWrite, Step::kWriting); }),
      buffer_thread_([this] { RunStage(Step::kToBuffer, Step::kBuffering); }) {}

PersistWorker::~PersistWorker() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  write_thread_.join();
  buffer_thread_.join();
}

bool PersistWorker::busy() const {
  std::lock_guard lock(mu_);
  return !slots_.empty();
}

bool PersistWorker::full() const {
  std::lock_guard lock(mu_);
  return slots_.size() >= kDepth;
}

void PersistWorker::Submit(IngestBatch batch) {
  {
    std::lock_guard lock(mu_);
    assert(slots_.size() < kDepth && "PersistWorker::Submit while full");
    slots_.emplace_back().batch = std::move(batch);
  }
  cv_.notify_all();
}

std::optional<PersistWorker::Done> PersistWorker::Take(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  if (slots_.empty()) return std::nullopt;
  if (!cv_.wait_for(lock, timeout, [&] { return slots_.front().step == Step::kFinished; })) {
    return std::nullopt;
  }
  Slot& slot = slots_.front();
  Done done{std::move(slot.batch), PersistCounts{}, slot.took};
  if (slot.status.ok()) {
    done.result = std::move(slot.counts);
  } else {
    done.result = std::move(slot.status);
  }
  slots_.pop_front();
  return done;
}

PersistWorker::Slot* PersistWorker::Oldest(Step step) {
  for (Slot& slot : slots_) {
    if (slot.step == step) return &slot;
  }
  return nullptr;
}

PersistWorker::Step PersistWorker::RunStep(Step running, Slot& slot) {
  if (running == Step::kWriting) {
    slot.status = persister_->Write(slot.batch, &slot.counts);
    return slot.status.ok() ? Step::kToBuffer : Step::kFinished;
  }
  slot.status = persister_->Buffer(slot.batch, clock_->Now(), &slot.counts);
  return Step::kFinished;
}

void PersistWorker::RunStage(Step from, Step running) {
  std::unique_lock lock(mu_);
  while (true) {
    Slot* slot = nullptr;
    cv_.wait(lock, [&] { return stop_ || (slot = Oldest(from)) != nullptr; });
    if (stop_) return;  // a batch not started is dropped: Kafka redelivers it
    slot->step = running;
    lock.unlock();
    // The slot stays put: Take pops only finished slots, and deque::push_back keeps
    // references to the other elements valid.
    const std::chrono::milliseconds started = clock_->Monotonic();
    Step next = RunStep(running, *slot);
    const std::chrono::duration<double> took = clock_->Monotonic() - started;
    lock.lock();
    slot->took += took;
    slot->step = next;
    cv_.notify_all();
  }
}

}  // namespace ms::app
