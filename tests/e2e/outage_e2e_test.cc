// Outage drills that stop a server of the shared stack: they run alone (RUN_SERIAL), since
// every other test would see the outage too. Each drill produces part of its data, breaks a
// server, produces the rest during the outage (so the daemon meets the outage mid-stream,
// however fast it ingests), then brings the server back.
#include <signal.h>

#include <cstdlib>
#include <memory>
#include <set>
#include <thread>

#include "tests/e2e/harness.h"
#include "tests/support/kafka_topic.h"

namespace ms::test {

int Stack(const std::string& verb) {
  return std::system((SourceDir() + "/deploy/local/stack " + verb + " >/dev/null").c_str());
}

namespace {

using namespace std::chrono_literals;

class OutageDrill : public PipelineTest {
 protected:
  // Produces 2,000 of 20,000 messages, stops `server` ("postgres", "redis") of the shared
  // stack, produces the rest during ten seconds without it, starts it again (Redis comes back
  // empty), and checks that every message was stored, batched and committed once, and that the
  // daemon paused, resumed by itself and never left the group.
  void RideOutTenSecondsWithout(const std::string& server, uint64_t seed) {
    auto [before, during] = SplitCsv(Generate(20000, 50, seed), 2000);
    auto daemon = StartDaemon();
    ASSERT_EQ(Ctl({"produce", before}), 0);
    ASSERT_TRUE(WaitFor([&] { return Stored() == 2000; }, 60s)) << "stored=" << Stored() << "\n"
                                                                << daemon->Log();
    ASSERT_EQ(Stack("stop-" + server), 0);
    // Whatever happens below, the shared stack gets its server back.
    bool restarted = false;
    std::shared_ptr<void> restart(nullptr, [&](void*) {
      if (!restarted) Stack("start-" + server);
    });
    const auto stopped = std::chrono::steady_clock::now();
    ASSERT_EQ(Ctl({"produce", during}), 0);
    std::this_thread::sleep_until(stopped + 10s);
    EXPECT_TRUE(daemon->running()) << daemon->Log();
    ASSERT_EQ(Stack("start-" + server), 0);
    restarted = true;
    ASSERT_TRUE(WaitAllBatched(20000, 120s)) << "stored=" << Stored() << "\n" << daemon->Log();
    ExpectEveryMessageInExactlyOneBatch(20000);
    ASSERT_TRUE(WaitFor([&] { return CommittedOffsets() == 20000; }, 60s))
        << "committed=" << CommittedOffsets();
    std::string log = daemon->Log();
    EXPECT_NE(log.find("pausing partitions"), std::string::npos) << log;
    EXPECT_NE(log.find("dependencies back, partitions resumed"), std::string::npos) << log;
    EXPECT_EQ(log.find("revoked"), std::string::npos) << "left the group during the outage";
    daemon->Signal(SIGTERM);
    EXPECT_EQ(daemon->Wait(60s), 0);
  }
};

TEST_F(OutageDrill, PostgresDownForTenSecondsPausesThenResumesWithNothingLost) {
  RideOutTenSecondsWithout("postgres", 51);
}

// Appends fail while upserts behind them still succeed, so batches come back out of the
// worker behind a failed one; Redis returns empty and the buffers are rebuilt from Postgres.
TEST_F(OutageDrill, RedisDownForTenSecondsThenBackEmptyLosesAndDuplicatesNothing) {
  RideOutTenSecondsWithout("redis", 53);
}

class RelayDrill : public PipelineTest {
 protected:
  // Starts the daemon (offline extractor) and waits until it migrated and its relay leads.
  std::unique_ptr<Process> StartRelayingDaemon() {
    overrides_["MILESTONE_LLM_PROVIDER"] = "rules";
    auto daemon = StartDaemon();
    EXPECT_TRUE(WaitFor(
        [&] { return daemon->Log().find("relay: this instance") != std::string::npos; }, 60s))
        << daemon->Log();
    return daemon;
  }

