// Kafka producer adapter (librdkafka C API). Idempotent by default (enable.idempotence=true,
// acks=all), so a retried send never duplicates within a session.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "adapters/kafka/kafka_common.h"

namespace ms::kafka {

struct ProducerOptions {
  std::string brokers;
  Properties properties;  // user overrides (kafka.producer.properties)
  bool idempotent = true;
  std::chrono::milliseconds delivery_timeout{30000};  // message.timeout.ms
};

struct OutMessage {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<Header> headers;
  int32_t partition = RD_KAFKA_PARTITION_UA;  // default: partitioned by key
};

class Producer {
 public:
  static StatusOr<std::unique_ptr<Producer>> Open(const ProducerOptions& options);
  // Flushes for up to 10 s, then destroys: undelivered messages are reported as failed.
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Produces every message and waits up to `wait` for each delivery report. Returns one
  // Status per message, in order: OK only when the broker acknowledged it. A message still in
  // flight when `wait` ends is DeadlineExceeded — it may still arrive later, so callers
  // treat it as "not known to be delivered" (never as published). Thread-safe.
  std::vector<Status> ProduceAndWait(const std::vector<OutMessage>& messages,
                                     std::chrono::milliseconds wait);

  // Fire-and-forget send for tooling (milestonectl produce): queues the message, polling
  // the queue when full. Failures surface through Flush.
  Status Send(const OutMessage& message);
  // Waits for all queued messages; Unavailable if any failed or some remain after `wait`.
  Status Flush(std::chrono::milliseconds wait);

  // A metadata round trip to the brokers (a liveness probe that works with no topic or
  // partition at hand): OK when a broker answered within `wait`, else Unavailable with
  // librdkafka's reason as the message. Thread-safe.
  Status PingBrokers(std::chrono::milliseconds wait);

  // The message.timeout.ms librdkafka applies (after ProducerOptions::properties and its alias
  // delivery.timeout.ms): how long it tries a message before reporting it failed; 0 = no limit.
  std::chrono::milliseconds message_timeout() const { return message_timeout_; }
  // The message.max.bytes librdkafka applies: a record whose key, value and headers exceed it
  // is refused before it is sent (MSG_SIZE_TOO_LARGE).
  size_t max_message_bytes() const { return max_message_bytes_; }

 private:
  Producer(OwnedHandle rk, std::unique_ptr<std::atomic<int64_t>> send_failures,
           std::chrono::milliseconds message_timeout, size_t max_message_bytes)
      : send_failures_(std::move(send_failures)),
        rk_(std::move(rk)),
        message_timeout_(message_timeout),
        max_message_bytes_(max_message_bytes) {}
  rd_kafka_resp_err_t Enqueue(const OutMessage& message, void* opaque);

  // Declared before rk_ so it outlives the handle whose callbacks write to it.
  std::unique_ptr<std::atomic<int64_t>> send_failures_;
  OwnedHandle rk_;
  std::chrono::milliseconds message_timeout_;
  size_t max_message_bytes_;
};

}  // namespace ms::kafka
