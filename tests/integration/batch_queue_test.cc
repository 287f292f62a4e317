// The Postgres batch queue's attempt outcomes against the real Postgres of the local stack: a
// batch handed back waits for its retry_at before Take() offers it again, giving the attempt back
// when asked; failed and handed-back attempts add their tokens, calls, cost and prefilter drops
// to the batch row; a stored batch adds its own.
#include "adapters/postgres/batch_queue.h"

#include <gtest/gtest.h>

#include "tests/support/stack_env.h"

namespace ms {
namespace {

using std::chrono::milliseconds;

ExtractionResult Spent(int64_t prompt_tokens, int calls) {
  ExtractionResult spent;
  spent.provider = "openai";
  spent.model = "gpt-4o-mini-2024-07-18";
  spent.usage = {prompt_tokens, prompt_tokens / 10};
  spent.llm_calls = calls;
  spent.dropped_by_prefilter = 3;
  spent.rejected_events = 1;
  return spent;
}

class BatchQueueTest : public test::MigratedDatabaseTest {
 protected:
  BatchQueueTest() : MigratedDatabaseTest("bqueue") {}
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (!Ready()) return;
    pool_ = OpenPool();
    ASSERT_NE(pool_, nullptr);
    queue_ = std::make_unique<pg::PgBatchQueue>(pool_.get());
    Sql("INSERT INTO batches (id, company_id, claim_id, message_count, trigger) "
        "VALUES (1, 'acme', 'claim-1', 0, 'threshold')");
  }
  void TearDown() override {
    queue_.reset();
    pool_.reset();
    MigratedDatabaseTest::TearDown();
  }

  void Sql(const std::string& sql) {
    auto conn = Connect();
    ASSERT_NE(conn, nullptr);
    auto res = conn->Exec(sql);
    ASSERT_TRUE(res.ok()) << res.status().ToString();
  }
  int64_t Int(const std::string& sql) { return test::QueryInt(dsn_, sql); }

  std::unique_ptr<BatchTicket> Take() {
    auto ticket = queue_->Take();
    EXPECT_TRUE(ticket.ok()) << ticket.status().ToString();
    return ticket.ok() ? std::move(ticket).value() : nullptr;
  }

  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<pg::PgBatchQueue> queue_;
};

TEST_F(BatchQueueTest, AHandedBackBatchWaitsForItsRetryTime) {
  std::unique_ptr<BatchTicket> ticket = Take();
  ASSERT_NE(ticket, nullptr);
  EXPECT_EQ(ticket->attempts(), 1);
  ASSERT_TRUE(ticket
                  ->HandBack("UNAVAILABLE: openai: HTTP 503", Spent(1000, 5), {0.25},
                             milliseconds(60'000), /*count_attempt=*/true)
                  .ok());
  ticket.reset();  // releases the batch's lock
  EXPECT_EQ(Take(), nullptr) << "taken again before its retry_at";
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND status = 'claimed' AND "
                "retry_at > now() + interval '50 seconds' AND last_error LIKE '%HTTP 503%'"),
            1);

  Sql("UPDATE batches SET retry_at = now() - interval '1 second'");  // the wait is over
  ticket = Take();
  ASSERT_NE(ticket, nullptr);
  EXPECT_EQ(ticket->attempts(), 2) << "the handed-back attempt counts";
}

TEST_F(BatchQueueTest, AnUncountedHandBackGivesTheAttemptBack) {
  std::unique_ptr<BatchTicket> ticket = Take();
  ASSERT_NE(ticket, nullptr);
  ASSERT_TRUE(ticket
                  ->HandBack("CANCELLED: interrupted", Spent(0, 0), {0}, milliseconds(0),
                             /*count_attempt=*/false)
                  .ok());
  ticket.reset();
  ticket = Take();
  ASSERT_NE(ticket, nullptr) << "a zero wait is taken at once";
  EXPECT_EQ(ticket->attempts(), 1);
}

TEST_F(BatchQueueTest, EveryAttemptAddsItsSpendingToTheBatch) {
  std::unique_ptr<BatchTicket> ticket = Take();
  ASSERT_NE(ticket, nullptr);
  ASSERT_TRUE(ticket->HandBack("UNAVAILABLE", Spent(1000, 5), {0.25}, milliseconds(0), true).ok());
  ticket.reset();
  ticket = Take();
  ASSERT_NE(ticket, nullptr);
  ASSERT_TRUE(ticket->Fail("FAILED_PRECONDITION: HTTP 401", Spent(500, 1), {0.125}).ok());
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND status = 'failed' AND "
                "retry_at IS NULL AND last_error LIKE '%401%' AND provider = 'openai' AND "
                "model = 'gpt-4o-mini-2024-07-18'"),
            1);
  EXPECT_EQ(Int("SELECT prompt_tokens FROM batches WHERE id = 1"), 1500);
  EXPECT_EQ(Int("SELECT completion_tokens FROM batches WHERE id = 1"), 150);
  EXPECT_EQ(Int("SELECT llm_calls FROM batches WHERE id = 1"), 6);
  EXPECT_EQ(Int("SELECT dropped_messages FROM batches WHERE id = 1"), 6);
  EXPECT_EQ(Int("SELECT rejected_events FROM batches WHERE id = 1"), 2);
  EXPECT_EQ(Int("SELECT (cost_usd * 1000)::bigint FROM batches WHERE id = 1"), 375);
  ticket.reset();
  EXPECT_EQ(Take(), nullptr) << "a failed batch waits for an operator";

  // An operator's retry (milestonectl batches retry) and a successful attempt: the store adds
  // its spending to what the failed attempts cost.
  Sql("UPDATE batches SET status = 'claimed' WHERE id = 1");
  ticket = Take();
  ASSERT_NE(ticket, nullptr);
  auto stored = ticket->Store(Spent(100, 1), {}, {0.5});
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(Int("SELECT llm_calls FROM batches WHERE id = 1 AND status = 'done'"), 7);
  EXPECT_EQ(Int("SELECT prompt_tokens FROM batches WHERE id = 1"), 1600);
  EXPECT_EQ(Int("SELECT (cost_usd * 1000)::bigint FROM batches WHERE id = 1"), 875);
}

}  // namespace
}  // namespace ms
