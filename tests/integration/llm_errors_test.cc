// The LLM adapter's pure helpers: server-given delays, error classification of the providers'
// error bodies, secret scrubbing, and the JSON Schema → Gemini responseSchema conversion.
#include "adapters/llm/llm_errors.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/llm/gemini_schema.h"
#include "adapters/llm/retry_after.h"

namespace ms::llm {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using std::chrono::milliseconds;

// 2015-10-21T07:28:00Z
constexpr milliseconds kNow{1445412480000};

TEST(RetryAfter, ParsesDatesAndDurations) {
  EXPECT_EQ(ParseHttpDate("Wed, 21 Oct 2015 07:28:00 GMT"), kNow);
  EXPECT_FALSE(ParseHttpDate("Wed, 21 Foo 2015 07:28:00 GMT"));
  EXPECT_FALSE(ParseHttpDate("tomorrow"));
  EXPECT_EQ(ParseRfc3339("2015-10-21T07:28:00Z"), kNow);
  EXPECT_EQ(ParseRfc3339("2015-10-21T09:28:01.5+02:00"), kNow + 1500ms);
  EXPECT_FALSE(ParseRfc3339("2015-13-21T07:28:00Z"));
  EXPECT_EQ(ParseGoDuration("6m0s"), 360000ms);
  EXPECT_EQ(ParseGoDuration("20ms"), 20ms);
  EXPECT_EQ(ParseGoDuration("1h2m3.5s"), 3723500ms);
  EXPECT_EQ(ParseGoDuration("37s"), 37000ms);
  EXPECT_FALSE(ParseGoDuration("5 minutes"));
  EXPECT_FALSE(ParseGoDuration(""));
}

TEST(RetryAfter, HeaderPrecedence) {
  EXPECT_EQ(RetryAfterFromHeaders({{"retry-after-ms", "250"}, {"retry-after", "9"}}, kNow), 250ms);
  EXPECT_EQ(RetryAfterFromHeaders({{"retry-after", "9"}}, kNow), 9000ms);
  EXPECT_EQ(RetryAfterFromHeaders({{"retry-after", "Wed, 21 Oct 2015 07:28:30 GMT"}}, kNow),
            30000ms);
  EXPECT_EQ(RetryAfterFromHeaders({{"retry-after", "Wed, 21 Oct 2015 07:00:00 GMT"}}, kNow), 0ms);
  EXPECT_FALSE(RetryAfterFromHeaders({{"retry-after", "soon"}}, kNow));
  EXPECT_FALSE(RetryAfterFromHeaders({}, kNow));
}

TEST(RetryAfter, RateLimitResetOfTheExhaustedLimit) {
  HttpHeaders openai = {{"x-ratelimit-remaining-requests", "12"},
                        {"x-ratelimit-reset-requests", "1s"},
                        {"x-ratelimit-remaining-tokens", "0"},
                        {"x-ratelimit-reset-tokens", "6m0s"}};
  EXPECT_EQ(RetryAfterFromHeaders(openai, kNow), 360000ms);
  HttpHeaders anthropic = {{"anthropic-ratelimit-requests-remaining", "0"},
                           {"anthropic-ratelimit-requests-reset", "2015-10-21T07:28:12Z"}};
  EXPECT_EQ(RetryAfterFromHeaders(anthropic, kNow), 12000ms);
}

HttpResponse Response(int status, std::string body, HttpHeaders headers = {}) {
  return {status, std::move(headers), std::move(body)};
}

TEST(ClassifyHttpError, StatusCodesMapToHowTheCallerReacts) {
  struct Case {
    int status;
    StatusCode code;
  };
  for (Case c :
       {Case{429, StatusCode::kUnavailable}, Case{500, StatusCode::kUnavailable},
        Case{502, StatusCode::kUnavailable}, Case{503, StatusCode::kUnavailable},
        Case{504, StatusCode::kUnavailable}, Case{529, StatusCode::kUnavailable},
        Case{401, StatusCode::kFailedPrecondition}, Case{403, StatusCode::kFailedPrecondition},
        Case{404, StatusCode::kFailedPrecondition}, Case{400, StatusCode::kInvalidArgument}}) {
    LlmError error = ClassifyHttpError("p", Response(c.status, "<html>oops</html>"), kNow, "");
    EXPECT_EQ(error.status.code(), c.code) << c.status << " " << error.status.ToString();
    EXPECT_EQ(error.http_status, c.status);
  }
}

TEST(ClassifyHttpError, QuotaExhaustionIsNotRetriedEvenOn429) {
  auto openai = ClassifyHttpError(
      "openai",
      Response(
          429,
          R"({"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","code":"insufficient_quota"}})"),
      kNow, "");
  EXPECT_TRUE(openai.quota_exhausted);
  EXPECT_EQ(openai.status.code(), StatusCode::kFailedPrecondition);
  auto anthropic = ClassifyHttpError(
      "anthropic",
      Response(
          400,
          R"({"type":"error","error":{"type":"invalid_request_error","message":"You have reached your specified API usage limits. You will regain access on 2025-01-01."}})"),
      kNow, "");
  EXPECT_TRUE(anthropic.quota_exhausted);
  auto billing = ClassifyHttpError(
      "anthropic",
      Response(402, R"({"type":"error","error":{"type":"billing_error","message":"x"}})"), kNow,
      "");
  EXPECT_TRUE(billing.quota_exhausted);
}

TEST(ClassifyHttpError, GeminiPerMinuteVersusDailyQuota) {
  const char* per_minute = R"({"error":{"code":429,"status":"RESOURCE_EXHAUSTED",
    "message":"You exceeded your current quota, please check your plan and billing details.",
    "details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[
      {"quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]},
      {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"42s"}]}})";
  auto minute = ClassifyHttpError("gemini", Response(429, per_minute), kNow, "");
  EXPECT_FALSE(minute.quota_exhausted);
  EXPECT_EQ(minute.status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(minute.retry_after, 42s);
  const char* daily =
      R"({"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"Quota exceeded",
    "details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[
      {"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]},
      {"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"3600s"}]}})";
  EXPECT_TRUE(ClassifyHttpError("gemini", Response(429, daily), kNow, "").quota_exhausted);
  const char* plain =
      R"({"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}})";
  auto busy = ClassifyHttpError("gemini", Response(429, plain, {{"retry-after", "3"}}), kNow, "");
  EXPECT_FALSE(busy.quota_exhausted);
  EXPECT_EQ(busy.retry_after, 3s);
}

