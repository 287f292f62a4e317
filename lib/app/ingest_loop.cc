#include "app/ingest_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "app/options.h"

namespace ms::app {
namespace {

constexpr size_t kMaxPollBatch = 5000;

}  // namespace

IngestLoop::IngestLoop(const Config& config, Persister* persister,
                       BoundedQueue<std::string>* full_companies, const Clock* clock,
                       Metrics* metrics)
    : config_(config),
      limits_(DecodeLimitsFrom(config)),
      persister_(persister),
      full_companies_(full_companies),
      clock_(clock),
      metrics_(metrics),
      backoff_(std::chrono::milliseconds(100), std::chrono::seconds(5)),
      worker_(std::make_unique<PersistWorker>(persister, clock)) {}

IngestLoop::~IngestLoop() = default;

Status IngestLoop::FillQueue() {
  std::vector<RawRecord> records;
  if (!backlog_.empty()) {
    records.swap(backlog_);
  } else {
    MS_ASSIGN_OR_RETURN(records, source_->Poll(kMaxPollBatch, config_.kafka.poll_timeout));
  }
  if (records.empty()) return Status::Ok();
  queued_.push_back(DecodeBatch(records, limits_));
  metrics_->Counter<MetricId::records_polled>().Increment(static_cast<double>(records.size()));
  for (const Message& m : queued_.back().messages) {
    metrics_->MessagesConsumed(m.source).Increment();
  }
  return Status::Ok();
}

void IngestLoop::StoreOffsets(const IngestBatch& batch) {
  for (const auto& [key, next] : batch.next_offsets) {
    Status st = source_->StoreOffset(key, next);
    if (!st.ok()) spdlog::info("ingest: {}", st.message());  // fenced: partition moved away
  }
}

void IngestLoop::PauseAll() {
  if (paused_) return;
  Status st = source_->Pause(source_->Assignment());
  if (!st.ok()) spdlog::warn("ingest: pause failed: {}", st.message());
  paused_ = true;
}

void IngestLoop::HoldBack() {
  if (paused_) return;
  spdlog::info(
      "ingest: persisting is slow (a poll has been in flight for over {} ms) — partitions "
      "paused, polling goes on",
      kSlowPersist.count());
  // Counted before the pause, so whoever sees the partitions paused sees the count.
  metrics_->Counter<MetricId::ingest_holdbacks>().Increment();
  PauseAll();
  retry_at_ = clock_->Monotonic();  // nothing to back off from: submit when free
  waiting_since_.reset();
}

void IngestLoop::CountStored(const IngestBatch& batch) {
  for (const Message& m : batch.messages) metrics_->MessagesStored(m.source).Increment();
  // Already in a batch: certainly a redelivery (a still-pending repeat is not distinguishable).
  for (const MessageRef& ref : batch.refs) {
    if (!ref.pending) metrics_->MessagesDuplicate(ref.source).Increment();
  }
  for (const DeadLetter& letter : batch.dead) metrics_->Dlq(letter.reason).Increment();
}

void IngestLoop::SubmitNext() {
  if (queued_.empty() || worker_->full() || requeued_ > 0) return;
  if (paused_ && clock_->Monotonic() < retry_at_) return;
  worker_->Submit(std::move(queued_.front()));
  queued_.pop_front();
}

bool IngestLoop::Collect(std::chrono::milliseconds timeout) {
  auto done = worker_->Take(timeout);
  return done && Finish(std::move(*done));
}

bool IngestLoop::Finish(PersistWorker::Done done) {
  waiting_since_.reset();  // a batch came back: a wait for the worker starts afresh
  if (!done.result.ok()) {
    metrics_->Counter<MetricId::ingest_persist_failures>().Increment();
    auto delay = std::max(backoff_.Next(), std::chrono::milliseconds(50));
    spdlog::warn("ingest: {} — pausing partitions, retry in {} ms", done.result.status().ToString(),
                 delay.count());
    Requeue(std::move(done.batch));
    retry_at_ = clock_->Monotonic() + delay;
    PauseAll();
    dependency_down_ = true;  // reported; a slow dependency alone is not
    metrics_->Gauge<MetricId::ingest_paused>().Set(1);
    return false;
  }
  if (requeued_ > 0) {
    // Behind a failed batch: its steps are done, but its offsets wait for the failed one.
    // A full company it found is handed on now (its refs are buffered already).
    HandOn(done.result->full_companies);
    Requeue(std::move(done.batch));
    return false;
  }
  const IngestBatch& batch = done.batch;
  metrics_->StageLatency(Stage::kPersist).Observe(done.took.count());
  CountStored(batch);
  StoreOffsets(batch);
  HandOn(done.result->full_companies);
  backoff_.Reset();
  if (paused_) {
    Status st = source_->Resume(source_->Assignment());
    if (!st.ok()) spdlog::warn("ingest: resume failed: {}", st.message());
    paused_ = false;
    spdlog::info(dependency_down_ ? "ingest: dependencies back, partitions resumed"
                                  : "ingest: persisting caught up, partitions resumed");
    dependency_down_ = false;
    metrics_->Gauge<MetricId::ingest_paused>().Set(0);
  }
  return true;
}

void IngestLoop::HandOn(const std::vector<std::string>& companies) {
  for (const std::string& company : companies) {
    full_companies_->TryPush(company);  // a full queue is fine: the age sweep finds it too
  }
}

void IngestLoop::Requeue(IngestBatch batch) {
  // The batches behind a failed one come back after it and go back in behind it, in order, with
  // their progress, so a retry redoes only their unfinished steps. Their offsets wait.
  queued_.insert(queued_.begin() + static_cast<std::ptrdiff_t>(requeued_), std::move(batch));
  requeued_ = worker_->busy() ? requeued_ + 1 : 0;  // 0: everything in flight is back
}

void IngestLoop::DrainAll() {
  bool ok = true;
  while (worker_->busy()) {
    if (auto done = worker_->Take(std::chrono::seconds(1))) ok = Finish(std::move(*done));
    if (health_) health_->Beat();
  }
  while (ok && !queued_.empty()) {
    worker_->Submit(std::move(queued_.front()));
    queued_.pop_front();
    while (worker_->busy()) {
      if (auto done = worker_->Take(std::chrono::seconds(1))) ok = Finish(std::move(*done));
      if (health_) health_->Beat();
    }
  }
}

void IngestLoop::AwaitWorker() {
  if (!waiting_since_) waiting_since_ = clock_->Monotonic();
  if (Collect(kWorkerWaitSlice) || !worker_->full()) return;
  if (clock_->Monotonic() - *waiting_since_ >= kSlowPersist) HoldBack();
}

Status IngestLoop::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    if (health_) health_->Beat();
    Collect(std::chrono::milliseconds(0));
    SubmitNext();
    if (paused_) {
      // Backing off: keep polling, which serves rebalances and keeps the group membership.
      auto wait = retry_at_ - clock_->Monotonic();
      if (worker_->busy()) wait = std::chrono::milliseconds(100);
      auto more = source_->Poll(kMaxPollBatch, std::max(wait, std::chrono::milliseconds(10)));
      if (more.status().code() == StatusCode::kFailedPrecondition) return more.status();  // fatal
      if (more.ok()) {
        for (auto& record : *more) backlog_.push_back(std::move(record));
      }
      continue;
    }
    if (queued_.empty()) {  // read ahead while the worker persists the previous batch
      Status st = FillQueue();
      if (st.code() == StatusCode::kFailedPrecondition) return st;
      continue;
    }
    AwaitWorker();
  }
  DrainAll();  // one last attempt at what was polled; what fails is redelivered
  if (!queued_.empty()) {
    spdlog::warn("ingest: shutdown left {} batch(es) unstored; they will be redelivered",
                 queued_.size());
  }
  return Status::Ok();
}

