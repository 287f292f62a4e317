// The relay's Kafka sink against the real broker of the local stack: a row whose record is too
// large to send fails before anything is sent and holds its company's later rows, so none of
// them reaches the topic ahead of it; other companies' rows go out, each with its delivery id.
#include <gtest/gtest.h>

#include <algorithm>

#include "adapters/kafka/admin.h"
#include "adapters/kafka/outbox_sink.h"
#include "tests/support/kafka_topic.h"
#include "tests/support/stack_env.h"

namespace ms {
namespace {

using namespace std::chrono_literals;

OutboxRow Row(int64_t id, const std::string& company, std::string payload = "{}") {
  return {id, company, "event.created", std::move(payload), "uid-" + std::to_string(id), false};
}

TEST(KafkaOutboxSink, ARowTooLargeToSendHoldsItsCompanysLaterRowsAndNoOthers) {
  MS_REQUIRE_STACK(env);
  const std::string topic = test::UniqueName("events");
  ASSERT_TRUE(kafka::EnsureTopics(env.brokers, {}, {{topic, 2}}, 30s).ok());
  kafka::ProducerOptions options;
  options.brokers = env.brokers;
  options.properties["message.max.bytes"] = "20000";
  auto producer = kafka::Producer::Open(options);
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  kafka::KafkaOutboxSink sink(producer->get(), topic, 35s);
  std::vector<OutboxRow> rows = {Row(1, "acme"), Row(2, "acme", std::string(30000, 'x')),
                                 Row(3, "beta"), Row(4, "acme"), Row(5, "beta")};
  rows[0].on_kafka = true;  // on the topic since an earlier round: not sent again
  std::vector<Status> results = sink.Deliver(rows, 60s);
  ASSERT_EQ(results.size(), 5u);
  EXPECT_TRUE(results[0].ok());
  EXPECT_EQ(results[1].code(), StatusCode::kInvalidArgument) << results[1].ToString();
  EXPECT_TRUE(results[2].ok()) << results[2].ToString();
  EXPECT_EQ(results[3].code(), StatusCode::kAborted) << "row 4 would overtake row 2";
  EXPECT_TRUE(results[4].ok()) << results[4].ToString();

  auto records = test::ReadWholeTopic(env.brokers, topic, 60s);
  ASSERT_TRUE(records.has_value());
  std::vector<std::string> delivered;
  for (const test::TopicRecord& record : *records) {
    delivered.push_back(record.key + "#" + record.headers.at("x-delivery-id"));
    EXPECT_EQ(record.headers.at("x-event-id"), "uid-" + record.headers.at("x-delivery-id"));
  }
  std::sort(delivered.begin(), delivered.end());
  EXPECT_EQ(delivered, (std::vector<std::string>{"beta#3", "beta#5"}));
}

}  // namespace
}  // namespace ms
