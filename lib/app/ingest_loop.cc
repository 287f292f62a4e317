#include "app/ingest_loop.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "app/options.h"

namespace ms::app {
namespace {

constexpr size_t kMaxPollBatch = 5000;

std::vector<PartitionKey> Keys(const std::vector<kafka::TopicPartition>& parts) {
  std::vector<PartitionKey> out;
  for (const auto& tp : parts) out.emplace_back(tp.topic, tp.partition);
  return out;
}

RawRecord ToRecord(const rd_kafka_message_t* msg) {
  rd_kafka_timestamp_type_t type;
  int64_t ts = rd_kafka_message_timestamp(msg, &type);
  return {rd_kafka_topic_name(msg->rkt), msg->partition, msg->offset, kafka::KeyOf(msg),
          kafka::ValueOf(msg),           ts > 0 ? ts : 0};
}

}  // namespace

IngestLoop::IngestLoop(const Config& config, Ingestor* ingestor,
                       BoundedQueue<std::string>* full_companies, const Clock* clock,
                       IngestStats* stats)
    : config_(config),
      limits_(DecodeLimitsFrom(config)),
      ingestor_(ingestor),
      full_companies_(full_companies),
      clock_(clock),
      stats_(stats),
      backoff_(std::chrono::milliseconds(100), std::chrono::seconds(5)),
      worker_(std::make_unique<PersistWorker>(ingestor, clock)) {}

IngestLoop::~IngestLoop() = default;

Status IngestLoop::FillQueue() {
  std::vector<kafka::OwnedMessage> raw;
  if (!backlog_.empty()) {
    raw.swap(backlog_);
  } else {
    MS_ASSIGN_OR_RETURN(raw, consumer_->Poll(kMaxPollBatch, config_.kafka.poll_timeout));
  }
  if (raw.empty()) return Status::Ok();
  std::vector<RawRecord> records;
  records.reserve(raw.size());
  for (const auto& msg : raw) records.push_back(ToRecord(msg.get()));
  queued_.push_back(DecodeBatch(records, limits_));  // copies what it keeps; raw can go
  stats_->polls += 1;
  stats_->records += static_cast<int64_t>(records.size());
  if (metrics_) {
    for (const Message& m : queued_.back().messages) {
      metrics_->MessagesConsumed(m.source).Increment();
    }
  }
  return Status::Ok();
}

void IngestLoop::StoreOffsets(const IngestBatch& batch) {
  for (const auto& [key, next] : batch.next_offsets) {
    Status st = consumer_->StoreOffset({key.first, key.second}, next);
    if (!st.ok()) spdlog::info("ingest: {}", st.message());  // fenced: partition moved away
  }
}

void IngestLoop::PauseAll() {
  if (paused_) return;
  Status st = consumer_->Pause(consumer_->Assignment());
  if (!st.ok()) spdlog::warn("ingest: pause failed: {}", st.message());
  paused_ = true;
}

void IngestLoop::HoldBack() {
  if (paused_) return;
  spdlog::info(
      "ingest: persisting is slow (a poll has been in flight for over {} ms) — partitions "
      "paused, polling goes on",
      kSlowPersist.count());
  PauseAll();
  retry_at_ = std::chrono::steady_clock::now();  // nothing to back off from: submit when free
  if (metrics_) metrics_->IngestHoldbacks().Increment();
}

void IngestLoop::CountStored(const IngestBatch& batch) {
  if (!metrics_) return;
  for (const Message& m : batch.messages) metrics_->MessagesStored(m.source).Increment();
  // Already in a batch: certainly a redelivery (a still-pending repeat is not distinguishable).
  for (const MessageRef& ref : batch.refs) {
    if (!ref.pending) metrics_->MessagesDuplicate(ref.source).Increment();
  }
  for (const DeadLetter& letter : batch.dead) metrics_->Dlq(letter.reason).Increment();
}

void IngestLoop::SubmitNext() {
  if (queued_.empty() || worker_->full() || requeued_ > 0) return;
  if (paused_ && std::chrono::steady_clock::now() < retry_at_) return;
  worker_->Submit(std::move(queued_.front()));
  queued_.pop_front();
}

bool IngestLoop::Collect(std::chrono::milliseconds timeout) {
  auto done = worker_->Take(timeout);
  return done && Finish(std::move(*done));
}

bool IngestLoop::Finish(PersistWorker::Done done) {
  if (!done.result.ok()) {
    stats_->failures += 1;
    auto delay = std::max(backoff_.Next(), std::chrono::milliseconds(50));
    spdlog::warn("ingest: {} — pausing partitions, retry in {} ms", done.result.status().ToString(),
                 delay.count());
    Requeue(std::move(done.batch));
    retry_at_ = std::chrono::steady_clock::now() + delay;
    PauseAll();
    stats_->paused = true;  // a dependency is down (a slow one alone is not reported)
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
  if (metrics_) metrics_->StageLatency(Stage::kPersist).Observe(done.took.count());
  CountStored(batch);
  StoreOffsets(batch);
  stats_->stored += static_cast<int64_t>(done.result->stored);
  stats_->dead += static_cast<int64_t>(batch.dead.size());
  HandOn(done.result->full_companies);
  backoff_.Reset();
  if (paused_) {
    Status st = consumer_->Resume(consumer_->Assignment());
    if (!st.ok()) spdlog::warn("ingest: resume failed: {}", st.message());
    paused_ = false;
    spdlog::info(stats_->paused ? "ingest: dependencies back, partitions resumed"
                                : "ingest: persisting caught up, partitions resumed");
    stats_->paused = false;
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

Status IngestLoop::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    if (health_) health_->Beat();
    Collect(std::chrono::milliseconds(0));
    SubmitNext();
    if (paused_) {
      // Backing off: keep polling, which serves rebalances and keeps the group membership.
      auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
          retry_at_ - std::chrono::steady_clock::now());
      if (worker_->busy()) wait = std::chrono::milliseconds(100);
      auto more = consumer_->Poll(kMaxPollBatch, std::max(wait, std::chrono::milliseconds(10)));
      if (more.ok()) {
        for (auto& msg : *more) backlog_.push_back(std::move(msg));
      }
      continue;
    }
    if (queued_.empty()) {  // read ahead while the worker persists the previous batch
      Status st = FillQueue();
      if (st.code() == StatusCode::kFailedPrecondition) return st;
      continue;
    }
    // One batch read ahead and the worker full: wait for it, but not past kSlowPersist —
    // then pause and go on polling, so a slow store never keeps this member from polling
    // (max.poll.interval.ms) and nothing more is read meanwhile.
    if (!Collect(kSlowPersist) && worker_->full()) HoldBack();
  }
  DrainAll();  // one last attempt at what was polled; what fails is redelivered
  if (!queued_.empty()) {
    spdlog::warn("ingest: shutdown left {} batch(es) unstored; they will be redelivered",
                 queued_.size());
  }
  return Status::Ok();
}

void IngestLoop::OnAssigned(const std::vector<kafka::TopicPartition>& parts) {
  spdlog::info("ingest: assigned {} partitions", parts.size());
  stats_->assignment.Assigned(parts.size());
  if (paused_) {
    Status st = consumer_->Pause(parts);
    if (!st.ok()) spdlog::warn("ingest: pause of new partitions failed: {}", st.message());
  }
}

void IngestLoop::OnRevoked(const std::vector<kafka::TopicPartition>& parts, bool lost) {
  spdlog::info("ingest: {} {} partitions", lost ? "lost" : "revoked", parts.size());
  stats_->assignment.Revoked(parts.size(), lost, clock_->Now());
  auto keys = Keys(parts);
  std::erase_if(backlog_, [&](const kafka::OwnedMessage& m) {
    return std::find(keys.begin(), keys.end(),
                     PartitionKey{kafka::TopicOf(m.get()), m->partition}) != keys.end();
  });
  // Drain: finish the in-flight and read-ahead batches while we still own their partitions,
  // so their offsets are committed before they move; what cannot be finished (a dependency
  // down, or the partitions already lost) is fenced off — the next owner redelivers it.
  if (!lost && !paused_) {
    DrainAll();
  } else {
    while (worker_->busy()) Collect(std::chrono::seconds(1));
  }
  for (IngestBatch& batch : queued_) DropPartitions(batch, keys);
  std::erase_if(queued_, [](const IngestBatch& b) {
    return b.messages.empty() && b.dead.empty() && b.next_offsets.empty();
  });
}

}  // namespace ms::app
