// Topic administration for start-up and tooling.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "adapters/kafka/kafka_common.h"

namespace ms::kafka {

struct TopicSpec {
  std::string name;
  int partitions = 6;
  int replication_factor = 1;
};

// Creates the topics that do not exist yet; existing ones are left as they are.
Status EnsureTopics(const std::string& brokers, const Properties& props,
                    const std::vector<TopicSpec>& topics, std::chrono::milliseconds wait);

}  // namespace ms::kafka
