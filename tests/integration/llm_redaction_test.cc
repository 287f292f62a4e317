// Invariant 5 on the wire: generated batches with planted PII go through the LlmExtractor to the
// fake LLM server over real HTTP (loopback), for each provider, and no planted e-mail address,
// phone number, Luhn-valid card number, key or IBAN appears in any recorded request body —
// the repair request included, which carries back an answer that quotes a planted value.
// Luhn-invalid digit runs reach the model unchanged. The prompt-level property test with
// partial-leak windows is tests/unit/redact_test.cc; this one checks that nothing between the
// prompt and the socket (chunking, the repair, each provider's envelope) lets a value through.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "adapters/llm/llm_client_factory.h"
#include "pipeline/extract/llm_extractor.h"
#include "tests/fake_llm/fake_llm_server.h"
#include "tests/support/pii_plant.h"

namespace ms {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// Every string in a JSON body, decoded and joined by newlines: what the provider reads, whatever
// the JSON escaping of the raw bytes.
void CollectStrings(const json& node, std::string* out) {
  if (node.is_string()) {
    *out += node.get<std::string>();
    *out += '\n';
  } else if (node.is_structured()) {
    for (const json& child : node) CollectStrings(child, out);
  }
}

std::string DecodedText(const std::string& body) {
  std::string text;
  CollectStrings(json::parse(body), &text);
  return text;
}

std::string DigitsOnly(const std::string& value) {
  std::string digits;
  for (char c : value) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  return digits;
}

class LlmRedactionTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    auto port = server_.Start();
    ASSERT_TRUE(port.ok()) << port.status().ToString();
    llm::LlmClientOptions options;
    options.provider = GetParam();
    options.base_url = server_.base_url();
    options.api_key = "sk-test-secret-0123456789";
    auto client = llm::MakeLlmClient(options);
    ASSERT_TRUE(client.ok()) << client.status().ToString();
    client_ = std::move(client).value();
  }

  std::unique_ptr<LlmExtractor> MakeExtractor() {
    LlmPolicyOptions options;
    options.backoff_base = 1ms;
    options.call_deadline = 5s;
    options.prompt.prefilter = false;         // every message reaches a prompt
    options.prompt.max_prompt_tokens = 1600;  // several prompts per batch
    auto extractor = LlmExtractor::Create(client_.get(), options, {&clock_, &sleeper_, nullptr});
    EXPECT_TRUE(extractor.ok()) << extractor.status().ToString();
    return extractor.ok() ? std::move(extractor).value() : nullptr;
  }

  test::FakeLlmServer server_;
  std::unique_ptr<LlmClient> client_;
  SystemClock clock_;
  InterruptibleSleeper sleeper_;
};

INSTANTIATE_TEST_SUITE_P(Providers, LlmRedactionTest,
                         ::testing::Values("openai", "gemini", "anthropic"),
                         [](const auto& info) { return info.param; });

TEST_P(LlmRedactionTest, NoPlantedValueReachesAnyRequestBody) {
  std::unique_ptr<LlmExtractor> extractor = MakeExtractor();
  ASSERT_NE(extractor, nullptr);
  test::PiiGenerator gen(20261125);
  int secrets_checked = 0;
  int survivors_seen = 0;
  for (int round = 0; round < 8 && !HasFailure(); ++round) {
    test::PlantedBatch batch = test::PlantBatch(gen, round + 1, 40);
    // The first prompt's answer is broken and quotes a planted value: the repair request
    // carries that answer back, so it must be redacted on the way out too.
    std::string quoted;
    for (const test::Planted& planted : batch.planted) {
      if (!planted.secrets.empty()) {
        quoted = planted.secrets.front();
        break;
      }
    }
    test::FakeReply cut;  // invalid JSON: ends inside the first event
    cut.answer = R"({"events":[{"type":"other","title":"Contact )" + quoted + " today";
    server_.Reset();
    server_.Push(cut);

    auto result = extractor->Extract(batch.request);
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    std::vector<test::RecordedRequest> requests = server_.requests();
    ASSERT_GE(requests.size(), 3u) << "several prompts and one repair expected";

    std::string everything;  // raw bodies and their decoded strings
    for (const test::RecordedRequest& request : requests) {
      everything += request.body;
      everything += '\n';
      everything += DecodedText(request.body);
    }
    for (const test::Planted& planted : batch.planted) {
      for (const std::string& secret : planted.secrets) {
        ++secrets_checked;
        EXPECT_EQ(everything.find(secret), std::string::npos) << GetParam() << " sent " << secret;
        const std::string digits = DigitsOnly(secret);
        if (digits.size() >= 12 && digits.size() * 2 > secret.size()) {
          EXPECT_EQ(everything.find(digits), std::string::npos)
              << GetParam() << " sent the digits of " << secret;
        }
      }
      for (const std::string& survivor : planted.survivors) {
        ++survivors_seen;
        EXPECT_NE(everything.find(survivor), std::string::npos)
            << "Luhn-invalid run changed on the way: " << survivor;
      }
    }
  }
  EXPECT_GT(secrets_checked, 300);
  EXPECT_GT(survivors_seen, 20);
}

}  // namespace
}  // namespace ms
