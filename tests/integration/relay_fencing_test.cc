// Relay leadership against the real Postgres of the local stack: one instance leads; when the
// leader's session dies (a Postgres restart, a network cut) another takes over with a higher
// epoch after waiting out the old leader's lease, and the old leader can neither mark a row
// nor start another round — so two relays never send at once and a company's rows never go
// backwards.
#include <gtest/gtest.h>

#include <mutex>

#include "adapters/postgres/pg_outbox.h"
#include "app/relay.h"
#include "tests/support/stack_env.h"
#include "tests/unit/fake_time.h"

namespace ms {
namespace {

using namespace std::chrono_literals;

// Takes every row and remembers what it was given.
struct RecordingSink : OutboxSink {
  std::mutex mu;
  std::vector<int64_t> delivered;  // guarded by mu
  std::vector<Status> Deliver(const std::vector<OutboxRow>& rows,
                              std::chrono::milliseconds) override {
    std::lock_guard lock(mu);
    for (const OutboxRow& row : rows) delivered.push_back(row.id);
    return std::vector<Status>(rows.size(), Status::Ok());
  }
  size_t count() {
    std::lock_guard lock(mu);
    return delivered.size();
  }
};

class RelayFencingTest : public test::MigratedDatabaseTest {
 protected:
  RelayFencingTest() : MigratedDatabaseTest("fencing") {}
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (!Ready()) return;
    conn_ = Connect();
    ASSERT_NE(conn_, nullptr);
  }
  void TearDown() override {
    conn_.reset();
    MigratedDatabaseTest::TearDown();
  }

  void InsertRows(const std::string& company, int count) {
    for (int end = rows_ + count; rows_ < end; ++rows_) {
      const int n = rows_;
      auto res = conn_->Exec(
          "WITH e AS (INSERT INTO events (company_id, type, title, severity, fingerprint) "
          "VALUES ($1, 'funding', $2, 'high', $3) RETURNING id) "
          "INSERT INTO outbox (aggregate, event_id, type, payload) "
          "SELECT $1, id, 'event.created', '{}'::jsonb FROM e",
          {company, "Round " + std::to_string(n), "fp" + company + std::to_string(n)});
      ASSERT_TRUE(res.ok()) << res.status().ToString();
    }
  }
  // Advisory locks are per cluster: only this test's database counts (other tests' daemons
  // hold the same key in theirs).
  static constexpr const char* kThisDatabase =
      "database = (SELECT oid FROM pg_database WHERE datname = current_database())";
  // Ends the session holding the relay's advisory lock, as a Postgres restart or a network
  // cut would.
  void KillTheLeadersSession() {
    auto res = conn_->Exec(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND "
        "classid = 0 AND objid = 4242770002 AND granted AND " +
        std::string(kThisDatabase));
    ASSERT_TRUE(res.ok()) << res.status().ToString();
    ASSERT_EQ(res->rows(), 1) << "no session holds the relay lock";
    // pg_terminate_backend signals; the lock goes when the backend has exited.
    ASSERT_TRUE(test::WaitFor(
        [&] {
          return Query(
                     "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND "
                     "classid = 0 AND objid = 4242770002 AND " +
                     std::string(kThisDatabase)) == 0;
        },
        10s));
  }
  int64_t Query(const std::string& sql) { return test::QueryInt(dsn_, sql); }

  std::unique_ptr<pg::Connection> conn_;
  int rows_ = 0;  // rows inserted so far: each gets a fingerprint of its own
};

TEST_F(RelayFencingTest, AKilledLeadersMarksAreRefusedAndItsSuccessorWaitsOutItsLease) {
  InsertRows("acme", 1);
  pg::PgOutbox first(test::PgOptionsFor(dsn_)), second(test::PgOptionsFor(dsn_));
  auto lead = first.TryLead();
  ASSERT_TRUE(lead.ok() && lead->has_value()) << lead.status().ToString();
  const int64_t old_epoch = (*lead)->epoch;
  EXPECT_EQ((*lead)->wait, 0ms) << "no lease to wait for on a fresh database";
  ASSERT_TRUE(first.Renew(old_epoch, 30s).ok());
  auto refused = second.TryLead();
  ASSERT_TRUE(refused.ok());
  EXPECT_FALSE(refused->has_value()) << "two leaders at once";

  KillTheLeadersSession();
  auto taken = second.TryLead();
  ASSERT_TRUE(taken.ok() && taken->has_value()) << taken.status().ToString();
  EXPECT_EQ((*taken)->epoch, old_epoch + 1);
  EXPECT_GT((*taken)->wait, 20s) << "the old leader's lease was not waited out";

  Status renewed = first.Renew(old_epoch, 30s);
  EXPECT_EQ(renewed.code(), StatusCode::kFailedPrecondition) << renewed.ToString();
  auto due = first.Due(10);  // the old leader reconnects and still reads
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ(first.Renew(old_epoch, 30s).code(), StatusCode::kFailedPrecondition);
  auto stale_mark = first.MarkPublished(old_epoch, {due->front().id}, false);
  EXPECT_EQ(stale_mark.status().code(), StatusCode::kFailedPrecondition)
      << stale_mark.status().ToString();
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"), 0);

  auto marked = second.MarkPublished((*taken)->epoch, {due->front().id}, false);
  ASSERT_TRUE(marked.ok()) << marked.status().ToString();
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"), 1);
}

TEST_F(RelayFencingTest, ARelayWhoseSessionDiedSendsNothingMoreAndTheNextOneTakesOver) {
  Config config;
  config.outbox.batch_size = 10;
  pg::PgOutbox first_outbox(test::PgOptionsFor(dsn_)), second_outbox(test::PgOptionsFor(dsn_));
  RecordingSink first_sink, second_sink;
  test::FakeClock clock;
  test::FakeSleeper first_sleeper(&clock), second_sleeper(&clock);
  Metrics first_metrics, second_metrics;
  app::OutboxRelay first(config, &first_outbox, &first_outbox, {&first_sink, nullptr}, 5s, &clock,
                         &first_sleeper, &first_metrics);
  app::OutboxRelay second(config, &second_outbox, &second_outbox, {&second_sink, nullptr}, 5s,
                          &clock, &second_sleeper, &second_metrics);
  ASSERT_TRUE(first.Lead().ok());
  InsertRows("acme", 2);
  ASSERT_TRUE(first.PublishPending().ok());
  EXPECT_EQ(first_sink.count(), 2u);
  EXPECT_EQ(second.Lead().code(), StatusCode::kAborted) << "two leaders at once";

  KillTheLeadersSession();
  InsertRows("acme", 3);
  ASSERT_TRUE(second.Lead().ok());
  ASSERT_EQ(second_sleeper.sleeps().size(), 1u) << "the old leader's lease was not waited out";
  EXPECT_GT(second_sleeper.sleeps()[0], 10s);  // the lease: 5 s of produce wait + 10 s

  Status lost = first.PublishPending();
  EXPECT_EQ(lost.code(), StatusCode::kFailedPrecondition) << lost.ToString();
  EXPECT_FALSE(first.leading());
  EXPECT_EQ(first_sink.count(), 2u) << "a fenced relay sent rows";
  ASSERT_TRUE(second.PublishPending().ok());
  EXPECT_EQ(second_sink.count(), 3u);
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE published_at IS NULL"), 0);
}

}  // namespace
}  // namespace ms
