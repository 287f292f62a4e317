// The three LLM providers over real HTTP (loopback) against the fake LLM server: what each sends
// (path, headers, body with schema or tool), how each reads an answer, and how every fault is
// classified for the retry policy. Needs no stack: only 127.0.0.1.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/llm/llm_client_factory.h"
#include "pipeline/extract/llm_extractor.h"
#include "tests/fake_llm/fake_llm_server.h"

namespace ms {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using test::FakeReply;
using test::Fault;

constexpr const char* kKey = "sk-test-secret-0123456789";
constexpr const char* kAnswer =
    R"({"events":[{"type":"funding","title":"Seed round closed","metrics":{"raised_usd":"2000000"}}]})";

const json& EventSchema() {
  static const json schema = json::parse(R"({
    "type": "object", "additionalProperties": false, "required": ["events"],
    "properties": {"events": {"type": "array", "items": {
      "type": "object", "additionalProperties": false, "required": ["type", "title", "metrics"],
      "properties": {
        "type": {"type": "string", "enum": ["funding", "other"]},
        "title": {"type": "string", "description": "one line"},
        "timeline": {"type": ["string", "null"]},
        "metrics": {"type": "object", "additionalProperties": {"type": "string"}}}}}}})");
  return schema;
}

LlmRequest MakeRequest(std::chrono::milliseconds deadline = 5s) {
  LlmRequest request;
  request.system = "You extract events.";
  request.user = "<messages>\n1|slack|ana|We closed the seed round\n</messages>";
  request.schema_json = EventSchema().dump();
  request.max_output_tokens = 512;
  request.deadline = deadline;
  return request;
}

class LlmProviderTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto port = server_.Start();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    client_ = MakeClient(GetParam());
  }

  std::unique_ptr<LlmClient> MakeClient(const std::string& provider, size_t max_bytes = 4 << 20) {
    llm::LlmClientOptions options;
    options.provider = provider;
    options.base_url = server_.base_url();
    options.api_key = kKey;
    options.max_response_bytes = max_bytes;
    auto client = llm::MakeLlmClient(options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    return client.ok() ? std::move(client).value() : nullptr;
  }

  LlmError ExpectError(Fault fault, const std::string& retry_after = "1") {
    FakeReply reply;
    reply.fault = fault;
    reply.retry_after = retry_after;
    server_.Push(reply);
    LlmResult result = client_->Complete(MakeRequest());
    EXPECT_FALSE(result.ok()) << test::FaultName(fault);
    if (result.ok()) return {};
    EXPECT_EQ(result.error->status.message().find(kKey), std::string::npos);
    return *result.error;
  }

  LlmResponse ExpectAnswer(const FakeReply& reply) {
    server_.Push(reply);
    LlmResult result = client_->Complete(MakeRequest());
    EXPECT_TRUE(result.ok()) << result.error->status.ToString();
    return result.ok() ? *result.response : LlmResponse{};
  }

  test::FakeLlmServer server_;
  std::unique_ptr<LlmClient> client_;
};

INSTANTIATE_TEST_SUITE_P(Providers, LlmProviderTest,
                         ::testing::Values("openai", "gemini", "anthropic"),
                         [](const auto& info) { return info.param; });

TEST_P(LlmProviderTest, ReadsAnswerFinishReasonUsageAndModel) {
  FakeReply reply;
  reply.answer = kAnswer;
  LlmResponse response = ExpectAnswer(reply);
  EXPECT_EQ(json::parse(response.text), json::parse(kAnswer));
  EXPECT_EQ(response.finish_reason, "stop");
  EXPECT_EQ(response.usage.prompt_tokens, 120);
  EXPECT_EQ(response.usage.completion_tokens, 30);
  EXPECT_EQ(response.model, client_->model());
  EXPECT_EQ(client_->provider(), GetParam());
}

