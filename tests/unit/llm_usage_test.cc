// How each provider's usage block reads into TokenUsage, prompt-cache counts included, and what
// that usage costs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/llm/anthropic_client.h"
#include "adapters/llm/gemini_client.h"
#include "adapters/llm/openai_client.h"
#include "pipeline/ledger/record.h"

namespace ms {
namespace {

using nlohmann::json;

TEST(LlmUsage, OpenAiCachedTokensArePartOfPromptTokens) {
  TokenUsage usage = llm::OpenAiUsage(json::parse(R"({
    "prompt_tokens": 2006, "completion_tokens": 300, "total_tokens": 2306,
    "prompt_tokens_details": {"cached_tokens": 1920, "audio_tokens": 0}})"));
  EXPECT_EQ(usage.prompt_tokens, 2006);
  EXPECT_EQ(usage.cached_prompt_tokens, 1920);
  EXPECT_EQ(usage.cache_write_tokens, 0);
  EXPECT_EQ(usage.completion_tokens, 300);
}

TEST(LlmUsage, OpenAiWithoutOrWithNullDetailsHasNoCachedTokens) {
  EXPECT_EQ(llm::OpenAiUsage(json::parse(R"({"prompt_tokens": 10, "completion_tokens": 2})"))
                .cached_prompt_tokens,
            0);
  TokenUsage usage = llm::OpenAiUsage(json::parse(
      R"({"prompt_tokens": 10, "completion_tokens": 2, "prompt_tokens_details": null})"));
  EXPECT_EQ(usage.prompt_tokens, 10);
  EXPECT_EQ(usage.cached_prompt_tokens, 0);
  EXPECT_EQ(llm::OpenAiUsage(json()).prompt_tokens, 0);
  // A server claiming more cached than prompt tokens is capped: cached is a part of the prompt.
  EXPECT_EQ(llm::OpenAiUsage(json::parse(R"({"prompt_tokens": 10,
                                             "prompt_tokens_details": {"cached_tokens": 50}})"))
                .cached_prompt_tokens,
            10);
}

TEST(LlmUsage, GeminiCachedContentIsPartOfThePromptCount) {
  TokenUsage usage = llm::GeminiUsage(json::parse(R"({
    "promptTokenCount": 18625, "candidatesTokenCount": 150, "thoughtsTokenCount": 38,
    "cachedContentTokenCount": 18010, "totalTokenCount": 18813})"));
  EXPECT_EQ(usage.prompt_tokens, 18625);
  EXPECT_EQ(usage.cached_prompt_tokens, 18010);
  EXPECT_EQ(usage.cache_write_tokens, 0);
  EXPECT_EQ(usage.completion_tokens, 188);
  EXPECT_EQ(llm::GeminiUsage(json::parse(R"({"promptTokenCount": 5})")).cached_prompt_tokens, 0);
}

TEST(LlmUsage, AnthropicCacheReadsAndWritesAreAddedToInputTokens) {
  TokenUsage usage = llm::AnthropicUsage(json::parse(R"({
    "input_tokens": 50, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 1800,
    "output_tokens": 120})"));
  EXPECT_EQ(usage.prompt_tokens, 1850);
  EXPECT_EQ(usage.cached_prompt_tokens, 1800);
  EXPECT_EQ(usage.cache_write_tokens, 0);
  EXPECT_EQ(usage.completion_tokens, 120);

  TokenUsage first = llm::AnthropicUsage(json::parse(R"({
    "input_tokens": 50, "cache_creation_input_tokens": 1800, "cache_read_input_tokens": 0,
    "output_tokens": 120})"));
  EXPECT_EQ(first.prompt_tokens, 1850);
  EXPECT_EQ(first.cached_prompt_tokens, 0);
  EXPECT_EQ(first.cache_write_tokens, 1800);

  TokenUsage plain = llm::AnthropicUsage(json::parse(R"({"input_tokens": 7, "output_tokens": 3})"));
  EXPECT_EQ(plain.prompt_tokens, 7);
  EXPECT_EQ(plain.cached_prompt_tokens + plain.cache_write_tokens, 0);
}

TEST(LlmUsage, UsagesAddUpFieldByField) {
  TokenUsage total{100, 10, 60, 0};
  total += TokenUsage{200, 20, 0, 150};
  EXPECT_EQ(total.prompt_tokens, 300);
  EXPECT_EQ(total.completion_tokens, 30);
  EXPECT_EQ(total.cached_prompt_tokens, 60);
  EXPECT_EQ(total.cache_write_tokens, 150);
}

TEST(EstimateCostUsd, PricesEachKindOfInputAtItsRate) {
  // 1M prompt = 0.5M plain + 0.3M cache reads + 0.2M cache writes; 0.1M completion.
  const TokenUsage usage{1'000'000, 100'000, 300'000, 200'000};
  EXPECT_DOUBLE_EQ(EstimateCostUsd(usage, 3.0, 15.0, 0.3), 1.5 + 0.09 + 0.75 + 1.5);
  // The cached rate equal to the input rate: only the writes' premium remains.
  EXPECT_DOUBLE_EQ(EstimateCostUsd(usage, 3.0, 15.0, 3.0), 1.5 + 0.9 + 0.75 + 1.5);
  EXPECT_DOUBLE_EQ(EstimateCostUsd(TokenUsage{1'000'000, 0}, 0.15, 0.6, 0.075), 0.15);
}

}  // namespace
}  // namespace ms
