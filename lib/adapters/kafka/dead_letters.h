// DeadLetterSink on a Kafka topic. Each record keeps the original key and value; headers say
// why and where from:
//   x-milestoned-reason            stable code (invalid_json, no_text, too_large, ...)
//   x-milestoned-detail            short operator-facing detail, never message content
//   x-milestoned-source-topic / -partition / -offset
#pragma once

#include <chrono>

#include "adapters/kafka/producer.h"
#include "ports/ingest.h"

namespace ms::kafka {

inline constexpr std::string_view kReasonHeader = "x-milestoned-reason";
inline constexpr std::string_view kDetailHeader = "x-milestoned-detail";
inline constexpr std::string_view kSourceTopicHeader = "x-milestoned-source-topic";
inline constexpr std::string_view kSourcePartitionHeader = "x-milestoned-source-partition";
inline constexpr std::string_view kSourceOffsetHeader = "x-milestoned-source-offset";

class KafkaDeadLetterSink final : public DeadLetterSink {
 public:
  KafkaDeadLetterSink(Producer* producer, std::string topic,
                      std::chrono::milliseconds wait = std::chrono::seconds(30))
      : producer_(producer), topic_(std::move(topic)), wait_(wait) {}

  Status Publish(std::span<const DeadLetter> letters) override;

 private:
  Producer* producer_;
  std::string topic_;
  std::chrono::milliseconds wait_;
};

}  // namespace ms::kafka