// The fake caches each provider's stable prefix (system prompt and schema) the way the real API
// reports it: the first call writes it (Anthropic) or misses, a second call with the same prefix
// and other messages reads it. prompt_tokens stays all input either way.
TEST_P(LlmProviderTest, SecondCallWithTheSamePrefixReportsCachedInput) {
  FakeReply reply;
  reply.answer = kAnswer;
  reply.prompt_tokens = 500;
  reply.prefix_tokens = 400;
  LlmResponse first = ExpectAnswer(reply);
  EXPECT_EQ(first.usage.prompt_tokens, 500);
  EXPECT_EQ(first.usage.cached_prompt_tokens, 0);
  EXPECT_EQ(first.usage.cache_write_tokens, GetParam() == "anthropic" ? 400 : 0);

  server_.Push(reply);
  LlmRequest other = MakeRequest();
  other.user = "<messages>\n0|s|bo|2025-01-02 10:00|We signed Globex\n</messages>";
  LlmResult second = client_->Complete(other);
  ASSERT_TRUE(second.ok()) << second.error->status.ToString();
  EXPECT_EQ(second.response->usage.prompt_tokens, 500);
  EXPECT_EQ(second.response->usage.cached_prompt_tokens, 400);
  EXPECT_EQ(second.response->usage.cache_write_tokens, 0);
  EXPECT_EQ(second.response->usage.completion_tokens, 30);

  server_.Push(reply);
  LlmRequest changed = MakeRequest();
  changed.system = "You extract other events.";
  LlmResult third = client_->Complete(changed);
  ASSERT_TRUE(third.ok()) << third.error->status.ToString();
  EXPECT_EQ(third.response->usage.cached_prompt_tokens, 0) << "another prefix misses";
}

TEST_P(LlmProviderTest, RateLimitIsRetryableWithRetryAfter) {
  LlmError error = ExpectError(Fault::kRateLimited, "7");
  EXPECT_EQ(error.status.code(), StatusCode::kUnavailable) << error.status.ToString();
  EXPECT_EQ(error.http_status, 429);
  EXPECT_FALSE(error.quota_exhausted);
  ASSERT_TRUE(error.retry_after.has_value());
  EXPECT_EQ(*error.retry_after, 7000ms);
}

TEST_P(LlmProviderTest, RetryAfterAsHttpDate) {
  auto at = std::chrono::system_clock::now() + 30s;
  std::time_t seconds = std::chrono::system_clock::to_time_t(at);
  char date[64];
  std::tm tm_utc{};
  gmtime_r(&seconds, &tm_utc);
  std::strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm_utc);
  LlmError error = ExpectError(Fault::kRateLimited, date);
  ASSERT_TRUE(error.retry_after.has_value());
  EXPECT_GE(*error.retry_after, 27s);
  EXPECT_LE(*error.retry_after, 31s);
}

TEST_P(LlmProviderTest, ServerErrorsAreRetryable) {
  for (auto [fault, http_status] : {std::pair{Fault::kServerError, 500},
                                    {Fault::kUnavailable, 503},
                                    {Fault::kOverloaded, 529}}) {
    LlmError error = ExpectError(fault);
    EXPECT_EQ(error.status.code(), StatusCode::kUnavailable) << error.status.ToString();
    EXPECT_EQ(error.http_status, http_status);
  }
}

TEST_P(LlmProviderTest, GeminiResourceExhaustedWithRetryInfoIsRetryable) {
  LlmError error = ExpectError(Fault::kResourceExhausted, "37");
  EXPECT_EQ(error.status.code(), StatusCode::kUnavailable) << error.status.ToString();
  EXPECT_FALSE(error.quota_exhausted);
  ASSERT_TRUE(error.retry_after.has_value());
  EXPECT_EQ(*error.retry_after, 37s);
}

TEST_P(LlmProviderTest, SlowResponsePastTheDeadlineIsRetryable) {
  FakeReply reply;
  reply.fault = Fault::kSlow;
  reply.delay = 5s;
  server_.Push(reply);
  auto start = std::chrono::steady_clock::now();
  LlmResult result = client_->Complete(MakeRequest(300ms));
  auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error->status.code(), StatusCode::kUnavailable);
  EXPECT_NE(result.error->status.message().find("imeout"), std::string::npos)
      << result.error->status.message();
  EXPECT_LT(elapsed, 3s);
}

