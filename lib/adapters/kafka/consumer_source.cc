#include "adapters/kafka/consumer_source.h"

namespace ms::kafka {
namespace {

RawRecord ToRecord(const rd_kafka_message_t* msg) {
  rd_kafka_timestamp_type_t type;
  int64_t ts = rd_kafka_message_timestamp(msg, &type);
  return {TopicOf(msg),
          msg->partition,
          msg->offset,
          std::string(KeyOf(msg)),
          std::string(ValueOf(msg)),
          ts > 0 ? ts : 0};
}

}  // namespace

StatusOr<std::vector<RawRecord>> ConsumerSource::Poll(size_t max, std::chrono::milliseconds wait) {
  MS_ASSIGN_OR_RETURN(auto messages, consumer_->Poll(max, wait));
  std::vector<RawRecord> out;
  out.reserve(messages.size());
  for (const OwnedMessage& msg : messages) out.push_back(ToRecord(msg.get()));
  return out;
}

Status ConsumerSource::StoreOffset(const PartitionKey& partition, int64_t next_offset) {
  return consumer_->StoreOffset({partition.first, partition.second}, next_offset);
}

Status ConsumerSource::Pause(const std::vector<PartitionKey>& parts) {
  return consumer_->Pause(ToTopicPartitions(parts));
}

Status ConsumerSource::Resume(const std::vector<PartitionKey>& parts) {
  return consumer_->Resume(ToTopicPartitions(parts));
}

std::vector<PartitionKey> ConsumerSource::Assignment() {
  return ToKeys(consumer_->Assignment());
}

}  // namespace ms::kafka
