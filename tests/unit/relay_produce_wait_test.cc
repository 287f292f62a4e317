// How long a relay round waits for Kafka's delivery reports (app/relay.h): it follows the
// producer's message timeout, so a lowered or raised message.timeout.ms is reported by
// librdkafka before the round gives up on a message (a message the round stopped waiting for
// could still be delivered later and then be produced twice, out of order).
#include <gtest/gtest.h>

#include "app/relay.h"

namespace ms {
namespace {

using namespace std::chrono_literals;

TEST(RelayProduceWaitTest, DefaultIsTheProducersThirtySecondsPlusAMargin) {
  Config config;
  EXPECT_EQ(app::RelayProduceWait(config), 35s);
}

TEST(RelayProduceWaitTest, FollowsMessageTimeoutFromProducerProperties) {
  Config config;
  config.kafka.producer.properties["message.timeout.ms"] = "2000";
  EXPECT_EQ(app::RelayProduceWait(config), 7s);
  config.kafka.producer.properties["message.timeout.ms"] = "120000";
  EXPECT_EQ(app::RelayProduceWait(config), 125s);
}

TEST(RelayProduceWaitTest, FollowsTheDeliveryTimeoutAlias) {
  Config config;
  config.kafka.producer.properties["delivery.timeout.ms"] = "4000";
  EXPECT_EQ(app::RelayProduceWait(config), 9s);
}

TEST(RelayProduceWaitTest, UnlimitedOrUnreadableTimeoutFallsBackToTheDefault) {
  Config config;
  config.kafka.producer.properties["message.timeout.ms"] = "0";  // librdkafka: no limit
  EXPECT_EQ(app::RelayProduceWait(config), 35s);
  config.kafka.producer.properties["message.timeout.ms"] = "2s";
  EXPECT_EQ(app::RelayProduceWait(config), 35s);
}

}  // namespace
}  // namespace ms
