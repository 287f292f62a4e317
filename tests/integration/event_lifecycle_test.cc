// The event lifecycle against the real Postgres of the local stack (design §3): an open event
// not sighted for events.stale_after becomes `stale`, with a state_changed history row and an
// `event.stale` outbox row; a recent one stays open. The transition is the stale sweep's
// (app/stale_sweep.h), which needs no relay; two sweeps at once record it once.
#include "adapters/postgres/event_lifecycle.h"

#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/postgres/event_sql.h"
#include "app/stale_sweep.h"
#include "config/config.h"
#include "tests/support/stack_env.h"

namespace ms {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// One statement each: parameterized Exec runs a single command.
constexpr const char* kSeedSql[] = {
    R"sql(INSERT INTO events (id, company_id, type, title, severity, fingerprint, last_seen, state)
          VALUES (1, 'acme', 'funding', 'Seed round', 'high', 'fp1', now() - interval '31 days',
                  'open'),
                 (2, 'acme', 'hiring', 'New CTO', 'medium', 'fp2', now() - interval '1 day',
                  'open'),
                 (3, 'acme', 'partnership', 'AWS', 'medium', 'fp3', now() - interval '90 days',
                  'closed'),
                 (4, 'acme', 'compliance', 'SOC 2', 'high', 'fp4', now() - interval '60 days',
                  'stale'))sql",
};

class EventLifecycleTest : public test::MigratedDatabaseTest {
 protected:
  EventLifecycleTest() : MigratedDatabaseTest("lifecycle") {}
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (!Ready()) return;
    conn_ = Connect();
    ASSERT_NE(conn_, nullptr);
    for (const char* statement : kSeedSql) {
      auto result = conn_->Exec(statement);
      ASSERT_TRUE(result.ok()) << result.status().ToString();
    }
  }
  void TearDown() override {
    conn_.reset();
    MigratedDatabaseTest::TearDown();
  }

  std::string State(int64_t id) {
    auto res = conn_->Exec("SELECT state FROM events WHERE id = $1::bigint", {std::to_string(id)});
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    return res.ok() && res->rows() == 1 ? std::string(res->Get(0, 0)) : "";
  }

  Status Maintain() {
    Config config;  // events.stale_after: the default 720h (30 days)
    auto pool = pg::Pool::Open(test::PgOptionsFor(dsn_));
    if (!pool.ok()) return pool.status();
    pg::PgEventLifecycle events(pool->get());
    InterruptibleSleeper sleeper;
    app::StaleSweep sweep(&events, config.events.stale_after, &sleeper);
    return sweep.SweepOnce().status();
  }

  std::unique_ptr<pg::Connection> conn_;
};

TEST_F(EventLifecycleTest, OnlyTheEventUnseenPastStaleAfterBecomesStale) {
  ASSERT_EQ(Config().events.stale_after, std::chrono::hours(720));
  Status maintained = Maintain();
  ASSERT_TRUE(maintained.ok()) << maintained.ToString();
  EXPECT_EQ(State(1), "stale") << "last seen 31 days ago";
  EXPECT_EQ(State(2), "open") << "last seen yesterday";
  EXPECT_EQ(State(3), "closed") << "closed events are left alone";
  EXPECT_EQ(State(4), "stale");

  auto history = conn_->Exec("SELECT event_id, kind, diff::text FROM event_history ORDER BY id");
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  ASSERT_EQ(history->rows(), 1) << "one transition, recorded once";
  EXPECT_EQ(history->GetInt(0, 0), 1);
  EXPECT_EQ(history->Get(0, 1), "state_changed");
  EXPECT_EQ(json::parse(history->Get(0, 2)), json::parse(R"({"state": ["open", "stale"]})"));

  auto outbox = conn_->Exec("SELECT event_id, aggregate, type, payload::text FROM outbox");
  ASSERT_TRUE(outbox.ok()) << outbox.status().ToString();
  ASSERT_EQ(outbox->rows(), 1) << "consumers are told of the transition once";
  EXPECT_EQ(outbox->GetInt(0, 0), 1);
  EXPECT_EQ(outbox->Get(0, 1), "acme");
  EXPECT_EQ(outbox->Get(0, 2), "event.stale");
  json payload = json::parse(outbox->Get(0, 3));
  EXPECT_EQ(payload["state"], "stale");
  EXPECT_EQ(payload["change"], "event.stale");
  EXPECT_EQ(payload["title"], "Seed round");
  EXPECT_TRUE(payload["batch_id"].is_null());
}

TEST_F(EventLifecycleTest, ARepeatedRoundChangesNothing) {
  ASSERT_TRUE(Maintain().ok());
  ASSERT_TRUE(Maintain().ok());
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM event_history"), 1);
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM outbox"), 1);
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM events WHERE state = 'stale'"), 2);
}

TEST_F(EventLifecycleTest, TheSweepRunsAtOnceOnItsOwnThread) {
  auto pool = pg::Pool::Open(test::PgOptionsFor(dsn_));
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  pg::PgEventLifecycle events(pool->get());
  InterruptibleSleeper sleeper;
  app::StaleSweep sweep(&events, Config().events.stale_after, &sleeper);
  std::atomic<bool> stop{false};
  std::thread runner([&] { sweep.Run(stop); });
  bool staled = test::WaitFor([&] { return State(1) == "stale"; }, std::chrono::seconds(20));
  stop = true;
  sleeper.Interrupt();
  runner.join();
  EXPECT_TRUE(staled) << "the sweep's first round should have run the stale lifecycle";
  EXPECT_EQ(State(2), "open");
  EXPECT_EQ(sweep.staled(), 1);
}

// Two instances sweeping at once: the second statement waits on the first one's row lock, then
// finds the event stale already and records nothing for it.
TEST_F(EventLifecycleTest, ConcurrentSweepsRecordTheTransitionOnce) {
  auto first = Connect();
  ASSERT_NE(first, nullptr);
  ASSERT_TRUE(first->Exec("BEGIN").ok());
  auto in_first = pg::MarkStaleEvents(*first, Config().events.stale_after);
  ASSERT_TRUE(in_first.ok()) << in_first.status().ToString();
  EXPECT_EQ(*in_first, 1);
  StatusOr<int64_t> in_second = int64_t{-1};
  std::thread second([&] {
    auto conn = Connect();
    ASSERT_NE(conn, nullptr);
    ASSERT_TRUE(conn->Exec("SET application_name = 'second_sweep'").ok());
    in_second = pg::MarkStaleEvents(*conn, Config().events.stale_after);
  });
  bool waiting = test::WaitFor(
      [&] {
        return test::QueryInt(dsn_,
                              "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                              "'second_sweep' AND wait_event_type = 'Lock'") == 1;
      },
      std::chrono::seconds(20));
  ASSERT_TRUE(first->Exec("COMMIT").ok());
  second.join();
  EXPECT_TRUE(waiting) << "the second sweep should have waited for the first one's row lock";
  ASSERT_TRUE(in_second.ok()) << in_second.status().ToString();
  EXPECT_EQ(*in_second, 0);
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM event_history"), 1);
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM outbox"), 1);
}

}  // namespace
}  // namespace ms
