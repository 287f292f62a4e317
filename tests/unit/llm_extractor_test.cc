// The LLM extraction policy (design §5) over a scripted LlmClient and a fake clock: retry and
// backoff schedule with fixed jitter, Retry-After honoured and capped, rate-limit waits, the
// circuit breaker, the one repair attempt, fail-fast errors, the retry budget, usage sums, and
// the observations of every prompt and repair reaching the result.
#include "pipeline/extract/llm_extractor.h"

#include <gtest/gtest.h>

#include "fake_time.h"
#include "scripted_llm.h"

namespace ms {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using test::Answer;
using test::Failure;

constexpr const char* kGoodAnswer = R"({"events":[{"company_id":"acme","type":"funding",
  "title":"Closed $2M seed round","description":"Acme closed a $2M seed round.","impact":"",
  "metrics":[{"name":"amount_usd","value":"2000000"}],"timeline":"","severity":"high",
  "stakeholders":["Blue Ventures"],"sources":[0]}]})";

LlmResult Busy(std::optional<milliseconds> retry_after = std::nullopt) {
  return Failure(Unavailable("fake: HTTP 503"), retry_after);
}

ExtractionRequest Batch() {
  ExtractionRequest request;
  request.batch_id = 7;
  request.company_id = "acme";
  BatchMessage message;
  message.id = 4242;
  message.sender = "ana";
  message.text = "We closed our $2M seed round led by Blue Ventures today.";
  message.sent_at_ms = 1'700'000'000'000;
  request.messages.push_back(message);
  return request;
}

class LlmExtractorTest : public ::testing::Test {
 protected:
  LlmExtractorTest() {
    options_.prompt.prefilter = false;
    options_.backoff_base = 1000ms;
    options_.backoff_cap = 30000ms;
    options_.breaker_failures = 100;
  }

  std::unique_ptr<LlmExtractor> Make() {
    auto extractor =
        LlmExtractor::Create(&client_, options_, {&clock_, &sleeper_, [] { return 0.5; }});
    EXPECT_TRUE(extractor.ok()) << extractor.status().ToString();
    return extractor.ok() ? std::move(extractor).value() : nullptr;
  }

  test::FakeClock clock_;
  test::FakeSleeper sleeper_{&clock_};
  test::ScriptedClient client_;
  LlmPolicyOptions options_;
};

TEST_F(LlmExtractorTest, OneCallMapsEventsAndAccountsUsage) {
  client_.Then(Answer(kGoodAnswer));
  auto result = Make()->Extract(Batch());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result->events.size(), 1u);
  EXPECT_EQ(result->events[0].type, "funding");
  EXPECT_EQ(result->events[0].source_message_ids, std::vector<int64_t>{4242});
  EXPECT_EQ(result->llm_calls, 1);
  EXPECT_EQ(result->usage.prompt_tokens, 100);
  EXPECT_EQ(result->usage.completion_tokens, 20);
  EXPECT_EQ(result->provider, "fake");
  EXPECT_EQ(result->model, "fake-1-2024");
  EXPECT_TRUE(sleeper_.sleeps().empty());
  EXPECT_EQ(client_.requests().at(0).deadline, options_.call_deadline);
}

// An answer with one observation of `metric` on line 0, and no events.
std::string ObservationAnswer(const std::string& metric, double value) {
  return R"({"events":[],"observations":[{"metric":")" + metric + R"(","value":)" +
         std::to_string(value) + R"(,"unit":"usd","source":0}]})";
}

TEST_F(LlmExtractorTest, ObservationsInTheAnswerReachTheResult) {
  client_.Then(Answer(R"({"events":[],"observations":[
      {"metric":"mrr","value":262000,"unit":"USD","source":0},
      {"metric":"burn","value":90000,"unit":"USD","source":0},
      {"metric":"dau","value":"1.2k","unit":"count","source":0}]})"));
  auto result = Make()->Extract(Batch());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result->events.empty());
  ASSERT_EQ(result->observations.size(), 2u);
  EXPECT_EQ(result->observations[0].metric, "mrr");
  EXPECT_DOUBLE_EQ(result->observations[0].value, 262000);
  EXPECT_EQ(result->observations[0].unit, "USD");
  EXPECT_EQ(result->observations[0].source_message_id, 4242);
  EXPECT_EQ(result->observations[1].metric, "dau");
  EXPECT_DOUBLE_EQ(result->observations[1].value, 1200);
  EXPECT_EQ(result->rejected_events, 1) << "the unknown metric is counted as rejected";
}

