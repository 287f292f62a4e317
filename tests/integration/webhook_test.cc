// The relay's webhook sink against a real HTTP receiver on loopback and a real Postgres:
// signed deliveries, retry after a failed delivery, per-company order, nothing marked published
// that the receiver did not accept.
#include "app/webhook.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>
#include <thread>

#include "adapters/postgres/migrations.h"
#include "app/relay.h"
#include "tests/support/stack_env.h"

namespace ms {
namespace {

struct Receiver {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mu;
  std::vector<httplib::Request> seen;  // guarded by mu
  int fail_next = 0;                   // guarded by mu: answer 500 to this many requests

  Receiver() {
    server.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      if (fail_next > 0) {
        --fail_next;
        res.status = 500;
        return;
      }
      seen.push_back(req);
      res.status = 204;
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
    // Connections made before listen() starts accepting wait in the backlog, so no sleep.
  }
  ~Receiver() {
    server.stop();
    thread.join();
  }
};

TEST(WebhookTest, SignatureIsHmacSha256OfTimestampDotBody) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  EXPECT_EQ(app::HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookTest, RelayDeliversSignedRowsInOrderAndRetriesFailures) {
  MS_REQUIRE_STACK(env);
  std::string db = test::UniqueName("webhook");
  std::string dsn = test::CreateDatabase(env, db);
  auto conn = pg::Connection::Open(test::PgOptionsFor(dsn));
  ASSERT_TRUE(conn.ok());
  ASSERT_TRUE(pg::Migrate(**conn).ok());
  for (int idx = 0; idx < 3; ++idx) {
    std::string n = std::to_string(idx);
    ASSERT_TRUE((*conn)
                    ->Exec("WITH e AS (INSERT INTO events (company_id, type, title, severity, "
                           "fingerprint) VALUES ('acme', 'funding', $1, 'high', $2) RETURNING id) "
                           "INSERT INTO outbox (aggregate, event_id, type, payload) SELECT 'acme', "
                           "id, 'event.created', jsonb_build_object('n', $3::int) FROM e",
                           {"Round " + n, "fp" + n, n})
                    .ok());
  }
  Receiver receiver;
  receiver.fail_next = 1;
  Config config;
  config.kafka.events_topic = "";  // webhook only
  config.outbox.webhook_url = "http://127.0.0.1:" + std::to_string(receiver.port) + "/hook";
  config.outbox.webhook_secret = Secret("s3cret", "test");
  app::RelayStats stats;
  app::OutboxRelay relay(config, test::PgOptionsFor(dsn), nullptr, &stats);

  Status first = relay.PublishPending(**conn);
  EXPECT_FALSE(first.ok()) << "a 500 must not count as delivered";
  {
    std::lock_guard lock(receiver.mu);
    EXPECT_TRUE(receiver.seen.empty()) << "later rows of the company went out before the first";
  }
  EXPECT_EQ(test::QueryInt(dsn, "SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"), 0);

  ASSERT_TRUE(relay.PublishPending(**conn).ok());
  EXPECT_EQ(test::QueryInt(dsn, "SELECT count(*) FROM outbox WHERE published_at IS NULL"), 0);
  std::lock_guard lock(receiver.mu);
  ASSERT_EQ(receiver.seen.size(), 3u);
  for (size_t idx = 0; idx < 3; ++idx) {
    const auto& req = receiver.seen[idx];
    EXPECT_NE(req.body.find("\"n\": " + std::to_string(idx)), std::string::npos) << req.body;
    std::string ts = req.get_header_value("X-Milestoned-Timestamp");
    EXPECT_EQ(req.get_header_value("X-Milestoned-Signature"),
              "sha256=" + app::HmacSha256Hex("s3cret", ts + "." + req.body));
    EXPECT_FALSE(req.get_header_value("X-Milestoned-Event-Id").empty());
  }
  conn->reset();
  test::DropDatabase(env, db);
}

}  // namespace
}  // namespace ms