  // `count` events of `company` committed with their outbox rows, as a store transaction
  // does, then the NOTIFY that wakes the relay.
  void InsertOutboxRows(const std::string& company, int count) {
    auto conn = pg::Connection::Open(PgOptionsFor(dsn_));
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    for (int idx = 0; idx < count; ++idx) {
      const std::string n = std::to_string(idx);
      auto res = (*conn)->Exec(
          "WITH e AS (INSERT INTO events (company_id, type, title, severity, fingerprint) "
          "VALUES ($1, 'funding', $2, 'high', $3) RETURNING id) "
          "INSERT INTO outbox (aggregate, event_id, type, payload) "
          "SELECT $1, id, 'event.created', '{}'::jsonb FROM e",
          {company, "Round " + n, "fp" + company + n});
      ASSERT_TRUE(res.ok()) << res.status().ToString();
    }
    ASSERT_TRUE((*conn)->Exec("SELECT pg_notify('milestoned_outbox', $1)", {company}).ok());
  }

  // Invariant 4 on the topic itself: every outbox row's event id arrived on the events topic.
  void ExpectEveryOutboxEventOnTheTopic() {
    auto conn = pg::Connection::Open(PgOptionsFor(dsn_));
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    auto expected = (*conn)->Exec(
        "SELECT e.event_uid FROM outbox o JOIN events e ON e.id = o.event_id ORDER BY o.id");
    ASSERT_TRUE(expected.ok()) << expected.status().ToString();
    auto records = ReadWholeTopic(stack_->brokers, id_ + "-events", 60s);
    ASSERT_TRUE(records.has_value()) << "could not read the events topic";
    std::set<std::string> on_topic;
    for (const TopicRecord& record : *records) on_topic.insert(record.event_id);
    for (int row = 0; row < expected->rows(); ++row) {
      EXPECT_TRUE(on_topic.count(std::string(expected->Get(row, 0))))
          << "event " << expected->Get(row, 0) << " never reached the topic";
    }
    EXPECT_EQ(on_topic.size(), static_cast<size_t>(expected->rows()));
  }
};

TEST_F(RelayDrill, RelayHoldsRowsWhileKafkaIsDownAndPublishesThemAfter) {
  auto daemon = StartRelayingDaemon();
  ASSERT_EQ(Stack("stop-kafka"), 0);
  bool restarted = false;
  std::shared_ptr<void> restart(nullptr, [&](void*) {
    if (!restarted) Stack("start-kafka");
  });
  // Events committed by a store transaction while the broker is away.
  InsertOutboxRows("acme", 20);
  // While the broker is down nothing may be marked published (a timed-out produce is not).
  EXPECT_FALSE(WaitFor(
      [&] { return Query("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL") > 0; }, 8s));
  EXPECT_TRUE(daemon->running());
  ASSERT_EQ(Stack("start-kafka"), 0);
  restarted = true;
  ASSERT_TRUE(WaitFor(
      [&] { return Query("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0; }, 120s))
      << daemon->Log();
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"), 20);
  ExpectEveryOutboxEventOnTheTopic();
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0);
}

// A produce the broker never acknowledges times out (message.timeout.ms lowered to 2 s, and the
// relay's wait follows it): the rows stay unpublished with last_error and a backoff, round
// after round, and go out once Kafka is back.
TEST_F(RelayDrill, TimedOutProduceIsNeverMarkedPublishedAndGoesOutAfterKafkaReturns) {
  overrides_["MILESTONE_KAFKA_PRODUCER_PROPERTIES"] = "message.timeout.ms=2000";
  auto daemon = StartRelayingDaemon();
  ASSERT_EQ(Stack("stop-kafka"), 0);
  bool restarted = false;
  std::shared_ptr<void> restart(nullptr, [&](void*) {
    if (!restarted) Stack("start-kafka");
  });
  InsertOutboxRows("acme", 10);
  InsertOutboxRows("beta", 10);
  // Two timed-out rounds per company (the second after its backoff).
  ASSERT_TRUE(WaitFor(
      [&] {
        return Query(
                   "SELECT count(*) FROM outbox WHERE attempts >= 2 AND last_error IS NOT "
                   "NULL AND next_attempt_at IS NOT NULL") == 2;
      },
      90s))
      << daemon->Log();
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL "
                  "OR kafka_published_at IS NOT NULL"),
            0)
      << "a produce that timed out counted as delivered";
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE last_error IS NULL"), 0);
  EXPECT_NE(daemon->Log().find("relay: "), std::string::npos);
  EXPECT_TRUE(daemon->running());
  ASSERT_EQ(Stack("start-kafka"), 0);
  restarted = true;
  ASSERT_TRUE(WaitFor(
      [&] { return Query("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0; }, 120s))
      << daemon->Log();
  ExpectEveryOutboxEventOnTheTopic();
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0);
}

}  // namespace
}  // namespace ms::test
