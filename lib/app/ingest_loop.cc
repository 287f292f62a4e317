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
      backoff_(std::chrono::milliseconds(100), std::chrono::seconds(5)) {}

Status IngestLoop::FillHeld() {
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
  held_ = DecodeBatch(records, limits_);  // copies what it keeps; raw can go
  stats_->records += static_cast<int64_t>(records.size());
  if (metrics_) {
    for (const Message& m : held_->messages) metrics_->MessagesConsumed(m.source).Increment();
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
  stats_->paused = true;
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

Status IngestLoop::TryProcessHeld() {
  auto started = std::chrono::steady_clock::now();
  auto counts = ingestor_->Process(*held_, clock_->Now());
  if (!counts.ok()) return counts.status();
  if (metrics_) {
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    metrics_->StageLatency(Stage::kPersist).Observe(took.count());
  }
  CountStored(*held_);
  StoreOffsets(*held_);
  stats_->stored += static_cast<int64_t>(counts->stored);
  stats_->dead += static_cast<int64_t>(held_->dead.size());
  for (const std::string& company : counts->full_companies) {
    full_companies_->TryPush(company);  // a full queue is fine: the age sweep finds it too
  }
  held_.reset();
  backoff_.Reset();
  if (paused_) {
    Status st = consumer_->Resume(consumer_->Assignment());
    if (!st.ok()) spdlog::warn("ingest: resume failed: {}", st.message());
    paused_ = false;
    stats_->paused = false;
    spdlog::info("ingest: dependencies back, partitions resumed");
  }
  return Status::Ok();
}

Status IngestLoop::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    if (health_) health_->Beat();
    if (!held_) {
      Status st = FillHeld();
      if (st.code() == StatusCode::kFailedPrecondition) return st;
      if (!held_) continue;
    }
    Status st = TryProcessHeld();
    if (st.ok()) continue;
    stats_->failures += 1;
    auto delay = std::max(backoff_.Next(), std::chrono::milliseconds(50));
    spdlog::warn("ingest: {} — pausing partitions, retry in {} ms", st.ToString(), delay.count());
    PauseAll();
    // Keep polling while paused: serves rebalances and keeps the group membership alive.
    auto more = consumer_->Poll(kMaxPollBatch, delay);
    if (more.ok()) {
      for (auto& msg : *more) backlog_.push_back(std::move(msg));
    }
  }
  if (held_) {
    Status st = TryProcessHeld();
    if (!st.ok())
      spdlog::warn("ingest: shutdown left a batch unstored ({}); it will be redelivered",
                   st.message());
  }
  return Status::Ok();
}

void IngestLoop::OnAssigned(const std::vector<kafka::TopicPartition>& parts) {
  spdlog::info("ingest: assigned {} partitions", parts.size());
  if (paused_) {
    Status st = consumer_->Pause(parts);
    if (!st.ok()) spdlog::warn("ingest: pause of new partitions failed: {}", st.message());
  }
}

void IngestLoop::OnRevoked(const std::vector<kafka::TopicPartition>& parts, bool lost) {
  spdlog::info("ingest: {} {} partitions", lost ? "lost" : "revoked", parts.size());
  auto keys = Keys(parts);
  std::erase_if(backlog_, [&](const kafka::OwnedMessage& m) {
    return std::find(keys.begin(), keys.end(),
                     PartitionKey{kafka::TopicOf(m.get()), m->partition}) != keys.end();
  });
  if (!held_) return;
  // Drain: finish the held batch while we still own its partitions, so their offsets get
  // committed before they move; if that fails, fence them off — the next owner redelivers.
  if (!lost && TryProcessHeld().ok()) return;
  DropPartitions(*held_, keys);
}

}  // namespace ms::app
