// Writes raw records to, and reads back what landed on, Kafka topics of the local stack (tests
// of the outbox relay and of dead letters).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace ms::test {

struct TopicRecord {
  std::string key;
  std::string event_id;  // header x-event-id ("" when absent)
  int32_t partition = -1;
  int64_t offset = -1;
  std::map<std::string, std::string> headers;  // the last value of each header
  std::string value;
};

// Produces one record as given (lz4-compressed, like any producer of the stack's defaults),
// with the producer's message.max.bytes raised to `max_message_bytes`. OK once acknowledged.
Status ProduceRaw(const std::string& brokers, const std::string& topic, const std::string& key,
                  const std::string& value, size_t max_message_bytes = 1'000'000);

// Every record on `topic`, each partition's in offset order: as many as the partitions' high
// watermarks say the topic holds, so a duplicate cannot hide behind "enough records seen".
// nullopt when the topic cannot be read completely within `wait`.
std::optional<std::vector<TopicRecord>> ReadWholeTopic(const std::string& brokers,
                                                       const std::string& topic,
                                                       std::chrono::milliseconds wait);

}  // namespace ms::test
