// The LLM-written investor update over real HTTP (loopback) against the fake LLM server, for
// the three providers: what each request body carries (the update schema under its own name,
// the period's digest as delimited data, no PII) and the update that comes back, or the template
// when the provider answers unusably. Needs no stack: only 127.0.0.1.
#include "pipeline/investor/investor_update_llm.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/llm/llm_client_factory.h"
#include "tests/fake_llm/fake_llm_server.h"
#include "tests/fake_llm/rules_answer.h"

namespace ms {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::FakeReply;

constexpr const char* kAnswer = R"({"subject": "Acme closes $12M Series A",
  "body": "Hi all,\n\nAcme closed its $12M Series A.\n"})";

UpdateDigest Digest();

std::vector<StoredEvent> Events() {
  StoredEvent funding;
  funding.id = 11;
  funding.type = "funding";
  funding.severity = "high";
  funding.title = "Closed $12M Series A led by Blue Chip Ventures";
  funding.description = "Wire questions to cfo@acme.io or +1 (555) 123-4567.";
  funding.metrics = {{"amount_usd", "12000000"}, {"round", "series_a"}};
  funding.occurred_at = "2025-11-01T09:00:00Z";
  StoredEvent deal;
  deal.id = 12;
  deal.type = "enterprise_deal";
  deal.severity = "medium";
  deal.title = "Signed Globex, $75,000 ACV";
  deal.metrics = {{"acv_usd", "75000"}, {"counterparty", "Globex"}};
  deal.occurred_at = "2025-11-03T09:00:00Z";
  return {funding, deal};
}

UpdateDigest Digest() {
  std::vector<StoredObservation> readings = {{"mrr", 151000, "USD", "2025-11-02T00:00:00Z", 1},
                                             {"mrr", 262000, "USD", "2025-11-20T00:00:00Z", 2}};
  return BuildDigest("acme", Events(), readings, {"2025-11-01", "2025-12-01"});
}

class InvestorUpdateProviderTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    llm::LlmClientOptions options;
    options.provider = GetParam();
    options.base_url = server_.base_url();
    options.api_key = "sk-test-secret-0123456789";
    auto client = llm::MakeLlmClient(options);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }

  InvestorUpdateRun Write() {
    LlmCallOptions call;
    call.call_deadline = 5s;
    call.backoff_base = 10ms;
    LlmCallDeps deps;
    deps.clock = &clock_;
    deps.sleeper = &sleeper_;
    LlmCallPolicy policy(client_.get(), call, std::move(deps));
    return WriteInvestorUpdate(Digest(), policy, {});
  }

  // The request body's schema, whatever the wire.
  json SentSchema(const json& body) {
    if (GetParam() == "openai") return body["response_format"]["json_schema"]["schema"];
    if (GetParam() == "gemini") return body["generationConfig"]["responseSchema"];
    return body["tools"][0]["input_schema"];
  }

  test::FakeLlmServer server_;
  std::unique_ptr<LlmClient> client_;
  SystemClock clock_;
  InterruptibleSleeper sleeper_;
};

INSTANTIATE_TEST_SUITE_P(Providers, InvestorUpdateProviderTest,
                         ::testing::Values("openai", "gemini", "anthropic"),
                         [](const auto& info) { return info.param; });

