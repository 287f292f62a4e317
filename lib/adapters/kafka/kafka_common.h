// Shared pieces of the librdkafka adapters: configuration building and owned messages.
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "ports/message_source.h"

namespace ms::kafka {

// librdkafka properties; the adapter sets its required ones on top of these, so a user can
// tune anything else (kafka.consumer.properties / kafka.producer.properties).
using Properties = std::map<std::string, std::string>;

struct Header {
  std::string key;
  std::string value;
};

// Builds an rd_kafka_conf_t from properties; InvalidArgument names the bad property (never
// its value: it may be a SASL password).
StatusOr<rd_kafka_conf_t*> BuildConf(const Properties& props);

struct MessageDeleter {
  void operator()(rd_kafka_message_t* msg) const { rd_kafka_message_destroy(msg); }
};
using OwnedMessage = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using OwnedHandle = std::unique_ptr<rd_kafka_t, HandleDeleter>;

// rd_kafka_new of `type` from `conf`, which it takes over (destroyed on failure too);
// InvalidArgument "<what>: <librdkafka's reason>" on failure.
StatusOr<OwnedHandle> NewHandle(rd_kafka_type_t type, rd_kafka_conf_t* conf, std::string_view what);

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using OwnedPartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

struct TopicPartition {
  std::string topic;
  int32_t partition = -1;
  auto operator<=>(const TopicPartition&) const = default;
};

std::vector<TopicPartition> ToVector(const rd_kafka_topic_partition_list_t* list);
OwnedPartitionList ToList(const std::vector<TopicPartition>& parts);
// The same partitions as the ports name them (PartitionKey), and back.
std::vector<PartitionKey> ToKeys(std::vector<TopicPartition> parts);
std::vector<TopicPartition> ToTopicPartitions(const std::vector<PartitionKey>& parts);

// Views of a consumed message.
std::string_view KeyOf(const rd_kafka_message_t* msg);
std::string_view ValueOf(const rd_kafka_message_t* msg);
std::string TopicOf(const rd_kafka_message_t* msg);
std::vector<Header> HeadersOf(const rd_kafka_message_t* msg);

Status FromKafkaError(rd_kafka_resp_err_t err, std::string_view context);

}  // namespace ms::kafka
