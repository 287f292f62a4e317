// Topic administration for start-up and tooling.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "adapters/kafka/kafka_common.h"

namespace ms::kafka {

struct TopicSpec {
  std::string name;
  int partitions = 6;
  int replication_factor = 1;
  Properties configs = {};  // topic configs a new topic gets, e.g. {"max.message.bytes", "20000"}
};

// Creates the topics that do not exist yet; existing ones are left as they are.
Status EnsureTopics(const std::string& brokers, const Properties& props,
                    const std::vector<TopicSpec>& topics, std::chrono::milliseconds wait);

// Where a consumer group stands on one partition.
struct PartitionLag {
  TopicPartition tp;
  int64_t committed = -1;  // the group's committed offset; -1 when it committed none
  int64_t low_watermark = -1;
  int64_t high_watermark = -1;
  // Messages the group has not consumed yet. Without a commit (or with one below the oldest
  // retained offset) the group starts at the low watermark (auto.offset.reset=earliest).
  int64_t lag() const { return high_watermark - std::max(committed, low_watermark); }
};

// The committed offsets of consumer group `group_id` on every partition of `topics`, with the
// partitions' watermarks, as an operator tool sees them (milestonectl status). Uses a consumer
// handle of that group that never subscribes, so it does not join the group or disturb its
// members, and commits nothing. Each broker request waits at most `wait`. NotFound names a
// topic that does not exist.
StatusOr<std::vector<PartitionLag>> GroupLags(const std::string& brokers, const Properties& props,
                                              const std::string& group_id,
                                              const std::vector<std::string>& topics,
                                              std::chrono::milliseconds wait);

}  // namespace ms::kafka
