// PgMessageStore::Upsert against the real Postgres of the local stack: rows travel through COPY
// into a session-local staging table, so text with COPY's special characters must come back
// byte for byte, redelivery must be idempotent, an edit must replace the text, and a
// reconnected session (its temporary table gone) must still work.
#include "adapters/postgres/message_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "tests/support/stack_env.h"

namespace ms {
namespace {

Message Msg(std::string id, std::string text) {
  Message m;
  m.company_id = "acme";
  m.source = Source::kSlack;
  m.source_msg_id = std::move(id);
  m.sender = "ana";
  m.text = std::move(text);
  m.sent_at_ms = 1700000000123;
  m.position = {"slack-messages", 3, 42};
  return m;
}

class MessageStoreTest : public test::MigratedDatabaseTest {
 protected:
  MessageStoreTest() : MigratedDatabaseTest("msgstore") {}
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (!Ready()) return;
    pool_ = OpenPool(/*pool_size=*/1);  // every call on the same session
    ASSERT_NE(pool_, nullptr);
    store_ = std::make_unique<pg::PgMessageStore>(pool_.get());
  }
  void TearDown() override {
    store_.reset();
    pool_.reset();
    MigratedDatabaseTest::TearDown();
  }

  std::string TextOf(const std::string& id) {
    auto lease = pool_->Acquire();
    EXPECT_TRUE(lease.ok());
    auto res = (*lease)->Exec("SELECT text FROM messages WHERE source_msg_id = $1", {id});
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    return res.ok() && res->rows() == 1 ? std::string(res->Get(0, 0)) : "<missing>";
  }

  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<pg::PgMessageStore> store_;
};

TEST_F(MessageStoreTest, CopySpecialCharactersRoundTripByteForByte) {
  const std::vector<std::string> texts = {"tab\there",
                                          "line\nbreak",
                                          "carriage\r\nreturn",
                                          "back\\slash \\N \\t",
                                          "quotes \"'{}\",",
                                          "ünïcødé — ✓",
                                          "",
                                          std::string(70000, 'x'),
                                          "\\.\nend of copy?\\"};
  std::vector<Message> msgs;
  for (size_t idx = 0; idx < texts.size(); ++idx) {
    msgs.push_back(Msg("m" + std::to_string(idx), texts[idx]));
  }
  msgs[1].sender = "tab\tsender";
  msgs[2].subject = "Re: \\subject\n";
  auto refs = store_->Upsert(msgs);
  ASSERT_TRUE(refs.ok()) << refs.status().ToString();
  ASSERT_EQ(refs->size(), msgs.size());
  for (size_t idx = 0; idx < texts.size(); ++idx) {
    EXPECT_EQ(TextOf("m" + std::to_string(idx)), texts[idx]) << "message " << idx;
  }
  EXPECT_EQ(test::QueryInt(dsn_,
                           "SELECT count(*) FROM messages WHERE sender = E'tab\\tsender' "
                           "AND kafka_partition = 3 AND kafka_offset = 42"),
            1);
  EXPECT_EQ(test::QueryInt(dsn_,
                           "SELECT count(*) FROM messages WHERE subject = E'Re: "
                           "\\\\subject\\n' AND sent_at = to_timestamp(1700000000.123)"),
            1);
}

TEST_F(MessageStoreTest, RedeliveryIsIdempotentAndAnEditReplacesTheText) {
  auto first = store_->Upsert(std::vector<Message>{Msg("a", "v1"), Msg("b", "hello")});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->size(), 2u);
  EXPECT_TRUE((*first)[0].pending);

  Message edit = Msg("a", "v2");
  edit.is_edit = true;
  Message again = Msg("b", "redelivered text is ignored");
  auto second = store_->Upsert(std::vector<Message>{edit, again});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_EQ(second->size(), 2u);
  std::vector<int64_t> ids1 = {(*first)[0].id, (*first)[1].id};
  std::vector<int64_t> ids2 = {(*second)[0].id, (*second)[1].id};
  std::sort(ids1.begin(), ids1.end());
  std::sort(ids2.begin(), ids2.end());
  EXPECT_EQ(ids1, ids2);  // same identities, no new rows
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM messages"), 2);
  EXPECT_EQ(TextOf("a"), "v2");
  EXPECT_EQ(TextOf("b"), "hello");

  // A message already in a batch comes back as not pending.
  const int64_t b_id = test::QueryInt(dsn_, "SELECT id FROM messages WHERE source_msg_id = 'b'");
  auto batch = store_->RecordClaim({"c-b", "acme", {b_id}, "manual"});
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->message_count, 1);
  auto third = store_->Upsert(std::vector<Message>{Msg("b", "hello")});
  ASSERT_TRUE(third.ok());
  ASSERT_EQ(third->size(), 1u);
  EXPECT_FALSE((*third)[0].pending);
  EXPECT_EQ(test::QueryInt(
                dsn_, "SELECT count(*) FROM pending_messages WHERE id = " + std::to_string(b_id)),
            0)
      << "a redelivered message was made pending again after its batch took it";
  // The staging table is emptied at every commit: nothing leaks into the next call.
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM messages"), 2);
}

TEST_F(MessageStoreTest, ASessionKilledUnderneathIsReconnectedAndItsStagingTableRecreated) {
  ASSERT_TRUE(store_->Upsert(std::vector<Message>{Msg("a", "one")}).ok());
  // Kill the pool's only backend from another session, as a Postgres restart would.
  ASSERT_EQ(test::QueryInt(dsn_,
                           "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()"),
            1);
  // The first call may still see the dead session (Unavailable); the pool then reconnects.
  Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    last = store_->Upsert(std::vector<Message>{Msg("b", "two")}).status();
    if (last.ok()) break;
    EXPECT_EQ(last.code(), StatusCode::kUnavailable) << last.ToString();
  }
  ASSERT_TRUE(last.ok()) << last.ToString();
  EXPECT_EQ(TextOf("b"), "two");
}