TEST_F(LlmExtractorTest, ObservationsOfEveryChunkAreKept) {
  options_.prompt.max_prompt_tokens = 10;  // below the system prompt: one message per prompt
  ExtractionRequest request = Batch();
  BatchMessage second = request.messages[0];
  second.id = 4343;
  second.text = "MRR is now $300k.";
  request.messages.push_back(second);
  client_.Then(Answer(ObservationAnswer("arr", 2400000)));
  client_.Then(Answer(ObservationAnswer("mrr", 300000)));
  auto result = Make()->Extract(request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->llm_calls, 2);
  ASSERT_EQ(result->observations.size(), 2u);
  EXPECT_EQ(result->observations[0].metric, "arr");
  EXPECT_EQ(result->observations[0].source_message_id, 4242);
  EXPECT_EQ(result->observations[1].metric, "mrr");
  EXPECT_EQ(result->observations[1].source_message_id, 4343) << "line 0 of the second prompt";
}

TEST_F(LlmExtractorTest, RepairedAnswerContributesItsObservations) {
  // Valid observations in an answer that fails validation are not kept: the repair answers anew.
  client_.Then(Answer(
      R"({"events":"none","observations":[{"metric":"arr","value":1,"unit":"USD","source":0}]})"));
  client_.Then(Answer(ObservationAnswer("mrr", 262000)));
  auto result = Make()->Extract(Batch());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->llm_calls, 2);
  ASSERT_EQ(result->observations.size(), 1u);
  EXPECT_EQ(result->observations[0].metric, "mrr");
  EXPECT_EQ(result->observations[0].source_message_id, 4242);
}

TEST_F(LlmExtractorTest, RetriesWithExponentialBackoffAndFullJitter) {
  client_.Then(Busy(), 3);
  client_.Then(Answer(kGoodAnswer));
  auto extractor = Make();
  auto result = extractor->Extract(Batch());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->llm_calls, 4);
  // jitter 0.5 of min(cap, base * 2^n)
  EXPECT_EQ(sleeper_.sleeps(), (std::vector<milliseconds>{500ms, 1000ms, 2000ms}));
  EXPECT_EQ(extractor->policy().stats().retries, 3);
  EXPECT_EQ(extractor->policy().stats().failures, 3);
}

TEST_F(LlmExtractorTest, BackoffIsCapped) {
  options_.max_retries = 8;
  client_.Then(Busy(), 7);
  client_.Then(Answer(kGoodAnswer));
  ASSERT_TRUE(Make()->Extract(Batch()).ok());
  auto sleeps = sleeper_.sleeps();
  ASSERT_EQ(sleeps.size(), 7u);
  EXPECT_EQ(sleeps[4], 8000ms);
  EXPECT_EQ(sleeps[5], 15000ms);  // 0.5 * min(30 s, 32 s)
  EXPECT_EQ(sleeps[6], 15000ms);
}

TEST_F(LlmExtractorTest, RetryAfterIsHonouredAndCapped) {
  options_.max_server_delay = 60000ms;
  client_.Then(Busy(5000ms));
  client_.Then(Busy(100ms));     // shorter than the jittered backoff: backoff wins
  client_.Then(Busy(600000ms));  // ten minutes: capped
  client_.Then(Answer(kGoodAnswer));
  ASSERT_TRUE(Make()->Extract(Batch()).ok());
  EXPECT_EQ(sleeper_.sleeps(), (std::vector<milliseconds>{5000ms, 1000ms, 60000ms}));
}

