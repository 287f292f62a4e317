#include "adapters/kafka/consumer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace ms::kafka {

namespace {

// A quarter of the read-ahead per fetch response, at least 1 MiB and at least one message of
// the largest size the properties allow: a response's buffer stays allocated until its last
// message is consumed, so a few smaller responses keep the peak lower than one filling the
// whole read-ahead (the same rate in bench/ingest_bench).
std::string FetchMaxBytes(const ConsumerOptions& options) {
  int64_t bytes = std::max<int64_t>(int64_t{1} << 20, int64_t{options.prefetch_kbytes} * 1024 / 4);
  if (auto it = options.properties.find("message.max.bytes"); it != options.properties.end()) {
    bytes = std::max<int64_t>(bytes, std::atoll(it->second.c_str()));
  }
  return std::to_string(bytes);
}

// What a failed (incremental) assign or unassign says; empty when it succeeded.
std::string Failure(rd_kafka_error_t* error) {
  if (error == nullptr) return "";
  std::string text = rd_kafka_error_string(error);
  rd_kafka_error_destroy(error);
  return text;
}

std::string Failure(rd_kafka_resp_err_t err) {
  return err == RD_KAFKA_RESP_ERR_NO_ERROR ? "" : rd_kafka_err2str(err);
}

}  // namespace

Properties ConsumerProperties(const ConsumerOptions& options) {
  Properties props = {
      {"bootstrap.servers", options.brokers},
      {"group.id", options.group_id},
      {"partition.assignment.strategy", "cooperative-sticky"},
      {"enable.auto.offset.store", "false"},
      {"enable.auto.commit", "true"},
      {"auto.commit.interval.ms", std::to_string(options.commit_interval.count())},
      {"auto.offset.reset", "earliest"},
      {"enable.partition.eof", "false"},
      {"queued.max.messages.kbytes", std::to_string(options.prefetch_kbytes)},
      {"fetch.max.bytes", FetchMaxBytes(options)},
  };
  for (const auto& [k, v] : options.properties) props[k] = v;
  return props;
}

StatusOr<std::unique_ptr<Consumer>> Consumer::Open(const ConsumerOptions& options,
                                                   RebalanceListener* listener) {
  MS_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, BuildConf(ConsumerProperties(options)));
  auto consumer = std::unique_ptr<Consumer>(new Consumer(nullptr, listener));
  rd_kafka_conf_set_opaque(conf, consumer.get());
  rd_kafka_conf_set_rebalance_cb(conf, &Consumer::OnRebalance);
  MS_ASSIGN_OR_RETURN(consumer->rk_, NewHandle(RD_KAFKA_CONSUMER, conf, "kafka consumer"));
  rd_kafka_t* rk = consumer->rk_.get();
  rd_kafka_poll_set_consumer(rk);
  OwnedPartitionList topics(
      rd_kafka_topic_partition_list_new(static_cast<int>(options.topics.size())));
  for (const auto& topic : options.topics) {
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics.get());
  if (err) return FromKafkaError(err, "kafka subscribe");
  return consumer;
}

Consumer::~Consumer() {
  (void)Close();
}

void Consumer::OnRebalance(rd_kafka_t*, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* parts, void* opaque) {
  static_cast<Consumer*>(opaque)->HandleRebalance(err, parts);
}

void Consumer::HandleRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts) {
  rd_kafka_t* rk = rk_.get();
  const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    const std::string failed = cooperative ? Failure(rd_kafka_incremental_assign(rk, parts))
                                           : Failure(rd_kafka_assign(rk, parts));
    if (!failed.empty()) {
      spdlog::warn("kafka: assigning {} partitions failed: {}", parts->cnt, failed);
    }
    if (listener_) listener_->OnAssigned(ToKeys(ToVector(parts)));
    return;
  }
  const bool lost = rd_kafka_assignment_lost(rk) != 0;
  if (listener_) listener_->OnRevoked(ToKeys(ToVector(parts)), lost);
  if (!lost) rd_kafka_commit(rk, nullptr, /*async=*/0);  // what was stored before release
  const std::string failed = cooperative ? Failure(rd_kafka_incremental_unassign(rk, parts))
                                         : Failure(rd_kafka_assign(rk, nullptr));
  if (!failed.empty()) {
    spdlog::warn("kafka: releasing {} partitions failed: {}", parts->cnt, failed);
  }
}

