// Outage drills that stop a server of the shared stack: they run alone (RUN_SERIAL), since
// every other test would see the outage too. Each drill produces part of its data, breaks a
// server, produces the rest during the outage (so the daemon meets the outage mid-stream,
// however fast it ingests), then brings the server back.
#include <signal.h>

#include <cstdlib>
#include <memory>
#include <thread>

#include "tests/e2e/harness.h"

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
    ASSERT_TRUE(WaitFor([&] { return Stored() == 2000; }, 60s)) << daemon->Log();
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

TEST_F(PipelineTest, RelayHoldsRowsWhileKafkaIsDownAndPublishesThemAfter) {
  overrides_["MILESTONE_LLM_PROVIDER"] = "rules";
  auto daemon = StartDaemon();
  // Wait until the daemon migrated and its relay took the lead.
  ASSERT_TRUE(
      WaitFor([&] { return daemon->Log().find("relay: this instance") != std::string::npos; }, 60s))
      << daemon->Log();
  ASSERT_EQ(Stack("stop-kafka"), 0);
  bool restarted = false;
  std::shared_ptr<void> restart(nullptr, [&](void*) {
    if (!restarted) Stack("start-kafka");
  });
  // Events committed by a store transaction while the broker is away.
  for (int idx = 0; idx < 20; ++idx) {
    std::string n = std::to_string(idx);
    ASSERT_EQ(
        Query("WITH e AS (INSERT INTO events (company_id, type, title, severity, fingerprint) "
              "VALUES ('acme', 'funding', 'Round " +
              n + "', 'high', 'fp" + n +
              "') RETURNING id) INSERT INTO outbox (aggregate, event_id, type, payload) "
              "SELECT 'acme', id, 'event.created', '{}'::jsonb FROM e RETURNING 1"),
        1);
  }
  ASSERT_EQ(Query("SELECT count(*) FROM (SELECT pg_notify('milestoned_outbox', 'acme')) n"), 1);
  // While the broker is down nothing may be marked published (a timed-out produce is not).
  EXPECT_FALSE(WaitFor(
      [&] {
        return Query(
                   "SELECT count(*) FROM outbox WHERE published_at IS NOT "
                   "NULL") > 0;
      },
      8s));
  EXPECT_TRUE(daemon->running());
  ASSERT_EQ(Stack("start-kafka"), 0);
  restarted = true;
  ASSERT_TRUE(WaitFor(
      [&] { return Query("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0; }, 120s))
      << daemon->Log();
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"), 20);
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0);
}

}  // namespace
}  // namespace ms::test