TEST_P(LlmProviderTest, TruncatedHttpBodyIsRetryable) {
  LlmError error = ExpectError(Fault::kTruncatedBody);
  EXPECT_EQ(error.status.code(), StatusCode::kUnavailable) << error.status.ToString();
}

TEST_P(LlmProviderTest, TruncatedAndSchemaInvalidAnswersArePassedUp) {
  FakeReply reply;
  reply.answer = kAnswer;
  reply.fault = Fault::kTruncatedAnswer;
  LlmResponse truncated = ExpectAnswer(reply);
  EXPECT_TRUE(json::parse(truncated.text, nullptr, false).is_discarded()) << truncated.text;
  EXPECT_EQ(truncated.finish_reason, "stop");
  reply.fault = Fault::kSchemaInvalid;
  LlmResponse invalid = ExpectAnswer(reply);
  EXPECT_FALSE(json::parse(invalid.text)["events"].is_array());
}

TEST_P(LlmProviderTest, OutputTokenLimitIsFinishReasonLength) {
  FakeReply reply;
  reply.answer = kAnswer;
  reply.fault = Fault::kLength;
  EXPECT_EQ(ExpectAnswer(reply).finish_reason, "length");
}

TEST_P(LlmProviderTest, BadKeyIsFailedPrecondition) {
  LlmError error = ExpectError(Fault::kUnauthorized);
  EXPECT_EQ(error.status.code(), StatusCode::kFailedPrecondition) << error.status.ToString();
  EXPECT_FALSE(error.quota_exhausted);
}

TEST_P(LlmProviderTest, ContextLengthIsInvalidArgument) {
  LlmError error = ExpectError(Fault::kContextLength);
  EXPECT_EQ(error.status.code(), StatusCode::kInvalidArgument) << error.status.ToString();
  EXPECT_EQ(error.http_status, 400);
}

TEST_P(LlmProviderTest, QuotaExhaustedIsNeverRetried) {
  LlmError error = ExpectError(Fault::kQuotaExhausted);
  EXPECT_EQ(error.status.code(), StatusCode::kFailedPrecondition) << error.status.ToString();
  EXPECT_TRUE(error.quota_exhausted);
  EXPECT_FALSE(error.retry_after.has_value());
}

TEST_P(LlmProviderTest, ConnectionRefusedIsRetryable) {
  server_.Stop();
  LlmResult result = client_->Complete(MakeRequest(2s));
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error->status.code(), StatusCode::kUnavailable)
      << result.error->status.ToString();
}

TEST_P(LlmProviderTest, OversizedBodyIsRejectedNotTruncated) {
  auto small = MakeClient(GetParam(), /*max_bytes=*/64);
  FakeReply reply;
  reply.answer = kAnswer;
  server_.Push(reply);
  LlmResult result = small->Complete(MakeRequest());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error->status.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(result.error->status.message().find("exceeds 64 bytes"), std::string::npos);
}

TEST_P(LlmProviderTest, ReusesTheConnection) {
  for (int call = 0; call < 3; ++call) ASSERT_TRUE(client_->Complete(MakeRequest()).ok());
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].headers["remote_port"], requests[2].headers["remote_port"]);
}