TEST(ClassifyHttpError, ContextLengthIsInvalidArgument) {
  for (
      const char* body :
      {R"({"error":{"message":"too long","code":"context_length_exceeded"}})",
       R"({"error":{"message":"This model's maximum context length is 8192 tokens."}})",
       R"({"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 1 > 0"}})"}) {
    auto error = ClassifyHttpError("p", Response(400, body), kNow, "");
    EXPECT_EQ(error.status.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(error.status.message().find("context window"), std::string::npos);
  }
}

TEST(ClassifyHttpError, ScrubsTheKeyFromMessages) {
  auto error = ClassifyHttpError(
      "openai",
      Response(401, R"({"error":{"message":"Incorrect API key provided: sk-live-abcdef123456."}})"),
      kNow, "sk-live-abcdef123456");
  EXPECT_EQ(error.status.message().find("sk-live-abcdef123456"), std::string::npos);
  EXPECT_NE(error.status.message().find("[redacted]"), std::string::npos);
}

TEST(ClassifyTransportError, TimeoutsAndConnectionsAreRetryable) {
  EXPECT_EQ(ClassifyTransportError("p", DeadlineExceeded("t")).status.code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(ClassifyTransportError("p", Unavailable("refused")).status.code(),
            StatusCode::kUnavailable);
  EXPECT_EQ(ClassifyTransportError("p", ResourceExhausted("big")).status.code(),
            StatusCode::kFailedPrecondition);
}

TEST(GeminiSchema, UppercasesTypesAndDropsUnsupportedKeywords) {
  json schema = json::parse(R"({
    "$schema": "http://json-schema.org/draft-07/schema#", "title": "x",
    "type": "object", "additionalProperties": false, "required": ["a", "m"],
    "properties": {
      "a": {"type": "array", "minItems": 1, "items": {"type": "integer", "minimum": 0}},
      "n": {"type": ["number", "null"], "description": "d"},
      "m": {"type": "object", "additionalProperties": {"type": "string"}}}})");
  json expected = json::parse(R"({
    "type": "OBJECT", "required": ["a"],
    "properties": {
      "a": {"type": "ARRAY", "minItems": 1, "items": {"type": "INTEGER", "minimum": 0}},
      "n": {"type": "NUMBER", "nullable": true, "description": "d"}}})");
  EXPECT_EQ(ToGeminiSchema(schema), expected);
}

}  // namespace
}  // namespace ms::llm