StatusOr<std::vector<OwnedMessage>> Consumer::Poll(size_t max, std::chrono::milliseconds wait) {
  std::vector<OwnedMessage> out;
  int timeout_ms = static_cast<int>(wait.count());
  while (out.size() < max) {
    OwnedMessage msg(rd_kafka_consumer_poll(rk_.get(), out.empty() ? timeout_ms : 0));
    if (!msg) break;
    if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      out.push_back(std::move(msg));
      continue;
    }
    if (msg->err == RD_KAFKA_RESP_ERR__FATAL) {
      char reason[512];
      rd_kafka_fatal_error(rk_.get(), reason, sizeof reason);
      return FailedPrecondition(std::string("kafka consumer fatal error: ") + reason);
    }
    // Transient (broker down, partition EOF, unknown topic while it is being created):
    // librdkafka retries by itself; keep polling.
    LogError(msg.get());
    if (out.empty()) timeout_ms = 0;
  }
  return out;
}

void Consumer::LogError(const rd_kafka_message_t* msg) {
  if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
  const bool of_partition = msg->rkt != nullptr && msg->partition >= 0;
  // Each error repeats on every retry: once per kErrorLogEvery per code (and partition).
  std::string key = std::to_string(static_cast<int>(msg->err));
  if (of_partition)
    key += "/" + std::string(rd_kafka_topic_name(msg->rkt)) + "/" + std::to_string(msg->partition);
  const auto now = std::chrono::steady_clock::now();
  auto [at, first] = logged_at_.try_emplace(key, now);
  if (!first && now - at->second < kErrorLogEvery) return;
  at->second = now;
  if (of_partition) {
    spdlog::warn("kafka consumer: {}/{} at offset {}: {} ({})", rd_kafka_topic_name(msg->rkt),
                 msg->partition, msg->offset, rd_kafka_message_errstr(msg),
                 rd_kafka_err2name(msg->err));
  } else {
    spdlog::info("kafka consumer: {} ({})", rd_kafka_message_errstr(msg),
                 rd_kafka_err2name(msg->err));
  }
}

Status Consumer::StoreOffset(const TopicPartition& tp, int64_t next_offset) {
  OwnedPartitionList list(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
      next_offset;
  rd_kafka_resp_err_t err = rd_kafka_offsets_store(rk_.get(), list.get());
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) err = list->elems[0].err;
  if (err == RD_KAFKA_RESP_ERR__STATE || err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION) {
    return Aborted("kafka: " + tp.topic + "/" + std::to_string(tp.partition) +
                   " is no longer assigned; offset not stored");
  }
  return FromKafkaError(err, "kafka offsets_store");
}

Status Consumer::CommitSync() {
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_.get(), nullptr, /*async=*/0);
  if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) return Status::Ok();  // nothing new to commit
  return FromKafkaError(err, "kafka commit");
}

Status Consumer::Pause(const std::vector<TopicPartition>& parts) {
  if (parts.empty()) return Status::Ok();
  return FromKafkaError(rd_kafka_pause_partitions(rk_.get(), ToList(parts).get()), "kafka pause");
}

Status Consumer::Resume(const std::vector<TopicPartition>& parts) {
  if (parts.empty()) return Status::Ok();
  return FromKafkaError(rd_kafka_resume_partitions(rk_.get(), ToList(parts).get()), "kafka resume");
}

std::vector<TopicPartition> Consumer::Assignment() {
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(rk_.get(), &list) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  OwnedPartitionList owned(list);
  return ToVector(list);
}

StatusOr<std::vector<Consumer::Lag>> Consumer::Lags(std::chrono::milliseconds wait) {
  std::vector<Lag> out;
  auto parts = Assignment();
  if (parts.empty()) return out;
  OwnedPartitionList list = ToList(parts);
  rd_kafka_resp_err_t err =
      rd_kafka_committed(rk_.get(), list.get(), static_cast<int>(wait.count()));
  if (err) return FromKafkaError(err, "kafka committed");
  for (int idx = 0; idx < list->cnt; ++idx) {
    auto& elem = list->elems[idx];
    int64_t low = 0, high = -1;
    rd_kafka_get_watermark_offsets(rk_.get(), elem.topic, elem.partition, &low, &high);
    out.push_back({{elem.topic, elem.partition}, elem.offset, high});
  }
  return out;
}

Status Consumer::Close() {
  if (closed_ || !rk_) return Status::Ok();
  closed_ = true;
  Status st = CommitSync();
  rd_kafka_resp_err_t err = rd_kafka_consumer_close(rk_.get());
  if (st.ok()) st = FromKafkaError(err, "kafka close");
  return st;
}

}  // namespace ms::kafka