TEST_F(MessageStoreTest, AStatementIsPreparedOncePerSessionAndAgainAfterAReconnect) {
  const std::string sql = "SELECT $1::int + 1";
  auto prepared_here = [](pg::Connection& conn) {
    auto res = conn.Exec("SELECT count(*) FROM pg_prepared_statements WHERE statement = $1",
                         {std::string("SELECT $1::int + 1")});
    return res.ok() ? res->GetInt(0, 0) : -1;
  };
  {
    auto lease = pool_->Acquire();
    ASSERT_TRUE(lease.ok());
    for (const char* value : {"1", "41"}) {
      auto res = (*lease)->ExecPrepared(sql, {std::string(value)});
      ASSERT_TRUE(res.ok()) << res.status().ToString();
      EXPECT_EQ(res->GetInt(0, 0), std::atoi(value) + 1);
    }
    EXPECT_EQ(prepared_here(**lease), 1) << "prepared once for both calls";
  }
  ASSERT_EQ(test::QueryInt(dsn_,
                           "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()"),
            1);
  // The new session has no prepared statements: the first call after the reconnect prepares.
  StatusOr<pg::Result> again = Unavailable("not run");
  for (int attempt = 0; attempt < 2 && !again.ok(); ++attempt) {
    auto lease = pool_->Acquire();
    if (!lease.ok()) continue;
    again = (*lease)->ExecPrepared(sql, {std::string("2")});
    if (again.ok()) {
      EXPECT_EQ(again->GetInt(0, 0), 3);
      EXPECT_EQ(prepared_here(**lease), 1);
    }
  }
  ASSERT_TRUE(again.ok()) << again.status().ToString();
}

TEST_F(MessageStoreTest, PendingPagesThroughUnbatchedMessagesInIdOrder) {
  std::vector<Message> msgs;
  for (int idx = 0; idx < 5; ++idx) msgs.push_back(Msg("p" + std::to_string(idx), "text"));
  auto refs = store_->Upsert(msgs);
  ASSERT_TRUE(refs.ok()) << refs.status().ToString();
  const int64_t p1 = test::QueryInt(dsn_, "SELECT id FROM messages WHERE source_msg_id = 'p1'");
  auto batch = store_->RecordClaim({"c-pending", "acme", {p1}, "manual"});
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->message_count, 1);
  std::vector<int64_t> seen;
  std::vector<size_t> pages;
  int64_t after = 0;
  for (;;) {
    auto page = store_->Pending(std::chrono::milliseconds(0), after, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    pages.push_back(page->size());
    if (page->empty()) break;
    for (const MessageRef& ref : *page) seen.push_back(ref.id);
    after = page->back().id;
  }
  EXPECT_EQ(pages, (std::vector<size_t>{2, 2, 0}));
  const int64_t batched =
      test::QueryInt(dsn_, "SELECT id FROM messages WHERE source_msg_id = 'p1'");
  std::vector<int64_t> expected;
  for (const MessageRef& ref : *refs) {
    if (ref.id != batched) expected.push_back(ref.id);
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(seen, expected) << "the batched message is left out; the rest in id order";
  auto young = store_->Pending(std::chrono::hours(1), 0, 10);
  ASSERT_TRUE(young.ok());
  EXPECT_TRUE(young->empty()) << "messages stored less than min_age ago are not offered";
}

TEST_F(MessageStoreTest, AClaimTakesOnlyPendingMessagesOfItsCompanyAndIsRecordedOnce) {
  std::vector<Message> msgs;
  for (int idx = 0; idx < 4; ++idx) msgs.push_back(Msg("k" + std::to_string(idx), "text"));
  Message other = Msg("k9", "text");
  other.company_id = "globex";
  msgs.push_back(other);
  auto refs = store_->Upsert(msgs);
  ASSERT_TRUE(refs.ok()) << refs.status().ToString();
  std::vector<int64_t> acme, all;
  for (const MessageRef& ref : *refs) {
    all.push_back(ref.id);
    if (ref.company_id == "acme") acme.push_back(ref.id);
  }
  std::sort(acme.begin(), acme.end());
  auto first = store_->RecordClaim({"c-1", "acme", {acme[2], acme[0]}, "threshold"});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->message_count, 2);
  auto again = store_->RecordClaim({"c-1", "acme", {acme[2], acme[0]}, "threshold"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->batch_id, first->batch_id) << "a claim recorded twice is one batch";
  EXPECT_EQ(again->message_count, 2);
  // Every id offered, batched or not, of either company: only acme's two still pending go in.
  auto second = store_->RecordClaim({"c-2", "acme", all, "max_age"});
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->message_count, 2);
  auto none = store_->RecordClaim({"c-3", "acme", acme, "max_age"});
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->batch_id, 0) << "no pending message left: no batch";
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM batches"), 2);
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT CASE WHEN array_to_string(message_ids, ',') = '" +
                                     std::to_string(acme[0]) + "," + std::to_string(acme[2]) +
                                     "' THEN 1 ELSE 0 END FROM batches WHERE claim_id = 'c-1'"),
            1)
      << "membership is kept in id order";
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM pending_messages"), 1) << "globex's";
}

}  // namespace
}  // namespace ms
