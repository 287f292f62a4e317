// Prompt caching end to end, per provider: the daemon's extractor (app::MakeExtractor) over real
// HTTP against the fake LLM server, which caches each request's stable prefix (system prompt and
// schema) and reports it in the provider's own usage fields, and the extract stage storing the
// batches in the real Postgres of the local stack. A second batch with the same prefix records
// its cached input on its batch row and pays the cached rate for it; Anthropic's first batch
// records the prefix written to the cache at 1.25 x the input rate.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/postgres/batch_queue.h"
#include "app/extract_stage.h"
#include "app/extractor_factory.h"
#include "tests/fake_llm/fake_llm_server.h"
#include "tests/support/stack_env.h"

namespace ms {
namespace {

using nlohmann::json;

class LlmPromptCacheTest : public test::MigratedDatabaseTest,
                           public ::testing::WithParamInterface<std::string> {
 protected:
  LlmPromptCacheTest() : MigratedDatabaseTest("pcache") {}

  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (!Ready()) return;
    ASSERT_TRUE(server_.Start().ok());
    pool_ = OpenPool();
    ASSERT_NE(pool_, nullptr);
    queue_ = std::make_unique<pg::PgBatchQueue>(pool_.get());
    AddBatch(1, "acme", "We closed our $2M seed round led by Blue Ventures.");
    AddBatch(2, "globex", "Signed a partnership with Initech to resell our platform.");
    config_.llm.provider = ProviderFromName(GetParam());
    config_.llm.base_url = server_.base_url();
    config_.llm.model = "fake-model";
    config_.llm.api_key = Secret("sk-test-0123456789", "test");
    config_.llm.prefilter = false;
    // $1/M plain input, $2/M output, $0.1/M cached input.
    config_.llm.prices["fake-model"] = {1.0, 2.0, 0.1};
  }
  void TearDown() override {
    queue_.reset();
    pool_.reset();
    server_.Stop();
    MigratedDatabaseTest::TearDown();
  }

  static LlmProvider ProviderFromName(const std::string& name) {
    if (name == "gemini") return LlmProvider::kGemini;
    if (name == "anthropic") return LlmProvider::kAnthropic;
    return LlmProvider::kOpenAi;
  }

  void AddBatch(int64_t id, const std::string& company, const std::string& text) {
    auto conn = Connect();
    ASSERT_NE(conn, nullptr);
    const std::string batch = std::to_string(id);
    auto res = conn->Exec(
        "WITH m AS (INSERT INTO messages (company_id, source, source_msg_id, sender, text, "
        "sent_at) VALUES ($1, 'slack', $2, 'ana', $3, now()) RETURNING id) "
        "INSERT INTO batches (id, company_id, claim_id, message_count, trigger, message_ids) "
        "SELECT $4::bigint, $1, 'claim-' || $4, 1, 'threshold', ARRAY[m.id] FROM m",
        {company, "m-" + batch, text, batch});
    ASSERT_TRUE(res.ok()) << res.status().ToString();
  }

  int64_t Int(const std::string& sql) { return test::QueryInt(dsn_, sql); }

  test::FakeLlmServer server_;
  Config config_;
  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<pg::PgBatchQueue> queue_;
};

INSTANTIATE_TEST_SUITE_P(Providers, LlmPromptCacheTest,
                         ::testing::Values("openai", "gemini", "anthropic"),
                         [](const auto& info) { return info.param; });

TEST_P(LlmPromptCacheTest, SecondBatchRecordsItsCachedInputAndPaysTheCachedRate) {
  if (!Ready()) return;
  auto set = app::MakeExtractor(config_);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  BoundedQueue<ClaimedBatch> hints(4);
  Metrics metrics;
  app::ExtractStage stage(config_, queue_.get(), (*set)->extractor, &hints, &metrics);
  for (int batch = 0; batch < 2; ++batch) {
    bool found = false;
    ASSERT_TRUE(stage.ProcessOne(&found).ok());
    ASSERT_TRUE(found);
  }
  ASSERT_EQ(server_.request_count(), 2u);
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE status = 'done'"), 2);

  // The fake reports 120 prompt tokens per call, 100 of them the shared prefix, and 30 out.
  const bool anthropic = GetParam() == "anthropic";
  EXPECT_EQ(Int("SELECT prompt_tokens FROM batches WHERE id = 1"), 120);
  EXPECT_EQ(Int("SELECT cached_prompt_tokens FROM batches WHERE id = 1"), 0);
  EXPECT_EQ(Int("SELECT cache_write_tokens FROM batches WHERE id = 1"), anthropic ? 100 : 0);
  EXPECT_EQ(Int("SELECT prompt_tokens FROM batches WHERE id = 2"), 120);
  EXPECT_EQ(Int("SELECT cached_prompt_tokens FROM batches WHERE id = 2"), 100);
  EXPECT_EQ(Int("SELECT cache_write_tokens FROM batches WHERE id = 2"), 0);

  // In micro-dollars. First batch: 120 input at $1/M (Anthropic: 20 at $1/M and 100 written
  // at $1.25/M) + 30 out at $2/M. Second: 20 at $1/M + 100 cached at $0.1/M + 30 at $2/M.
  EXPECT_EQ(Int("SELECT round(cost_usd * 1e6) FROM batches WHERE id = 1"),
            anthropic ? 20 + 125 + 60 : 120 + 60);
  EXPECT_EQ(Int("SELECT round(cost_usd * 1e6) FROM batches WHERE id = 2"), 20 + 10 + 60);
  const std::string provider = GetParam();
  EXPECT_EQ(metrics.LlmTokens(provider, TokenDirection::kCached).Value(), 100);
  EXPECT_EQ(metrics.LlmTokens(provider, TokenDirection::kCacheWrite).Value(), anthropic ? 100 : 0);

  if (anthropic) {
    for (const test::RecordedRequest& request : server_.requests()) {
      json body = json::parse(request.body);
      ASSERT_TRUE(body["system"].is_array()) << body.dump();
      EXPECT_EQ(body["system"].back()["cache_control"], json({{"type", "ephemeral"}}));
    }
  }
}

}  // namespace
}  // namespace ms
