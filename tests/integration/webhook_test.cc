// The relay's webhook sink against a real HTTP receiver on loopback, a real Postgres and a real
// Kafka: signed deliveries, retries after a failed delivery with a growing backoff, per-company
// order, nothing marked published that the receiver did not accept, and a row Kafka took never
// produced again while the webhook refuses it.
#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "adapters/kafka/admin.h"
#include "adapters/kafka/outbox_sink.h"
#include "adapters/kafka/producer.h"
#include "adapters/postgres/pg_outbox.h"
#include "adapters/webhook/webhook_sink.h"
#include "app/relay.h"
#include "tests/support/kafka_topic.h"
#include "tests/support/stack_env.h"

namespace ms {
namespace {

using namespace std::chrono_literals;

struct Receiver {
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mu;
  std::vector<httplib::Request> seen;  // guarded by mu: the requests answered 204
  int requests = 0;                    // guarded by mu: every request, refused ones too
  int fail_next = 0;                   // guarded by mu: answer 500 to this many requests

  Receiver() {
    server.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu);
      ++requests;
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
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(port) + "/hook"; }
  int Requests() {
    std::lock_guard lock(mu);
    return requests;
  }
  // The payload field "n" of each accepted request of `company`, in arrival order.
  std::vector<int> AcceptedOf(const std::string& company) {
    std::lock_guard lock(mu);
    std::vector<int> out;
    for (const auto& req : seen) {
      auto body = nlohmann::json::parse(req.body);
      if (body.at("company") == company) out.push_back(body.at("n").get<int>());
    }
    return out;
  }
};

TEST(WebhookTest, SignatureIsHmacSha256OfTimestampDotBody) {
  // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
  EXPECT_EQ(webhook::HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

class WebhookRelayTest : public test::MigratedDatabaseTest {
 protected:
  WebhookRelayTest() : MigratedDatabaseTest("webhook") {}
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (!Ready()) return;
    conn_ = Connect();
    ASSERT_NE(conn_, nullptr);
    config_.kafka.events_topic = "";  // webhook only unless a test sets a topic
    config_.outbox.webhook_url = receiver_.Url();
    config_.outbox.webhook_secret = Secret("s3cret", "test");
  }
  void TearDown() override {
    conn_.reset();
    MigratedDatabaseTest::TearDown();
  }

  // An event of `company` and its outbox row, payload {"company": company, "n": n}.
  void InsertRow(const std::string& company, int n) {
    const std::string num = std::to_string(n);
    auto res = conn_->Exec(
        "WITH e AS (INSERT INTO events (company_id, type, title, severity, fingerprint) "
        "VALUES ($1, 'funding', $2, 'high', $3) RETURNING id) "
        "INSERT INTO outbox (aggregate, event_id, type, payload) SELECT $1, id, 'event.created', "
        "jsonb_build_object('company', $1::text, 'n', $4::int) FROM e",
        {company, "Round " + num, "fp" + company + num, num});
    ASSERT_TRUE(res.ok()) << res.status().ToString();
  }
  int64_t Query(const std::string& sql) const { return test::QueryInt(dsn_, sql); }
  // Until no unpublished row waits for its next attempt any more.
  bool WaitUntilDue() const {
    return test::WaitFor(
        [&] {
          return Query(
                     "SELECT count(*) FROM outbox WHERE published_at IS NULL "
                     "AND next_attempt_at > now()") == 0;
        },
        30s);
  }
  // The longest wait left before a failed row's next attempt, in milliseconds.
  int64_t LongestWaitMs() const {
    return Query(
        "SELECT COALESCE(max((extract(epoch FROM next_attempt_at - now()) * 1000)::bigint), 0) "
        "FROM outbox WHERE published_at IS NULL");
  }
  // The event ids of `company`'s outbox rows, in outbox order.
  std::vector<std::string> EventIdsOf(const std::string& company) {
    std::vector<std::string> out;
    auto res = conn_->Exec(
        "SELECT e.event_uid FROM outbox o JOIN events e ON e.id = o.event_id "
        "WHERE o.aggregate = $1 ORDER BY o.id",
        {company});
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    for (int row = 0; res.ok() && row < res->rows(); ++row) out.emplace_back(res->Get(row, 0));
    return out;
  }

  // A relay delivering to the receiver and, given a producer, to config_.kafka.events_topic;
  // leading already.
  std::unique_ptr<app::OutboxRelay> Relay(kafka::Producer* producer = nullptr) {
    outbox_ = std::make_unique<pg::PgOutbox>(test::PgOptionsFor(dsn_));
    webhook_ = std::make_unique<webhook::WebhookSink>(config_.outbox.webhook_url, "s3cret");
    if (producer != nullptr) {
      kafka_ = std::make_unique<kafka::KafkaOutboxSink>(producer, config_.kafka.events_topic, 35s);
    }
    auto relay = std::make_unique<app::OutboxRelay>(
        config_, outbox_.get(), outbox_.get(),
        app::OutboxRelay::Sinks{kafka_.get(), webhook_.get()}, 35s, &clock_, &sleeper_, &metrics_);
    Status led = relay->Lead();
    EXPECT_TRUE(led.ok()) << led.ToString();
    return relay;
  }

  Receiver receiver_;
  Config config_;
  SystemClock clock_;
  Metrics metrics_;
  InterruptibleSleeper sleeper_;
  std::unique_ptr<pg::PgOutbox> outbox_;
  std::unique_ptr<webhook::WebhookSink> webhook_;
  std::unique_ptr<kafka::KafkaOutboxSink> kafka_;
  std::unique_ptr<pg::Connection> conn_;
};

TEST_F(WebhookRelayTest, DeliversSignedRowsInOrderAndRetriesAFailureAfterABackoff) {
  for (int n = 0; n < 3; ++n) InsertRow("acme", n);
  receiver_.fail_next = 1;
  auto relay = Relay();

  Status first = relay->PublishPending();
  EXPECT_FALSE(first.ok()) << "a 500 must not count as delivered";
  EXPECT_TRUE(receiver_.AcceptedOf("acme").empty())
      << "later rows of the company went out before the first";
  EXPECT_EQ(receiver_.Requests(), 1);
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE next_attempt_at > now()"), 1)
      << "the failed row waits before its next attempt";

  // Not due yet: the company is held, nothing is sent.
  ASSERT_TRUE(relay->PublishPending().ok());
  EXPECT_EQ(receiver_.Requests(), 1) << "retried before the backoff ended";

  ASSERT_TRUE(WaitUntilDue());
  ASSERT_TRUE(relay->PublishPending().ok());
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE published_at IS NULL"), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE kafka_published_at IS NOT NULL"), 0)
      << "no Kafka sink configured";
  EXPECT_EQ(receiver_.AcceptedOf("acme"), (std::vector<int>{0, 1, 2}));
  std::lock_guard lock(receiver_.mu);
  for (const auto& req : receiver_.seen) {
    std::string ts = req.get_header_value("X-Milestoned-Timestamp");
    EXPECT_EQ(req.get_header_value("X-Milestoned-Signature"),
              "sha256=" + webhook::HmacSha256Hex("s3cret", ts + "." + req.body));
    EXPECT_FALSE(req.get_header_value("X-Milestoned-Event-Id").empty());
    // The dedup key: the outbox row's id, in the header and in the payload.
    auto body = nlohmann::json::parse(req.body);
    EXPECT_EQ(req.get_header_value("X-Milestoned-Delivery-Id"),
              std::to_string(body.at("delivery_id").get<int64_t>()));
  }
}

