// The relay's Kafka sink (ports/outbox.h OutboxSink): each outbox row becomes one record on
// kafka.events_topic, keyed by company (so a company's records share a partition and keep
// their order), its payload the value, with headers
//   x-delivery-id   the outbox row's id: the dedup key (the same id is the same delivery)
//   x-event-id      the event's id, shared by every change of that event
//   x-event-type    event.created, event.sighted, event.changed, event.stale
// The idempotent producer keeps a partition's records in order and fails every record behind
// one that failed. A row that cannot be sent at all (its record over the producer's
// message.max.bytes) fails before anything is sent, and the company's later rows are not sent
// in that round (Aborted), so none overtakes it. A row already on the topic (on_kafka) is not
// sent again and counts as taken.
#pragma once

#include <chrono>
#include <string>

#include "adapters/kafka/producer.h"
#include "ports/outbox.h"

namespace ms::kafka {

class KafkaOutboxSink final : public OutboxSink {
 public:
  // `wait`: how long to wait for the delivery reports (RelayProduceWait).
  KafkaOutboxSink(Producer* producer, std::string topic, std::chrono::milliseconds wait)
      : producer_(producer), topic_(std::move(topic)), wait_(wait) {}

  std::vector<Status> Deliver(const std::vector<OutboxRow>& rows,
                              std::chrono::milliseconds budget) override;

  // The record of `row`.
  OutMessage RecordOf(const OutboxRow& row) const;

 private:
  static constexpr size_t kRecordOverhead = 1024;  // beyond key, value and headers

  Producer* producer_;
  std::string topic_;
  std::chrono::milliseconds wait_;
};

}  // namespace ms::kafka