TEST_P(LlmProviderTest, ConcurrentCallsShareOneClient) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int idx = 0; idx < 4; ++idx) {
    threads.emplace_back([&] {
      for (int call = 0; call < 5; ++call) ok += client_->Complete(MakeRequest()).ok() ? 1 : 0;
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(server_.request_count(), 20u);
}

// The whole extraction path over HTTP: prompt, provider, fake (answering with the rules
// extractor), validation; a 429 on the way is retried.
TEST_P(LlmProviderTest, ExtractorOverHttpRetriesAndParsesTheFakesRulesAnswer) {
  FakeReply limited;
  limited.fault = Fault::kRateLimited;
  limited.retry_after = "0";
  server_.Push(limited);
  SystemClock clock;
  InterruptibleSleeper sleeper;
  LlmPolicyOptions options;
  options.backoff_base = 10ms;
  options.call_deadline = 5s;
  auto extractor = LlmExtractor::Create(client_.get(), options, {&clock, &sleeper, nullptr});
  ASSERT_TRUE(extractor.ok()) << extractor.status().ToString();
  ExtractionRequest request;
  request.batch_id = 1;
  request.company_id = "acme";
  BatchMessage funding;
  funding.id = 9001;
  funding.sender = "ceo";
  funding.text = "We just closed our $12M Series A led by Blue Chip Ventures!";
  funding.sent_at_ms = 1'714'550'400'000;
  request.messages.push_back(funding);

  auto result = (*extractor)->Extract(request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->llm_calls, 2);
  EXPECT_EQ(result->provider, GetParam());
  EXPECT_EQ(result->usage.prompt_tokens, 120);
  ASSERT_FALSE(result->events.empty()) << server_.requests().back().body;
  EXPECT_EQ(result->events[0].type, "funding");
  EXPECT_EQ(result->events[0].company_id, "acme");
  EXPECT_EQ(result->events[0].source_message_ids, std::vector<int64_t>{9001});
}

// ---- Request shapes ----------------------------------------------------------------------

class LlmRequestShapeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.Start().ok()); }

  test::RecordedRequest Send(const std::string& provider, const std::string& api_key = kKey) {
    llm::LlmClientOptions options;
    options.provider = provider;
    options.base_url = server_.base_url() + "/";
    options.api_key = api_key;
    auto client = llm::MakeLlmClient(options);
    EXPECT_TRUE(client.ok()) << client.status().ToString();
    if (!client.ok()) return {};
    EXPECT_TRUE((*client)->Complete(MakeRequest()).ok());
    auto requests = server_.requests();
    EXPECT_EQ(requests.size(), 1u);
    server_.Reset();
    return requests.empty() ? test::RecordedRequest{} : requests.back();
  }

  test::FakeLlmServer server_;
};

bool ContainsKeyAnywhere(const json& node, const std::string& key) {
  if (node.is_object()) {
    for (const auto& [name, child] : node.items()) {
      if (name == key || ContainsKeyAnywhere(child, key)) return true;
    }
  } else if (node.is_array()) {
    for (const json& child : node) {
      if (ContainsKeyAnywhere(child, key)) return true;
    }
  }
  return false;
}

TEST_F(LlmRequestShapeTest, OpenAiChatCompletionsWithStrictJsonSchema) {
  auto sent = Send("openai");
  EXPECT_EQ(sent.path, "/v1/chat/completions");
  EXPECT_EQ(sent.headers["authorization"], std::string("Bearer ") + kKey);
  EXPECT_EQ(sent.headers["content-type"], "application/json");
  json body = json::parse(sent.body);
  EXPECT_EQ(body["model"], "gpt-4o-mini");
  EXPECT_EQ(body["messages"][0]["role"], "system");
  EXPECT_EQ(body["messages"][0]["content"], "You extract events.");
  EXPECT_EQ(body["messages"][1]["role"], "user");
  EXPECT_NE(body["messages"][1]["content"].get<std::string>().find("<messages>"),
            std::string::npos);
  EXPECT_EQ(body["response_format"]["type"], "json_schema");
  EXPECT_EQ(body["response_format"]["json_schema"]["strict"], true);
  EXPECT_FALSE(body["response_format"]["json_schema"]["name"].get<std::string>().empty());
  EXPECT_EQ(body["response_format"]["json_schema"]["schema"], EventSchema());
  EXPECT_EQ(body["max_tokens"], 512);  // a compatible server: max_tokens, not max_completion_
  EXPECT_FALSE(body.contains("max_completion_tokens"));
}

TEST_F(LlmRequestShapeTest, OpenAiCompatibleServerNeedsNoKey) {
  auto sent = Send("openai", "");
  EXPECT_EQ(sent.headers.count("authorization"), 0u);
}