// A webhook outage with Kafka up: every row is on the events topic exactly once, however many
// rounds the webhook refuses it; the webhook gets every row once, in per-company order; the
// waits between attempts grow.
TEST_F(WebhookRelayTest, WebhookOutageProducesEachRowToKafkaOnceAndBacksOff) {
  const std::string topic = test::UniqueName("relay_events");
  ASSERT_TRUE(kafka::EnsureTopics(env_.brokers, {}, {{topic, 3}}, 30s).ok());
  kafka::ProducerOptions producer_options;
  producer_options.brokers = env_.brokers;
  auto producer = kafka::Producer::Open(producer_options);
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  for (int n = 0; n < 3; ++n) {
    InsertRow("acme", n);
    InsertRow("beta", n);
  }
  config_.kafka.events_topic = topic;
  receiver_.fail_next = 3;
  auto relay = Relay(producer->get());

  // Round 1: Kafka takes all six rows; the webhook refuses each company's first row.
  EXPECT_FALSE(relay->PublishPending().ok());
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE kafka_published_at IS NOT NULL"), 6);
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL"), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE next_attempt_at > now() AND attempts = 1 "
                  "AND last_error LIKE '%HTTP 500%'"),
            2);
  const int64_t first_wait_ms = LongestWaitMs();
  EXPECT_GT(first_wait_ms, 0);
  EXPECT_LE(first_wait_ms, 1000);

  // Before the backoff ends both companies are held: nothing goes to either sink.
  EXPECT_TRUE(relay->PublishPending().ok());
  EXPECT_EQ(receiver_.Requests(), 2);

  // Round 3: acme's first row is refused again and waits longer; beta goes through.
  ASSERT_TRUE(WaitUntilDue());
  EXPECT_FALSE(relay->PublishPending().ok());
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE aggregate = 'beta' AND published_at IS NULL"),
            0);
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE aggregate = 'acme' AND published_at IS NULL"),
            3);
  EXPECT_EQ(Query("SELECT max(attempts) FROM outbox WHERE aggregate = 'acme'"), 2);
  EXPECT_GT(LongestWaitMs(), 1000) << "the second wait is not longer than the first";
  EXPECT_TRUE(receiver_.AcceptedOf("acme").empty());

  ASSERT_TRUE(WaitUntilDue());
  EXPECT_TRUE(relay->PublishPending().ok());
  EXPECT_EQ(Query("SELECT count(*) FROM outbox WHERE published_at IS NULL"), 0);
  EXPECT_EQ(receiver_.AcceptedOf("acme"), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(receiver_.AcceptedOf("beta"), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(receiver_.Requests(), 9);  // 3 refused, 6 accepted

  auto records = test::ReadWholeTopic(env_.brokers, topic, 60s);
  ASSERT_TRUE(records.has_value()) << "could not read " << topic;
  EXPECT_EQ(records->size(), 6u) << "a row was produced more than once";
  std::map<std::string, std::vector<std::string>> ids_by_company;  // in partition order
  std::set<std::string> delivery_ids;
  for (const test::TopicRecord& record : *records) {
    ids_by_company[record.key].push_back(record.event_id);
    delivery_ids.insert(record.headers.at("x-delivery-id"));
    EXPECT_EQ(record.headers.at("x-delivery-id"),
              std::to_string(nlohmann::json::parse(record.value).at("delivery_id").get<int64_t>()));
  }
  EXPECT_EQ(delivery_ids.size(), 6u) << "each row is its own delivery";
  EXPECT_EQ(ids_by_company["acme"], EventIdsOf("acme"));
  EXPECT_EQ(ids_by_company["beta"], EventIdsOf("beta"));
}

}  // namespace
}  // namespace ms
