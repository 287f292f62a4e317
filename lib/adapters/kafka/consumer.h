// Kafka consumer-group adapter (librdkafka C API) with manual offset storage.
//
// Offsets: enable.auto.offset.store=false, so nothing is committed until the caller calls
// StoreOffset(tp, next_offset) — with the offset of the NEXT message to read (last processed
// + 1), as librdkafka stores it as given. Stored offsets are committed by auto-commit
// (commit_interval), on revoke and on Close.
//
// Rebalances: cooperative-sticky by default; assignments are applied incrementally. The
// listener (ports/message_source.h) is called on the polling thread; its OnRevoked runs before
// the partitions are released and must finish (or abandon) the partitions' in-flight work and
// stop storing their offsets before returning. Afterwards, unless the assignment was lost, the
// stored offsets are committed synchronously, then the partitions are unassigned.
//
// ConsumerSource (consumer_source.h) presents a Consumer as the MessageSource port.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/kafka/kafka_common.h"
#include "ports/message_source.h"

namespace ms::kafka {

struct ConsumerOptions {
  std::string brokers;
  std::string group_id = "milestoned";
  std::vector<std::string> topics;
  Properties properties;  // user overrides (kafka.consumer.properties)
  std::chrono::milliseconds commit_interval{1000};
  // Read-ahead bound (queued.max.messages.kbytes), with fetch responses of a quarter of it
  // (fetch.max.bytes, at least 1 MiB). librdkafka's defaults, 64 MiB queued and 50 MiB
  // fetches, were most of the daemon's peak RSS. `properties` may set either.
  int prefetch_kbytes = 8192;
};

// The librdkafka properties of a consumer: milestoned's own (group, offsets stored only for
// durable messages, the read-ahead bound), then `options.properties` over them.
Properties ConsumerProperties(const ConsumerOptions& options);

class Consumer {
 public:
  // Subscribes; the listener (may be null) must outlive the consumer.
  static StatusOr<std::unique_ptr<Consumer>> Open(const ConsumerOptions& options,
                                                  RebalanceListener* listener);
  // Closes (leaving the group and committing stored offsets) if Close was not called.
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Returns up to `max` messages, waiting at most `wait` for the first. Partition-EOF and
  // transient broker errors are not returned as messages; a fatal consumer error is
  // FailedPrecondition. Rebalance callbacks run inside this call. An error of one partition
  // (a failed offset fetch or reset, a corrupt or oversized message) is logged as a warning
  // with its partition and offset, any other (a broker down) at info; each at most once per
  // kErrorLogEvery per error code and partition.
  StatusOr<std::vector<OwnedMessage>> Poll(size_t max, std::chrono::milliseconds wait);

  // Stores `next_offset` (last processed + 1) for commit. Aborted if the partition is no
  // longer assigned (the offset must not be stored: another member owns it now).
  Status StoreOffset(const TopicPartition& tp, int64_t next_offset);

  Status CommitSync();
  Status Pause(const std::vector<TopicPartition>& parts);
  Status Resume(const std::vector<TopicPartition>& parts);
  std::vector<TopicPartition> Assignment();

  // Committed offset and high watermark per assigned partition, for lag.
  struct Lag {
    TopicPartition tp;
    int64_t committed = -1;
    int64_t high_watermark = -1;
  };
  StatusOr<std::vector<Lag>> Lags(std::chrono::milliseconds wait);

  // Commits stored offsets and leaves the group. Idempotent.
  Status Close();

 private:
  Consumer(OwnedHandle rk, RebalanceListener* listener) : rk_(std::move(rk)), listener_(listener) {}
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* parts, void* opaque);
  void HandleRebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts);

  static constexpr std::chrono::seconds kErrorLogEvery{30};
  void LogError(const rd_kafka_message_t* msg);

  OwnedHandle rk_;
  RebalanceListener* listener_;
  bool closed_ = false;
  // When an error was last logged, by code (and topic/partition); Poll's thread only.
  std::map<std::string, std::chrono::steady_clock::time_point> logged_at_;
};

}  // namespace ms::kafka