TEST_F(LlmRequestShapeTest, GeminiGenerateContentWithResponseSchema) {
  auto sent = Send("gemini");
  EXPECT_EQ(sent.path, "/v1beta/models/gemini-2.0-flash:generateContent");
  EXPECT_EQ(sent.headers["x-goog-api-key"], kKey);
  EXPECT_EQ(sent.path.find("key="), std::string::npos);  // never in the URL
  json body = json::parse(sent.body);
  EXPECT_EQ(body["systemInstruction"]["parts"][0]["text"], "You extract events.");
  EXPECT_EQ(body["contents"][0]["role"], "user");
  EXPECT_NE(body["contents"][0]["parts"][0]["text"].get<std::string>().find("<messages>"),
            std::string::npos);
  const json& config = body["generationConfig"];
  EXPECT_EQ(config["responseMimeType"], "application/json");
  EXPECT_EQ(config["maxOutputTokens"], 512);
  const json& schema = config["responseSchema"];
  EXPECT_EQ(schema["type"], "OBJECT");
  EXPECT_EQ(schema["properties"]["events"]["type"], "ARRAY");
  const json& item = schema["properties"]["events"]["items"];
  EXPECT_EQ(item["properties"]["type"]["enum"], json::array({"funding", "other"}));
  EXPECT_EQ(item["properties"]["timeline"]["type"], "STRING");
  EXPECT_EQ(item["properties"]["timeline"]["nullable"], true);
  EXPECT_FALSE(ContainsKeyAnywhere(schema, "additionalProperties"));
}

TEST_F(LlmRequestShapeTest, AnthropicMessagesWithOneForcedTool) {
  auto sent = Send("anthropic");
  EXPECT_EQ(sent.path, "/v1/messages");
  EXPECT_EQ(sent.headers["x-api-key"], kKey);
  EXPECT_EQ(sent.headers["anthropic-version"], "2023-06-01");
  json body = json::parse(sent.body);
  EXPECT_EQ(body["model"], "claude-3-5-haiku-latest");
  // The system prompt is one text block marked as a cache breakpoint: Anthropic renders tools
  // before system, so the schema (tool) and the system prompt form the cached prefix; the user
  // message after it carries no marker.
  ASSERT_TRUE(body["system"].is_array()) << body.dump();
  ASSERT_EQ(body["system"].size(), 1u);
  EXPECT_EQ(body["system"][0]["type"], "text");
  EXPECT_EQ(body["system"][0]["text"], "You extract events.");
  EXPECT_EQ(body["system"][0]["cache_control"], json({{"type", "ephemeral"}}));
  EXPECT_EQ(body["messages"][0]["role"], "user");
  EXPECT_FALSE(ContainsKeyAnywhere(body["messages"], "cache_control"));
  EXPECT_EQ(body["max_tokens"], 512);
  ASSERT_EQ(body["tools"].size(), 1u);
  EXPECT_EQ(body["tools"][0]["name"], "record_events");
  EXPECT_EQ(body["tools"][0]["input_schema"], EventSchema());
  EXPECT_EQ(body["tool_choice"], json({{"type", "tool"}, {"name", "record_events"}}));
}

// ---- Factory -----------------------------------------------------------------------------

TEST(LlmClientFactory, RejectsUnknownProvidersAndMissingKeys) {
  llm::LlmClientOptions options;
  options.provider = "rules";
  EXPECT_EQ(llm::MakeLlmClient(options).status().code(), StatusCode::kInvalidArgument);
  for (const char* provider : {"gemini", "anthropic", "openai"}) {
    options.provider = provider;  // public endpoint, no key
    EXPECT_EQ(llm::MakeLlmClient(options).status().code(), StatusCode::kFailedPrecondition);
  }
  options.provider = "openai";
  options.base_url = "ftp://example.com";
  EXPECT_EQ(llm::MakeLlmClient(options).status().code(), StatusCode::kInvalidArgument);
}

TEST(LlmClientFactory, DefaultsAndNormalisedBaseUrl) {
  test::FakeLlmServer server;
  ASSERT_TRUE(server.Start().ok());
  llm::LlmClientOptions options;
  options.provider = "openai";
  options.base_url = server.base_url() + "/v1/";  // as Ollama documents it
  options.model = "llama3.1:8b";
  auto client = llm::MakeLlmClient(options);
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  EXPECT_EQ((*client)->model(), "llama3.1:8b");
  ASSERT_TRUE((*client)->Complete(MakeRequest()).ok());
  EXPECT_EQ(server.requests().at(0).path, "/v1/chat/completions");
}

}  // namespace
}  // namespace ms