TEST_P(InvestorUpdateProviderTest, ScriptedAnswerBecomesTheUpdate) {
  FakeReply reply;
  reply.answer = kAnswer;
  server_.Push(reply);
  InvestorUpdateRun run = Write();
  EXPECT_EQ(run.update.provider, GetParam());
  EXPECT_EQ(run.update.model, client_->model());
  EXPECT_EQ(run.update.fallback_reason, "");
  EXPECT_EQ(run.update.subject, "Acme closes $12M Series A");
  EXPECT_EQ(run.update.body, "Hi all,\n\nAcme closed its $12M Series A.\n");
  EXPECT_EQ(run.update.event_ids, (std::vector<int64_t>{11, 12}));
  EXPECT_EQ(run.llm_calls, 1);
  EXPECT_EQ(run.usage.prompt_tokens, 120);

  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  json body = json::parse(requests[0].body);
  std::string user = test::UserPrompt(requests[0]);
  EXPECT_TRUE(user.starts_with("Company: acme\nPeriod: 2025-11-01 to 2025-12-01")) << user;
  EXPECT_NE(user.find(R"("kind":"headline")"), std::string::npos) << user;
  EXPECT_NE(user.find(R"("text":"Closed $12M Series A led by Blue Chip Ventures")"),
            std::string::npos)
      << user;
  EXPECT_NE(user.find(R"x("first":"$151k (2 Nov)")x"), std::string::npos) << user;
  EXPECT_NE(user.find("</digest>"), std::string::npos);
  EXPECT_EQ(requests[0].body.find("cfo@acme.io"), std::string::npos) << "redacted";
  EXPECT_EQ(requests[0].body.find("555"), std::string::npos) << "redacted";
  json schema = SentSchema(body);
  ASSERT_TRUE(schema.is_object()) << body.dump();
  EXPECT_TRUE(schema["properties"].contains("subject")) << schema.dump();
  EXPECT_TRUE(schema["properties"].contains("body")) << schema.dump();
  if (GetParam() == "openai") {
    EXPECT_EQ(body["response_format"]["json_schema"]["name"], "write_investor_update");
    EXPECT_EQ(schema, json::parse(InvestorUpdateSchemaJson()));
    EXPECT_EQ(body["messages"][0]["content"], InvestorUpdateSystemPrompt());
  } else if (GetParam() == "anthropic") {
    EXPECT_EQ(body["tools"][0]["name"], "write_investor_update");
    EXPECT_EQ(body["tool_choice"], json({{"type", "tool"}, {"name", "write_investor_update"}}));
    EXPECT_EQ(schema, json::parse(InvestorUpdateSchemaJson()));
    EXPECT_EQ(body["system"][0]["text"], InvestorUpdateSystemPrompt());
  } else {
    EXPECT_EQ(schema["type"], "OBJECT");
    EXPECT_EQ(body["systemInstruction"]["parts"][0]["text"], InvestorUpdateSystemPrompt());
  }
}

// Unscripted, the fake writes an update from the digest lines it was sent: the whole round trip
// (prompt out, digest read back, answer validated) holds together.
TEST_P(InvestorUpdateProviderTest, FakesDefaultAnswerRoundTrips) {
  InvestorUpdateRun run = Write();
  EXPECT_EQ(run.update.provider, GetParam());
  EXPECT_EQ(run.update.fallback_reason, "");
  EXPECT_EQ(run.update.subject, Digest().subject);
  EXPECT_NE(run.update.body.find("Signed Globex, $75,000 ACV"), std::string::npos)
      << run.update.body;
  EXPECT_NE(run.update.body.find("| MRR | $151k (2 Nov) | $262k (20 Nov) | +73.5% |"),
            std::string::npos)
      << run.update.body;
}

TEST_P(InvestorUpdateProviderTest, UnusableAnswersFallBackToTheTemplate) {
  FakeReply missing_subject;
  missing_subject.answer = R"({"body": "b"})";
  server_.Push(missing_subject);
  FakeReply truncated;
  truncated.answer = kAnswer;
  truncated.fault = test::Fault::kTruncatedAnswer;
  server_.Push(truncated);
  InvestorUpdateRun run = Write();
  EXPECT_EQ(run.update.provider, "template");
  EXPECT_EQ(run.update.subject, BuildInvestorUpdateOffline(Digest()).subject);
  EXPECT_TRUE(run.update.fallback_reason.starts_with(GetParam() + ": answer unusable"))
      << run.update.fallback_reason;
  EXPECT_EQ(run.llm_calls, 2);
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(test::UserPrompt(requests[1]).find("could not be used: no subject"), std::string::npos);
}

TEST_P(InvestorUpdateProviderTest, ProviderErrorFallsBackToTheTemplate) {
  FakeReply unauthorized;
  unauthorized.fault = test::Fault::kUnauthorized;
  server_.Push(unauthorized);
  InvestorUpdateRun run = Write();
  EXPECT_EQ(run.update.provider, "template");
  EXPECT_TRUE(run.update.fallback_reason.starts_with(GetParam() + ": "))
      << run.update.fallback_reason;
  EXPECT_EQ(run.update.fallback_reason.find("sk-test-secret"), std::string::npos);
  EXPECT_EQ(run.llm_calls, 1);
}

}  // namespace
}  // namespace ms