void IngestLoop::OnAssigned(const std::vector<PartitionKey>& parts) {
  spdlog::info("ingest: assigned {} partitions", parts.size());
  if (assignment_) assignment_->Assigned(parts.size());
  if (paused_) {
    Status st = source_->Pause(parts);
    if (!st.ok()) spdlog::warn("ingest: pause of new partitions failed: {}", st.message());
  }
}

void IngestLoop::OnRevoked(const std::vector<PartitionKey>& parts, bool lost) {
  spdlog::info("ingest: {} {} partitions", lost ? "lost" : "revoked", parts.size());
  if (assignment_) assignment_->Revoked(parts.size(), lost, clock_->Now());
  std::erase_if(backlog_, [&](const RawRecord& r) {
    return std::find(parts.begin(), parts.end(), PartitionKey{r.topic, r.partition}) != parts.end();
  });
  // Drain: finish the in-flight and read-ahead batches while we still own their partitions,
  // so their offsets are committed before they move; what cannot be finished (a dependency
  // down, or the partitions already lost) is fenced off — the next owner redelivers it.
  if (!lost && !paused_) {
    DrainAll();
  } else {
    while (worker_->busy()) Collect(std::chrono::seconds(1));
  }
  for (IngestBatch& batch : queued_) DropPartitions(batch, parts);
  std::erase_if(queued_, [](const IngestBatch& b) {
    return b.messages.empty() && b.dead.empty() && b.next_offsets.empty();
  });
}

}  // namespace ms::app
