// Reads back what landed on a Kafka topic of the local stack (tests of the outbox relay).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ms::test {

struct TopicRecord {
  std::string key;
  std::string event_id;  // header x-event-id ("" when absent)
  int32_t partition = -1;
  int64_t offset = -1;
};

// Every record on `topic`, each partition's in offset order: as many as the partitions' high
// watermarks say the topic holds, so a duplicate cannot hide behind "enough records seen".
// nullopt when the topic cannot be read completely within `wait`.
std::optional<std::vector<TopicRecord>> ReadWholeTopic(const std::string& brokers,
                                                       const std::string& topic,
                                                       std::chrono::milliseconds wait);

}  // namespace ms::test
