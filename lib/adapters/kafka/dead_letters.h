// DeadLetterSink on a Kafka topic. Each record keeps the original key and value; headers say
// why and where from:
//   x-milestoned-reason            stable code (invalid_json, no_text, too_large, ...)
//   x-milestoned-detail            short operator-facing detail, never message content
//   x-milestoned-source-topic / -partition / -offset
// A dead letter never stops ingest for its size. A value that would not fit the producer's
// message.max.bytes (with the key and headers) is cut to what fits, and one the broker still
// refuses as too large (the DLQ topic's max.message.bytes is lower) is sent again with no
// value at all. A cut letter says so, and keeps what identifies the original, which stays
// readable at its source topic, partition and offset until retention removes it:
//   x-milestoned-value-cut         "<kept> of <original> bytes"
//   x-milestoned-original-size     the original value's size in bytes
//   x-milestoned-original-sha256   hex SHA-256 of the original value
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "adapters/kafka/producer.h"
#include "ports/dead_letters.h"

namespace ms::kafka {

inline constexpr std::string_view kReasonHeader = "x-milestoned-reason";
inline constexpr std::string_view kDetailHeader = "x-milestoned-detail";
inline constexpr std::string_view kSourceTopicHeader = "x-milestoned-source-topic";
inline constexpr std::string_view kSourcePartitionHeader = "x-milestoned-source-partition";
inline constexpr std::string_view kSourceOffsetHeader = "x-milestoned-source-offset";
inline constexpr std::string_view kValueCutHeader = "x-milestoned-value-cut";
inline constexpr std::string_view kOriginalSizeHeader = "x-milestoned-original-size";
inline constexpr std::string_view kOriginalSha256Header = "x-milestoned-original-sha256";

// Hex SHA-256 of `bytes`.
std::string Sha256Hex(std::string_view bytes);

// The record a dead letter becomes on `topic`, its value cut to at most `max_record_bytes`
// for key, value and headers together (see above); uncut when it fits.
OutMessage DeadLetterRecord(const DeadLetter& letter, const std::string& topic,
                            size_t max_record_bytes);

class KafkaDeadLetterSink final : public DeadLetterSink {
 public:
  KafkaDeadLetterSink(Producer* producer, std::string topic,
                      std::chrono::milliseconds wait = std::chrono::seconds(30))
      : producer_(producer), topic_(std::move(topic)), wait_(wait) {}

  Status Publish(std::span<const DeadLetter> letters) override;

 private:
  // Room librdkafka needs beyond key, value and headers, kept free when a value is cut.
  static constexpr size_t kRecordOverhead = 1024;

  Producer* producer_;
  std::string topic_;
  std::chrono::milliseconds wait_;
};

}  // namespace ms::kafka
