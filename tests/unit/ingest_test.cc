// The ingest stage's logic with fakes behind its ports: decode of a poll, identity folding,
// DLQ routing, resumable processing after a dependency failure, partition fencing.
#include <gtest/gtest.h>

#include "ingest_fakes.h"
#include "pipeline/ingest/persister.h"

namespace ms {
namespace {

using std::chrono::milliseconds;
using test::FakeBuffer;
using test::FakeDlq;
using test::FakeStore;

std::string Slack(const std::string& id, const std::string& text) {
  return R"({"type":"message","client_msg_id":")" + id + R"(","text":")" + text +
         R"(","user":"U1","ts":"1762000000.000100","channel":"C1"})";
}

std::string Edit(const std::string& id, const std::string& text) {
  return R"({"type":"event_callback","event":{"type":"message","subtype":"message_changed","channel":"C1","ts":"1762000001.000000","message":{"type":"message","client_msg_id":")" +
         id + R"(","text":")" + text + R"(","user":"U1","ts":"1762000000.000100"}}})";
}

class IngestTest : public ::testing::Test {
 protected:
  IngestBatch Decode(std::vector<std::pair<int64_t, std::string>> values, int32_t partition = 0) {
    storage_ = std::move(values);
    std::vector<RawRecord> records;
    for (const auto& [offset, value] : storage_) {
      records.push_back({"slack-messages", partition, offset, "acme", value, 1000});
    }
    return DecodeBatch(records, DecodeLimits{});
  }
  FakeStore store_;
  FakeBuffer buffer_;
  FakeDlq dlq_;
  Persister persister_{&store_, &buffer_, &dlq_, /*threshold=*/3};
  std::vector<std::pair<int64_t, std::string>> storage_;
};

TEST_F(IngestTest, DecodesFoldsEditsAndRoutesPoisonToTheDlq) {
  IngestBatch batch = Decode({{10, Slack("a", "first")},
                              {11, "not json"},
                              {12, Slack("a", "first")},  // redelivered in the same poll
                              {13, Edit("a", "edited")},
                              {14, Slack("b", "second")}});
  ASSERT_EQ(batch.messages.size(), 2u);
  EXPECT_EQ(batch.messages[0].text, "edited");
  EXPECT_TRUE(batch.messages[0].is_edit);
  EXPECT_EQ(batch.folded, 2u);
  ASSERT_EQ(batch.dead.size(), 1u);
  EXPECT_EQ(batch.dead[0].reason, "invalid_json");
  EXPECT_EQ(batch.dead[0].offset, 11);
  EXPECT_EQ(batch.dead[0].value, "not json");
  EXPECT_EQ((batch.next_offsets[{"slack-messages", 0}]), 15);
}

TEST_F(IngestTest, ProcessIsResumableAndNeverRedoesACompletedStep) {
  IngestBatch batch = Decode({{0, Slack("a", "x")}, {1, "{}"}, {2, Slack("b", "y")}});
  store_.next_error = Unavailable("postgres down");
  auto first = persister_.Persist(batch, milliseconds(0));
  EXPECT_EQ(first.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(dlq_.calls, 1);
  EXPECT_EQ(buffer_.calls, 0);

  buffer_.next_error = Unavailable("redis down");
  auto second = persister_.Persist(batch, milliseconds(0));
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(dlq_.calls, 1) << "dead letters were published again";
  EXPECT_EQ(store_.calls, 2);

  auto third = persister_.Persist(batch, milliseconds(0));
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(store_.calls, 2) << "messages were upserted again after they were durable";
  EXPECT_EQ(buffer_.appended.size(), 2u);
  EXPECT_EQ(dlq_.letters.size(), 1u);
}

TEST_F(IngestTest, ReportsCompaniesThatReachTheThreshold) {
  IngestBatch batch = Decode({{0, Slack("a", "x")}, {1, Slack("b", "y")}, {2, Slack("c", "z")}});
  auto counts = persister_.Persist(batch, milliseconds(0));
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->full_companies, std::vector<std::string>{"acme"});
}

TEST_F(IngestTest, DroppedPartitionsLoseTheirMessagesAndOffsets) {
  IngestBatch batch = Decode({{0, Slack("a", "x")}, {1, "bad"}}, /*partition=*/3);
  std::vector<PartitionKey> gone = {{"slack-messages", 3}};
  DropPartitions(batch, gone);
  EXPECT_TRUE(batch.messages.empty());
  EXPECT_TRUE(batch.dead.empty());
  EXPECT_TRUE(batch.next_offsets.empty());
}

}  // namespace
}  // namespace ms
