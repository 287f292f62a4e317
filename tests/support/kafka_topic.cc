#include "tests/support/kafka_topic.h"

#include <algorithm>

#include "adapters/kafka/admin.h"
#include "adapters/kafka/consumer.h"
#include "adapters/kafka/producer.h"
#include "tests/support/stack_env.h"

namespace ms::test {

Status ProduceRaw(const std::string& brokers, const std::string& topic, const std::string& key,
                  const std::string& value, size_t max_message_bytes) {
  kafka::ProducerOptions options;
  options.brokers = brokers;
  options.properties["message.max.bytes"] = std::to_string(max_message_bytes);
  MS_ASSIGN_OR_RETURN(std::unique_ptr<kafka::Producer> producer, kafka::Producer::Open(options));
  std::vector<Status> results =
      producer->ProduceAndWait({{topic, key, value, {}}}, std::chrono::seconds(30));
  return results.at(0);
}

std::optional<std::vector<TopicRecord>> ReadWholeTopic(const std::string& brokers,
                                                       const std::string& topic,
                                                       std::chrono::milliseconds wait) {
  const std::string group = UniqueName("topic_reader");
  // Right after a broker restart the watermarks may not be readable yet (no leader, the
  // coordinator loading): asked again, in steps of at most 10 s, until `wait` has passed.
  StatusOr<std::vector<kafka::PartitionLag>> lags = Unavailable("not asked yet");
  WaitFor(
      [&] {
        lags =
            kafka::GroupLags(brokers, {}, group, {topic},
                             std::min<std::chrono::milliseconds>(wait, std::chrono::seconds(10)));
        return lags.ok();
      },
      wait);
  if (!lags.ok()) return std::nullopt;
  size_t total = 0;
  for (const kafka::PartitionLag& lag : *lags) {
    total += static_cast<size_t>(lag.high_watermark - lag.low_watermark);
  }
  kafka::ConsumerOptions options;
  options.brokers = brokers;
  options.group_id = group;
  options.topics = {topic};
  auto consumer = kafka::Consumer::Open(options, nullptr);
  if (!consumer.ok()) return std::nullopt;
  std::vector<TopicRecord> records;
  const bool complete = WaitFor(
      [&] {
        auto batch = (*consumer)->Poll(1000, std::chrono::milliseconds(200));
        if (batch.ok()) {
          for (const kafka::OwnedMessage& msg : *batch) {
            TopicRecord record;
            record.key = kafka::KeyOf(msg.get());
            record.partition = msg->partition;
            record.offset = msg->offset;
            for (const kafka::Header& header : kafka::HeadersOf(msg.get())) {
              if (header.key == "x-event-id") record.event_id = header.value;
              record.headers[header.key] = header.value;
            }
            record.value = std::string(kafka::ValueOf(msg.get()));
            records.push_back(std::move(record));
          }
        }
        return records.size() >= total;
      },
      wait);
  (void)(*consumer)->Close();
  if (!complete) return std::nullopt;
  return records;
}

}  // namespace ms::test