TEST_F(LlmExtractorTest, RateLimitWaitsOnTheFakeClock) {
  options_.requests_per_minute = 2;
  options_.tokens_per_minute = 0;
  client_.Then(Answer(kGoodAnswer));
  auto extractor = Make();
  for (int batch = 0; batch < 3; ++batch) ASSERT_TRUE(extractor->Extract(Batch()).ok());
  EXPECT_EQ(sleeper_.sleeps(), std::vector<milliseconds>{30000ms});
  EXPECT_EQ(extractor->policy().stats().rate_limited_ms, 30000);
}

TEST_F(LlmExtractorTest, TokenBudgetWaitsForLargePrompts) {
  options_.requests_per_minute = 0;
  options_.tokens_per_minute = 12000;
  client_.Then(Answer(kGoodAnswer, "stop", 0, 0));  // no usage reported: no adjustment
  auto extractor = Make();
  ASSERT_TRUE(extractor->Extract(Batch()).ok());
  ASSERT_TRUE(extractor->Extract(Batch()).ok());  // each reserves prompt + 4096 output tokens
  ASSERT_TRUE(extractor->Extract(Batch()).ok());
  ASSERT_EQ(sleeper_.sleeps().size(), 1u);
  EXPECT_GT(sleeper_.sleeps()[0], 0ms);
}

TEST_F(LlmExtractorTest, BreakerOpensThenProbesThenCloses) {
  options_.breaker_failures = 3;
  options_.breaker_cooldown = 30000ms;
  options_.max_retries = 10;
  client_.Then(Busy(), 3);
  client_.Then(Answer(kGoodAnswer));
  auto extractor = Make();
  auto failed = extractor->Extract(Batch());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(failed.status().message().find("circuit breaker open"), std::string::npos)
      << failed.status().message();
  EXPECT_EQ(client_.requests().size(), 3u);
  EXPECT_EQ(extractor->breaker_state(), BreakerState::kOpen);

  auto rejected = extractor->Extract(Batch());  // fails fast, no call
  EXPECT_EQ(rejected.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(client_.requests().size(), 3u);
  EXPECT_EQ(extractor->policy().stats().breaker_rejections, 2);

  clock_.Advance(30000ms);
  EXPECT_EQ(extractor->breaker_state(), BreakerState::kHalfOpen);
  ASSERT_TRUE(extractor->Extract(Batch()).ok());
  EXPECT_EQ(extractor->breaker_state(), BreakerState::kClosed);
}

TEST_F(LlmExtractorTest, InvalidAnswerGetsOneRepairThatCanSucceed) {
  client_.Then(Answer(R"({"events":[{"type":"funding")", "stop", 100, 10));
  client_.Then(Answer(kGoodAnswer, "stop", 150, 30));
  auto result = Make()->Extract(Batch());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->events.size(), 1u);
  EXPECT_EQ(result->llm_calls, 2);
  EXPECT_EQ(result->usage.prompt_tokens, 250);
  EXPECT_EQ(result->usage.completion_tokens, 40);
  auto requests = client_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_NE(requests[1].user, requests[0].user);  // the repair request carries the error
  EXPECT_NE(requests[1].user.find(R"({"events":[{"type":"funding")"), std::string::npos);
  EXPECT_TRUE(sleeper_.sleeps().empty());  // a repair is not a retry
}

TEST_F(LlmExtractorTest, TruncatedAnswerRepairedOnceThenTheBatchFails) {
  client_.Then(Answer(R"({"events":[{"type":"fund)", "length"));
  client_.Then(Answer(R"({"events": "still wrong"})"));
  auto result = Make()->Extract(Batch());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("after one repair"), std::string::npos)
      << result.status().message();
  EXPECT_EQ(client_.requests().size(), 2u);
  EXPECT_NE(client_.requests()[1].user.find("finish_reason=length"), std::string::npos);
}

TEST_F(LlmExtractorTest, NonRetryableErrorsFailAtOnce) {
  for (auto [status, quota] :
       {std::pair{FailedPrecondition("fake: HTTP 429 (quota exhausted)"), true},
        {FailedPrecondition("fake: HTTP 401"), false},
        {InvalidArgument("fake: prompt exceeds the context window"), false}}) {
    test::ScriptedClient client;
    client.Then(Failure(status, 1000ms, quota));
    auto extractor =
        LlmExtractor::Create(&client, options_, {&clock_, &sleeper_, [] { return 0.5; }});
    ASSERT_TRUE(extractor.ok());
    auto result = (*extractor)->Extract(Batch());
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), status.code());
    EXPECT_EQ(client.requests().size(), 1u);
    EXPECT_EQ((*extractor)->breaker_state(), BreakerState::kClosed);
  }
  EXPECT_TRUE(sleeper_.sleeps().empty());
}

