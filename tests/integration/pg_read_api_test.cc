// PgReadApi against the real Postgres of the local stack: the JSON it builds, filters, and the
// NotFound / InvalidArgument cases the HTTP layer maps to 404 / 400.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/postgres/read_api.h"
#include "tests/support/stack_env.h"

namespace ms {
namespace {

using nlohmann::json;

// One statement each: parameterized Exec runs a single command.
constexpr const char* kSeedSql[] = {
    R"sql(INSERT INTO batches (id, company_id, claim_id, message_count, trigger, status, provider,
                           model, prompt_tokens, completion_tokens, cost_usd)
          VALUES (41, 'acme', 'c-41', 3, 'threshold', 'done', 'rules', 'rules-v1', 120, 30,
                  0.0015))sql",
    R"sql(INSERT INTO events (id, company_id, type, title, severity, fingerprint, occurred_at)
          VALUES (1, 'acme', 'funding', 'Seed round', 'high', 'fp1', '2024-03-01T00:00:00Z'),
                 (2, 'acme', 'hiring', 'New CTO', 'medium', 'fp2', '2024-05-01T00:00:00Z'),
                 (3, 'other', 'funding', 'Series A', 'high', 'fp3', '2024-05-01T00:00:00Z'))sql",
    R"sql(INSERT INTO event_history (event_id, batch_id, kind)
          VALUES (1, 41, 'created'), (2, 41, 'created'), (1, 41, 'sighted'))sql",
    R"sql(INSERT INTO investor_updates (company_id, subject, body, content, event_ids, provider,
                                    created_at)
          VALUES ('acme', 'Q1', 'old', '{}', '{1}', 'template', '2024-04-01T00:00:00Z'),
                 ('acme', 'Q2', 'new', '{"highlights": []}', '{1,2}', 'template',
                  '2024-07-01T00:00:00Z'))sql",
};

EventFilter Filter(std::string since, std::string type) {
  EventFilter filter;
  filter.since = std::move(since);
  filter.type = std::move(type);
  return filter;
}

class PgReadApiTest : public test::MigratedDatabaseTest {
 protected:
  PgReadApiTest() : MigratedDatabaseTest("readapi") {}
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (!Ready()) return;
    pool_ = OpenPool();
    ASSERT_NE(pool_, nullptr);
    auto lease = pool_->Acquire();
    ASSERT_TRUE(lease.ok());
    for (const char* statement : kSeedSql) {
      auto result = (*lease)->Exec(statement);
      ASSERT_TRUE(result.ok()) << result.status().ToString();
    }
    api_ = std::make_unique<pg::PgReadApi>(pool_.get());
  }
  void TearDown() override {
    api_.reset();
    pool_.reset();
    MigratedDatabaseTest::TearDown();
  }

  json Parse(const StatusOr<std::string>& text) {
    EXPECT_TRUE(text.ok()) << text.status().ToString();
    return text.ok() ? json::parse(*text) : json();
  }

  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<pg::PgReadApi> api_;
};

