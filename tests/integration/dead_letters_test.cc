// The Kafka dead-letter sink against the real broker of the local stack: a dead letter too
// large for the DLQ topic is never refused for its size. A value over the producer's
// message.max.bytes is cut to fit; one the topic still refuses (its max.message.bytes is lower)
// goes out with no value; either way the letter names the original's size and SHA-256.
#include "adapters/kafka/dead_letters.h"

#include <gtest/gtest.h>

#include <random>

#include "adapters/kafka/admin.h"
#include "tests/support/kafka_topic.h"
#include "tests/support/stack_env.h"

namespace ms {
namespace {

using namespace std::chrono_literals;

// Bytes lz4 cannot shrink, so the broker sees the record at its full size.
std::string Incompressible(size_t size) {
  std::mt19937_64 rng(7);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(rng() & 0xFF);
  return bytes;
}

DeadLetter Letter(std::string value) {
  return {"milestoned.chat", 3, 41, "acme", std::move(value), "invalid_json", "not JSON"};
}

TEST(KafkaDeadLetterSink, AValueOverTheProducersLimitIsCutToFitWithTheOriginalsDigest) {
  const std::string huge = Incompressible(1'040'000);
  DeadLetter letter = Letter(huge);
  kafka::OutMessage record = kafka::DeadLetterRecord(letter, "dlq", 1'000'000);
  size_t bytes = record.key.size() + record.value.size();
  std::map<std::string, std::string> headers;
  for (const kafka::Header& h : record.headers) {
    bytes += h.key.size() + h.value.size();
    headers[h.key] = h.value;
  }
  EXPECT_LE(bytes, 1'000'000u);
  EXPECT_GT(record.value.size(), 999'000u);
  EXPECT_EQ(record.value, huge.substr(0, record.value.size()));
  EXPECT_EQ(headers["x-milestoned-original-size"], "1040000");
  EXPECT_EQ(headers["x-milestoned-original-sha256"], kafka::Sha256Hex(huge));
  EXPECT_EQ(headers["x-milestoned-value-cut"],
            std::to_string(record.value.size()) + " of 1040000 bytes");
  EXPECT_EQ(headers["x-milestoned-source-offset"], "41");

  kafka::OutMessage small = kafka::DeadLetterRecord(Letter("{oops"), "dlq", 1'000'000);
  EXPECT_EQ(small.value, "{oops") << "a letter that fits is sent whole";
  EXPECT_EQ(small.headers.size(), 5u);
}

TEST(KafkaDeadLetterSink, ALetterTheTopicRefusesAsTooLargeGoesOutWithoutItsValue) {
  MS_REQUIRE_STACK(env);
  const std::string topic = test::UniqueName("small_dlq");
  ASSERT_TRUE(
      kafka::EnsureTopics(env.brokers, {}, {{topic, 1, 1, {{"max.message.bytes", "20000"}}}}, 30s)
          .ok());
  kafka::ProducerOptions options;
  options.brokers = env.brokers;
  auto producer = kafka::Producer::Open(options);
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  kafka::KafkaDeadLetterSink sink(producer->get(), topic);
  const std::string big = Incompressible(500'000);
  std::vector<DeadLetter> letters = {Letter(big), Letter("{small")};
  Status published = sink.Publish(letters);
  ASSERT_TRUE(published.ok()) << published.ToString();

  auto records = test::ReadWholeTopic(env.brokers, topic, 60s);
  ASSERT_TRUE(records.has_value());
  ASSERT_EQ(records->size(), 2u);
  const test::TopicRecord& cut = records->at(0).value.empty() ? records->at(0) : records->at(1);
  const test::TopicRecord& whole = &cut == &records->at(0) ? records->at(1) : records->at(0);
  EXPECT_EQ(cut.value, "");
  EXPECT_EQ(cut.headers.at("x-milestoned-value-cut"), "0 of 500000 bytes");
  EXPECT_EQ(cut.headers.at("x-milestoned-original-sha256"), kafka::Sha256Hex(big));
  EXPECT_EQ(cut.headers.at("x-milestoned-reason"), "invalid_json");
  EXPECT_EQ(whole.value, "{small");
}

}  // namespace
}  // namespace ms
