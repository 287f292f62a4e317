// The consumer's read-ahead bound: librdkafka's queue and fetch sizes derived from
// kafka.prefetch_kbytes, what kafka.consumer.properties may override, and that librdkafka
// accepts the result.
#include <gtest/gtest.h>

#include "adapters/kafka/consumer.h"

namespace ms::kafka {
namespace {

ConsumerOptions Options(int prefetch_kbytes, Properties properties = {}) {
  ConsumerOptions options;
  options.brokers = "127.0.0.1:1";
  options.topics = {"t"};
  options.prefetch_kbytes = prefetch_kbytes;
  options.properties = std::move(properties);
  return options;
}

// Creating the handle is where librdkafka checks properties against each other. librdkafka's
// threads are not built for ThreadSanitizer and crash under it, so the TSan build checks each
// property alone (the release and ASan builds create the handle).
void ExpectLibrdkafkaAccepts(const Properties& props) {
  auto conf = BuildConf(props);
  ASSERT_TRUE(conf.ok()) << conf.status().ToString();
#if defined(__SANITIZE_THREAD__)
  rd_kafka_conf_destroy(*conf);
#else
  auto handle = NewHandle(RD_KAFKA_CONSUMER, *conf, "kafka consumer");
  EXPECT_TRUE(handle.ok()) << handle.status().ToString();
#endif
}

TEST(ConsumerProperties, ReadAheadIsQueuedInFetchesOfAQuarter) {
  const Properties props = ConsumerProperties(Options(8192));
  EXPECT_EQ(props.at("queued.max.messages.kbytes"), "8192");
  EXPECT_EQ(props.at("fetch.max.bytes"), "2097152");
  ExpectLibrdkafkaAccepts(props);
}

TEST(ConsumerProperties, AFetchHoldsAtLeastOneMebibyteAndOneLargestMessage) {
  EXPECT_EQ(ConsumerProperties(Options(1024)).at("fetch.max.bytes"), "1048576");
  ExpectLibrdkafkaAccepts(ConsumerProperties(Options(1024)));
  const Properties large = ConsumerProperties(Options(8192, {{"message.max.bytes", "5000000"}}));
  EXPECT_EQ(large.at("fetch.max.bytes"), "5000000");
  ExpectLibrdkafkaAccepts(large);
}

TEST(ConsumerProperties, ThePropertiesKeyOverridesTheDerivedSizes) {
  const Properties props = ConsumerProperties(
      Options(8192, {{"fetch.max.bytes", "3000000"}, {"queued.max.messages.kbytes", "65536"}}));
  EXPECT_EQ(props.at("fetch.max.bytes"), "3000000");
  EXPECT_EQ(props.at("queued.max.messages.kbytes"), "65536");
}

}  // namespace
}  // namespace ms::kafka