// A quota error fails its batch; the batches after it would fail the same way, so no call goes
// out for quota_pause: they are refused before a call (and handed back by the extract stage).
TEST_F(LlmExtractorTest, AQuotaErrorPausesCallsInsteadOfFailingEveryBatch) {
  options_.quota_pause = 600'000ms;
  client_.Then(Failure(FailedPrecondition("fake: HTTP 429 (insufficient_quota)"), 1000ms, true));
  client_.Then(Answer(kGoodAnswer));
  auto extractor = Make();
  auto first = extractor->Extract(Batch());
  ASSERT_FALSE(first.ok());
  EXPECT_EQ(first.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(extractor->ReadyIn(), 600'000ms);

  ExtractionResult spent;
  Status second = extractor->ExtractInto(Batch(), &spent);
  EXPECT_EQ(second.code(), StatusCode::kUnavailable) << second.ToString();
  EXPECT_NE(second.message().find("quota"), std::string::npos) << second.message();
  EXPECT_EQ(spent.llm_calls, 0) << "refused before a call";
  EXPECT_EQ(client_.requests().size(), 1u);

  clock_.Advance(600'000ms);
  EXPECT_EQ(extractor->ReadyIn(), 0ms);
  EXPECT_TRUE(extractor->Extract(Batch()).ok()) << "calls resume after the pause";
}

TEST_F(LlmExtractorTest, RetryBudgetIsPerBatch) {
  options_.max_retries = 2;
  client_.Then(Busy());
  auto extractor = Make();
  auto result = extractor->Extract(Batch());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(result.status().message().find("retry budget exhausted after 2 retries"),
            std::string::npos)
      << result.status().message();
  EXPECT_NE(result.status().message().find("batch 7"), std::string::npos);
  EXPECT_EQ(client_.requests().size(), 3u);
  // The next batch gets a fresh budget.
  client_.Then(Answer(kGoodAnswer));
  client_.Then(Answer(kGoodAnswer));
  EXPECT_TRUE(extractor->Extract(Batch()).ok());
}

TEST_F(LlmExtractorTest, ShutdownInterruptsTheBackoff) {
  client_.Then(Busy());
  sleeper_.Interrupt();
  auto result = Make()->Extract(Batch());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kCancelled) << "hand the batch back, not fail it";
  EXPECT_NE(result.status().message().find("interrupted"), std::string::npos);
  EXPECT_EQ(client_.requests().size(), 1u);
}

TEST_F(LlmExtractorTest, RejectsUnworkableOptions) {
  options_.max_concurrency = 0;
  EXPECT_EQ(LlmExtractor::Create(&client_, options_, {&clock_, &sleeper_, nullptr}).status().code(),
            StatusCode::kInvalidArgument);
  options_.max_concurrency = 1;
  EXPECT_EQ(LlmExtractor::Create(&client_, options_, {nullptr, &sleeper_, nullptr}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(LlmExtractorTest, ConcurrentBatchesShareOnePolicy) {
  options_.max_concurrency = 2;
  options_.requests_per_minute = 0;
  options_.tokens_per_minute = 0;
  client_.Then(Answer(kGoodAnswer));
  auto extractor = Make();
  std::vector<std::thread> workers;
  std::atomic<int> ok{0};
  for (int idx = 0; idx < 4; ++idx) {
    workers.emplace_back([&] {
      for (int batch = 0; batch < 10; ++batch) ok += extractor->Extract(Batch()).ok() ? 1 : 0;
    });
  }
  for (auto& worker : workers) worker.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_EQ(extractor->policy().stats().calls, 40);
  EXPECT_EQ(extractor->policy().in_flight(), 0);
}

}  // namespace
}  // namespace ms
