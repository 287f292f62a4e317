// The daemon's extractor (app::MakeExtractor) over real HTTP against the fake LLM server, with
// its calls observed into Metrics: request latency and errors by HTTP status, and the wait a
// 429's Retry-After imposed. Needs no stack: only 127.0.0.1.
#include <gtest/gtest.h>

#include "app/extractor_factory.h"
#include "tests/fake_llm/fake_llm_server.h"

namespace ms {
namespace {

uint64_t Count(prometheus::Histogram& histogram) {
  return histogram.Collect().histogram.sample_count;
}

ExtractionRequest Batch() {
  ExtractionRequest request;
  request.batch_id = 1;
  request.company_id = "acme";
  request.messages.push_back(
      {1, Source::kSlack, "ana", "", "We closed our $2M seed round led by Blue Ventures.", 0});
  return request;
}

class LlmMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    config_.llm.provider = LlmProvider::kOpenAi;
    config_.llm.base_url = server_.base_url();
    config_.llm.model = "fake-model";
    config_.llm.api_key = Secret("sk-test-0123456789", "test");
    config_.llm.prefilter = false;
  }

  test::FakeLlmServer server_;
  Config config_;
  Metrics metrics_{{.version = "", .llm_providers = {"openai"}, .dlq_reasons = {}}};
};

TEST_F(LlmMetricsTest, EveryCallIsObservedByStatusAndRetryAfterCountsAsARateLimitWait) {
  test::FakeReply limited;
  limited.fault = test::Fault::kRateLimited;
  limited.retry_after = "1";
  server_.Push(limited);
  auto set = app::MakeExtractor(config_, &metrics_);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  auto result = (*set)->extractor->Extract(Batch());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(server_.request_count(), 2u);

  EXPECT_EQ(Count(metrics_.LlmRequestLatency("openai", 429)), 1u);
  EXPECT_EQ(Count(metrics_.LlmRequestLatency("openai", 200)), 1u);
  EXPECT_EQ(metrics_.LlmRequestErrors("openai", 429).Value(), 1);
  EXPECT_EQ(metrics_.LlmRequestErrors("openai", 200).Value(), 0);
  EXPECT_EQ(metrics_.LlmRateLimitWaits("openai").Value(), 1);
  EXPECT_GE(metrics_.LlmRateLimitWaitSeconds("openai").Value(), 1.0) << "Retry-After: 1";
  const std::string text = metrics_.Serialize();
  EXPECT_NE(text.find(R"(milestoned_llm_request_duration_seconds_count{provider="openai",)"
                      R"(status="429"} 1)"),
            std::string::npos)
      << text;
}

TEST_F(LlmMetricsTest, NoResponseIsStatusTransport) {
  server_.Stop();  // nothing listens on the port any more: connection refused
  config_.llm.max_retries = 0;
  auto set = app::MakeExtractor(config_, &metrics_);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_FALSE((*set)->extractor->Extract(Batch()).ok());
  EXPECT_EQ(Count(metrics_.LlmRequestLatency("openai", 0)), 1u);
  EXPECT_EQ(metrics_.LlmRequestErrors("openai", 0).Value(), 1);
  EXPECT_NE(metrics_.Serialize().find(
                R"(milestoned_llm_request_errors_total{provider="openai",status="transport"} 1)"),
            std::string::npos);
  EXPECT_EQ(metrics_.LlmRateLimitWaits("openai").Value(), 0);
}

}  // namespace
}  // namespace ms
