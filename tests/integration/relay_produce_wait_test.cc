// How long a relay round waits for Kafka's delivery reports (app/relay.h): it follows the
// producer's message timeout, so a lowered or raised message.timeout.ms is reported by
// librdkafka before the round gives up on a message (a message the round stopped waiting for
// could still be delivered later and then be produced twice, out of order). The timeout is the
// one librdkafka applies, read back from a real producer (no broker is contacted). An
// integration test: a librdkafka handle's own threads crash the TSan unit-test run.
#include <gtest/gtest.h>

#include "adapters/kafka/producer.h"
#include "app/relay.h"

namespace ms {
namespace {

using namespace std::chrono_literals;

// The relay's wait for a producer opened with `properties` (kafka.producer.properties).
std::chrono::milliseconds WaitWith(const kafka::Properties& properties) {
  kafka::ProducerOptions options;
  options.brokers = "127.0.0.1:1";
  options.properties = properties;
  auto producer = kafka::Producer::Open(options);
  EXPECT_TRUE(producer.ok()) << producer.status().ToString();
  if (!producer.ok()) return 0ms;
  return app::RelayProduceWait((*producer)->message_timeout());
}

TEST(RelayProduceWaitTest, DefaultIsTheProducersThirtySecondsPlusAMargin) {
  EXPECT_EQ(WaitWith({}), 35s);
}

TEST(RelayProduceWaitTest, FollowsMessageTimeoutFromProducerProperties) {
  EXPECT_EQ(WaitWith({{"message.timeout.ms", "2000"}}), 7s);
  EXPECT_EQ(WaitWith({{"message.timeout.ms", "120000"}}), 125s);
}

TEST(RelayProduceWaitTest, FollowsTheDeliveryTimeoutAlias) {
  EXPECT_EQ(WaitWith({{"delivery.timeout.ms", "4000"}}), 9s);
}

TEST(RelayProduceWaitTest, UnlimitedTimeoutFallsBackToTheDefault) {
  EXPECT_EQ(WaitWith({{"message.timeout.ms", "0"}}), 35s);  // librdkafka: no limit
  // An unreadable value never reaches the relay: the producer refuses it at start.
  kafka::ProducerOptions options;
  options.brokers = "127.0.0.1:1";
  options.properties = {{"message.timeout.ms", "2s"}};
  EXPECT_FALSE(kafka::Producer::Open(options).ok());
}

TEST(RelayProduceWaitTest, WithoutAProducerTheDefaultApplies) {
  EXPECT_EQ(app::RelayProduceWait(0ms), 35s);
}

}  // namespace
}  // namespace ms
