#include <set>
// First contact with the real servers of the local stack: Kafka round trip, migrations applied
// twice and one applied to data in the old layout, a Lua script on Redis (including reload after
// the script cache is flushed).
#include <gtest/gtest.h>
#include <libpq-fe.h>

#include "adapters/kafka/admin.h"
#include "adapters/kafka/consumer.h"
#include "adapters/kafka/producer.h"
#include "adapters/postgres/migrations.h"
#include "tests/support/stack_env.h"

namespace ms {
namespace {

using namespace std::chrono_literals;

TEST(KafkaSmoke, ProducesAndConsumesThroughARealBroker) {
  MS_REQUIRE_STACK(env);
  std::string topic = test::UniqueName("smoke");
  ASSERT_TRUE(kafka::EnsureTopics(env.brokers, {}, {{topic, 2}}, 30s).ok());

  kafka::ProducerOptions popts;
  popts.brokers = env.brokers;
  auto producer = kafka::Producer::Open(popts);
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  std::vector<kafka::OutMessage> out;
  for (int idx = 0; idx < 20; ++idx) {
    out.push_back({topic,
                   "company-" + std::to_string(idx % 3),
                   "value-" + std::to_string(idx),
                   {{"x-test", "yes"}}});
  }
  for (const Status& st : (*producer)->ProduceAndWait(out, 30s))
    ASSERT_TRUE(st.ok()) << st.ToString();

  kafka::ConsumerOptions copts;
  copts.brokers = env.brokers;
  copts.group_id = test::UniqueName("group");
  copts.topics = {topic};
  auto consumer = kafka::Consumer::Open(copts, nullptr);
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  std::set<std::string> values;
  ASSERT_TRUE(test::WaitFor(
      [&] {
        auto batch = (*consumer)->Poll(100, 200ms);
        if (!batch.ok()) return false;
        for (auto& msg : *batch) {
          values.insert(std::string(kafka::ValueOf(msg.get())));
          EXPECT_EQ(kafka::HeadersOf(msg.get()).at(0).value, "yes");
          EXPECT_TRUE((*consumer)->StoreOffset({topic, msg->partition}, msg->offset + 1).ok());
        }
        return values.size() == 20;
      },
      60s));
  EXPECT_TRUE((*consumer)->CommitSync().ok());
  auto lags = (*consumer)->Lags(10s);
  ASSERT_TRUE(lags.ok());
  int64_t committed = 0;
  for (const auto& lag : *lags) committed += std::max<int64_t>(0, lag.committed);  // -1001: none
  EXPECT_EQ(committed, 20);  // offsets stored as last + 1, all committed
  EXPECT_TRUE((*consumer)->Close().ok());
}

TEST(PostgresSmoke, MigrationsApplyOnceThenAreANoOp) {
  MS_REQUIRE_STACK(env);
  std::string db = test::UniqueName("smoke");
  std::string dsn = test::CreateDatabase(env, db);
  {
    auto conn = pg::Connection::Open(test::PgOptionsFor(dsn));
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    auto first = pg::Migrate(**conn);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    EXPECT_EQ(first->applied.size(), pg::AllMigrations().size());
    EXPECT_EQ(first->current_version, pg::AllMigrations().back().version);
    auto second = pg::Migrate(**conn);
    ASSERT_TRUE(second.ok()) << second.status().ToString();
    EXPECT_TRUE(second->applied.empty());
    EXPECT_EQ(second->current_version, first->current_version);
    auto tables = (*conn)->Exec(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ANY($1::text[])",
        {"{messages,batches,events,event_history,outbox,schema_migrations}"});
    ASSERT_TRUE(tables.ok());
    EXPECT_EQ(tables->GetInt(0, 0), 6);
    // An applied migration never changes: these are the checksums deployed databases hold,
    // and Migrate refuses to start against a database whose checksum differs.
    auto sums = (*conn)->Exec("SELECT version, checksum FROM schema_migrations ORDER BY version");
    ASSERT_TRUE(sums.ok());
    ASSERT_GE(sums->rows(), 2);
    EXPECT_EQ(sums->Get(0, 1), "ef4c6928328d594f") << "migration 1 was edited";
    EXPECT_EQ(sums->Get(1, 1), "040e486ce7e59a24") << "migration 2 was edited";
  }
  test::DropDatabase(env, db);
}

// Migration 11 on a database holding messages in the old layout (messages.batch_id): every
// unbatched message becomes pending, every batch gets its members in id order, none is lost.
TEST(PostgresSmoke, BatchMembershipMovesOutOfTheMessageRows) {
  MS_REQUIRE_STACK(env);
  std::string db = test::UniqueName("members");
  std::string dsn = test::CreateDatabase(env, db);
  {
    auto conn = pg::Connection::Open(test::PgOptionsFor(dsn));
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    auto script = [&](std::string_view sql) {
      PGresult* res = PQexec((*conn)->raw(), std::string(sql).c_str());
      const bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
      EXPECT_TRUE(ok) << PQresultErrorMessage(res);
      PQclear(res);
      return ok;
    };
    const pg::Migration* eleven = nullptr;
    for (const pg::Migration& m : pg::AllMigrations()) {
      if (m.version < 11) {
        ASSERT_TRUE(script(m.sql)) << "migration " << m.version;
      }
      if (m.version == 11) eleven = &m;
    }
    ASSERT_NE(eleven, nullptr);
    ASSERT_TRUE(script(
        "INSERT INTO batches (id, company_id, claim_id, message_count, trigger) VALUES "
        "(1, 'acme', 'c1', 2, 'threshold'), (2, 'acme', 'c2', 1, 'max_age');"
        "INSERT INTO messages (id, company_id, source, source_msg_id, text, batch_id) VALUES "
        "(10, 'acme', 'slack', 'a', 'x', 1), (11, 'acme', 'slack', 'b', 'x', 2), "
        "(12, 'acme', 'gmail', 'c', 'x', 1), (13, 'acme', 'slack', 'd', 'x', NULL), "
        "(14, 'globex', 'gmail', 'e', 'x', NULL);"));
    ASSERT_TRUE(script("BEGIN"));
    ASSERT_TRUE(script(eleven->sql));
    ASSERT_TRUE(script("COMMIT"));
  }
  EXPECT_EQ(test::QueryInt(dsn,
                           "SELECT count(*) FROM pending_messages WHERE (id, company_id, "
                           "source) IN ((13, 'acme', 'slack'), (14, 'globex', 'gmail'))"),
            2);
  EXPECT_EQ(test::QueryInt(dsn, "SELECT count(*) FROM pending_messages"), 2);
  EXPECT_EQ(test::QueryInt(dsn,
                           "SELECT count(*) FROM batches WHERE (id = 1 AND message_ids = "
                           "'{10,12}') OR (id = 2 AND message_ids = '{11}')"),
            2);
  EXPECT_EQ(test::QueryInt(dsn,
                           "SELECT count(*) FROM information_schema.columns WHERE "
                           "table_name = 'messages' AND column_name = 'batch_id'"),
            0);
  test::DropDatabase(env, db);
}

TEST(PostgresSmoke, ParametersAreNeverSplicedIntoSql) {
  MS_REQUIRE_STACK(env);
  auto conn = pg::Connection::Open(test::PgOptionsFor(env.pg_dsn));
  ASSERT_TRUE(conn.ok());
  std::string hostile = "x'); DROP TABLE nothing; --";
  auto res = (*conn)->Exec("SELECT $1::text", {hostile});
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->Get(0, 0), hostile);
}

TEST(RedisSmoke, LoadsAndRunsALuaScriptAndReloadsAfterFlush) {
  MS_REQUIRE_STACK(env);
  auto conn = redis::Connection::Open(test::RedisOptionsFor(env));
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  std::string key = test::UniqueName("smoke");
  redis::Script incr_by("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  ASSERT_TRUE((*conn)->Load(incr_by).ok());
  auto first = (*conn)->Eval(incr_by, {key}, {"5"});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->integer, 5);
  ASSERT_TRUE((*conn)->Command({"SCRIPT", "FLUSH"}).ok());
  auto second = (*conn)->Eval(incr_by, {key}, {"2"});  // NOSCRIPT -> load -> retry
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->integer, 7);
  (void)(*conn)->Command({"DEL", key});
}

}  // namespace
}  // namespace ms