TEST_F(PgReadApiTest, CompanyEventsNewestFirstAndFiltered) {
  json all = Parse(api_->CompanyEvents("acme", {}));
  EXPECT_EQ(all["company_id"], "acme");
  ASSERT_EQ(all["events"].size(), 2u);
  EXPECT_EQ(all["events"][0]["title"], "New CTO");
  EXPECT_EQ(all["events"][1]["type"], "funding");
  EXPECT_TRUE(all["events"][0]["metrics"].is_object());

  json since = Parse(api_->CompanyEvents("acme", Filter("2024-04-01T00:00:00Z", "")));
  ASSERT_EQ(since["events"].size(), 1u);
  EXPECT_EQ(since["events"][0]["type"], "hiring");

  json typed = Parse(api_->CompanyEvents("acme", Filter("", "funding")));
  ASSERT_EQ(typed["events"].size(), 1u);
  EXPECT_EQ(typed["events"][0]["title"], "Seed round");

  EXPECT_EQ(Parse(api_->CompanyEvents("nobody", {}))["events"].size(), 0u);

  EventFilter until;
  until.until = "2024-04-01T00:00:00Z";
  json before = Parse(api_->CompanyEvents("acme", until));
  ASSERT_EQ(before["events"].size(), 1u);
  EXPECT_EQ(before["events"][0]["title"], "Seed round");
  EXPECT_EQ(before["events"][0]["occurred_at"], "2024-03-01T00:00:00Z");

  EventFilter high;
  high.min_severity = "high";
  ASSERT_EQ(Parse(api_->CompanyEvents("acme", high))["events"].size(), 1u);

  EventFilter top;
  top.top = 1;
  json best = Parse(api_->CompanyEvents("acme", top));
  ASSERT_EQ(best["events"].size(), 1u);
  EXPECT_EQ(best["events"][0]["title"], "Seed round") << "the round outranks the hire";
  EXPECT_GT(best["events"][0]["score"].get<double>(), 0);
}

TEST_F(PgReadApiTest, BadInputIsInvalidArgumentNotSql) {
  EXPECT_EQ(api_->CompanyEvents("acme'; DROP TABLE events; --", {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(api_->CompanyEvents("acme", Filter("yesterday", "")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(api_->CompanyEvents("acme", Filter("2024-13-45T00:00:00Z", "")).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(api_->CompanyEvents("acme", Filter("", "Funding!")).status().code(),
            StatusCode::kInvalidArgument);
  EventFilter severity;
  severity.min_severity = "urgent";
  EXPECT_EQ(api_->CompanyEvents("acme", severity).status().code(), StatusCode::kInvalidArgument);
  EventFilter until;
  until.until = "next week";
  EXPECT_EQ(api_->CompanyEvents("acme", until).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(api_->Batch(0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(test::QueryInt(pool_->options().dsn, "SELECT count(*) FROM events"), 3);
}

TEST_F(PgReadApiTest, BatchCarriesItsEventIds) {
  json batch = Parse(api_->Batch(41));
  EXPECT_EQ(batch["id"], 41);
  EXPECT_EQ(batch["status"], "done");
  EXPECT_EQ(batch["prompt_tokens"], 120);
  EXPECT_EQ(batch["event_ids"], json::array({1, 2}));
  EXPECT_TRUE(batch["provider_job_id"].is_null()) << "a synchronous batch has no provider job";
  EXPECT_EQ(batch["job_fallbacks"], 0);
  EXPECT_EQ(api_->Batch(42).status().code(), StatusCode::kNotFound);
}

TEST_F(PgReadApiTest, InvestorEmailIsTheLatestUpdate) {
  json update = Parse(api_->InvestorEmail("acme"));
  EXPECT_EQ(update["subject"], "Q2");
  EXPECT_EQ(update["event_ids"], json::array({1, 2}));
  EXPECT_TRUE(update["content"].is_object());
  EXPECT_EQ(api_->InvestorEmail("other").status().code(), StatusCode::kNotFound);
}

TEST_F(PgReadApiTest, AQueryStuckBehindALockTimesOutAsUnavailable) {
  auto holder = pg::Connection::Open(pool_->options());
  ASSERT_TRUE(holder.ok());
  ASSERT_TRUE((*holder)->Exec("BEGIN").ok());
  ASSERT_TRUE((*holder)->Exec("LOCK TABLE events IN ACCESS EXCLUSIVE MODE").ok());
  pg::PgReadApi impatient(pool_.get(), {std::chrono::seconds(2), std::chrono::milliseconds(200)});
  EXPECT_EQ(impatient.CompanyEvents("acme", {}).status().code(), StatusCode::kUnavailable);
  ASSERT_TRUE((*holder)->Exec("ROLLBACK").ok());
  EXPECT_TRUE(impatient.CompanyEvents("acme", {}).ok()) << "the pooled connection still works";
}

}  // namespace
}  // namespace ms
