// Redaction: each kind, the things that must survive, linear behaviour on hostile input, and a
// property test over generated chatter with planted PII through PreparePrompts (invariant 5).
#include "pipeline/extract/redact.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "pipeline/extract/prompt.h"
#include "tests/support/pii_plant.h"

namespace ms {
namespace {

std::string R(std::string_view text) {
  return Redact(text).text;
}

TEST(Redact, Emails) {
  EXPECT_EQ(R("mail john.doe+deals@example.co.uk now"), "mail [EMAIL] now");
  EXPECT_EQ(R("<Jane_Roe@mail.scaleflow.ai>, ok."), "<[EMAIL]>, ok.");
  EXPECT_EQ(R("contact:a@b.io."), "contact:[EMAIL].");
  EXPECT_EQ(R("x@localhost and @handle and a@b.c"), "x@localhost and @handle and a@b.c");
}

TEST(Redact, PhoneFormats) {
  for (std::string phone : {"+1 (555) 123-4567", "+44 20 7946 0958", "+49-30-1234567",
                            "+33 1 23 45 67 89", "+15551234567", "(555) 123-4567", "555-123-4567",
                            "555.123.4567", "020 7946 0958", "07700 900123", "1-800-555-1234",
                            "555 123 4567", "5551234567", "555-1234", "+44 (0)20 7946 0958"}) {
    EXPECT_EQ(R("call " + phone + " today"), "call [PHONE] today") << phone;
  }
}

TEST(Redact, OrdinaryNumbersSurvive) {
  for (std::string text : {"Total MRR: $192,400 (+12.5% WoW).",
                           "25,000 concurrent WebSockets",
                           "in 2025 and 2026",
                           "2025-11-01 08:30:15",
                           "01.11.2025",
                           "from 2020-2024",
                           "v2.4.1 and 0.21.1",
                           "192.168.100.200",
                           "1.000.000 rows",
                           "PR #5644",
                           "50MB/hour",
                           "0.0127%",
                           "99.99% uptime",
                           "$14322 (+7%)",
                           "Series A at $80M",
                           "db-prod-01",
                           "1,850 upvotes and 4,200 signups",
                           "ticket 2025 12000",
                           "Oct 25 to Nov 1",
                           "#12345678901",
                           "$5551234567"}) {
    EXPECT_EQ(R(text), text);
  }
}

TEST(Redact, CardsNeedLuhn) {
  EXPECT_EQ(R("card 4111 1111 1111 1111 exp"), "card [CARD] exp");
  EXPECT_EQ(R("card 4111-1111-1111-1111."), "card [CARD].");
  EXPECT_EQ(R("amex 378282246310005"), "amex [CARD]");
  EXPECT_EQ(R("mc 5555555555554444, cvv 123"), "mc [CARD], cvv 123");
  EXPECT_EQ(R("visa 4111 1111 1111 1111 12/27"), "visa [CARD] 12/27");
  EXPECT_EQ(R("ref 12 4111 1111 1111 1111 12/27"), "ref 12 [CARD] 12/27");
  // Luhn-invalid runs are numbers, not cards (and too long for phones).
  EXPECT_EQ(R("ref 4111 1111 1111 1112"), "ref 4111 1111 1111 1112");
  EXPECT_EQ(R("ref 4111111111111112"), "ref 4111111111111112");
  EXPECT_EQ(R("ms 1762000000123"), "ms 1762000000123");
}

TEST(Redact, Secrets) {
  EXPECT_EQ(R("key sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8t done"), "key [SECRET] done");
  EXPECT_EQ(R("sk-ant-api03-abcDEF123ghiJKL456mnoPQR789stu-xyz_AA"), "[SECRET]");
  EXPECT_EQ(R("AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW"), "[SECRET]");
  EXPECT_EQ(R("ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0dF3gHj"), "[SECRET]");
  EXPECT_EQ(R("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"), "[SECRET]");
  EXPECT_EQ(R("AKIAIOSFODNN7EXAMPLE"), "[SECRET]");
  EXPECT_EQ(R("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_1"),
            "Authorization: Bearer [SECRET]");
  EXPECT_EQ(R("DB_PASSWORD=hunter2!x and \"api_key\": \"abc123def456\""),
            "DB_PASSWORD=[SECRET] and \"api_key\": \"[SECRET]\"");
  EXPECT_EQ(R("-----BEGIN RSA PRIVATE KEY----- MIIEpAIB -----END RSA PRIVATE KEY----- after"),
            "[SECRET] after");
  EXPECT_EQ(R("sha 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 x"),
            "sha [SECRET] x");
  EXPECT_EQ(R("tok Zx9Qw2Er7Ty4Ui1Op8As5Df3Gh6Jk0LmNbVcX2zQ9 x"), "tok [SECRET] x");
}

TEST(Redact, SecretLookalikesSurvive) {
  for (std::string text :
       {"risk-averse task-force", "sk-learn-is-a-python-library", "bearer of bad news",
        "Bearer authentication", "password: please", "token: we need it",
        "tenant_id_deleted_at_composite_index_2025", "Q1_2025_board_deck_final_v3_REVISED",
        "production-database-cluster-east-1-replica-02", "/v2/transactions/filter_query/admin",
        "getUserAccountSettingsByIdAndTenant2024", "ScaleFlow_Series_A_Data_Room_2025_Q4_final"}) {
    EXPECT_EQ(R(text), text);
  }
}

TEST(Redact, Ibans) {
  EXPECT_EQ(R("IBAN DE89 3704 0044 0532 0130 00, thanks"), "IBAN [IBAN], thanks");
  EXPECT_EQ(R("to GB82WEST12345698765432."), "to [IBAN].");
  EXPECT_EQ(R("FR14 2004 1010 0505 0001 3M02 606 BIC"), "[IBAN] BIC");
  EXPECT_EQ(R("DE89 3704 0044 0532 0130 01"), "DE89 3704 0044 0532 0130 01");  // bad check
}

TEST(Redact, CountsPerKind) {
  RedactionResult result = Redact(
      "a@b.io c@d.io 555-123-4567 4111111111111111 AKIAIOSFODNN7EXAMPLE GB82WEST12345698765432");
  EXPECT_EQ(result.counts[PiiKind::kEmail], 2);
  EXPECT_EQ(result.counts[PiiKind::kPhone], 1);
  EXPECT_EQ(result.counts[PiiKind::kCard], 1);
  EXPECT_EQ(result.counts[PiiKind::kSecret], 1);
  EXPECT_EQ(result.counts[PiiKind::kIban], 1);
  EXPECT_EQ(result.counts.total(), 6);
  EXPECT_EQ(result.text, "[EMAIL] [EMAIL] [PHONE] [CARD] [SECRET] [IBAN]");
  EXPECT_EQ(R("ref 12 4111 1111 1111 1111 ok"), "ref 12 [CARD] ok");
}

TEST(Redact, KeepsUtf8AndIsIdempotent) {
  std::string text =
      "Caf\xc3\xa9 \xe2\x80\x94 r\xc3\xa9sum\xc3\xa9 jos\xc3\xa9@example.com \xf0\x9f\x9a\x80";
  std::string once = R(text);
  EXPECT_EQ(once, "Caf\xc3\xa9 \xe2\x80\x94 r\xc3\xa9sum\xc3\xa9 [EMAIL] \xf0\x9f\x9a\x80");
  EXPECT_EQ(R(R("x a@b.io 555-123-4567 password=abc123!")),
            R("x a@b.io 555-123-4567 password=abc123!"));
}

TEST(Redact, LuhnAndIbanChecks) {
  EXPECT_TRUE(LuhnValid("4111111111111111"));
  EXPECT_TRUE(LuhnValid("79927398713"));
  EXPECT_FALSE(LuhnValid("4111111111111112"));
  EXPECT_FALSE(LuhnValid("41a1"));
  EXPECT_FALSE(LuhnValid(""));
  EXPECT_TRUE(IbanValid("DE89370400440532013000"));
  EXPECT_TRUE(IbanValid("NO9386011117947"));
  EXPECT_FALSE(IbanValid("DE89370400440532013001"));
  EXPECT_FALSE(IbanValid("de89370400440532013000"));
  EXPECT_FALSE(IbanValid("DE8937040044"));
}

// Hostile inputs: every detector is bounded or consumes what it scans, so these finish fast
// (a quadratic scan of 200 KB would not finish within the test timeout).
TEST(Redact, HostileInputsStayLinear) {
  std::string at_signs(200000, '@');
  std::string dotted;
  std::string spaced_digits;
  std::string long_local(200000, 'a');
  std::string dashes;
  std::string begins;
  for (int idx = 0; idx < 40000; ++idx) {
    dotted += "a.";
    spaced_digits += "1 ";
    dashes += "--- ";
    begins += "-----BEGIN X ";
  }
  long_local += "@example.com";
  EXPECT_EQ(R(at_signs), at_signs);
  EXPECT_EQ(R(dotted), dotted);
  EXPECT_EQ(R(spaced_digits), spaced_digits);
  EXPECT_EQ(R(long_local), "[EMAIL]");
  EXPECT_EQ(R(dashes), dashes);
  EXPECT_EQ(R(begins), begins);
  std::string token(300000, 'A');
  EXPECT_EQ(R(token), token);
}

// ---- Property: planted PII never reaches an LLM request body (design §4 invariant 5) --------

using test::Leaks;
using test::PiiGenerator;
using test::PlantBatch;
using test::PlantedBatch;

// Each message's prompt line, by message id. Checking a message's values against its own line
// keeps digit fragments of one message from colliding with another message's numbers.
std::vector<std::string> LinesByMessage(const std::vector<PreparedPrompt>& prompts, size_t count) {
  std::vector<std::string> lines(count);
  for (const PreparedPrompt& prompt : prompts) {
    std::string_view user = prompt.request.user;
    size_t begin = user.find("<messages>\n") + 11;
    size_t end = user.find("</messages>");
    for (size_t at = begin; at < end;) {
      size_t newline = user.find('\n', at);
      std::string_view line = user.substr(at, newline - at);
      size_t index = std::stoul(std::string(line.substr(0, line.find('|'))));
      lines[static_cast<size_t>(prompt.index_to_message_id.at(index))] = std::string(line);
      at = newline + 1;
    }
  }
  return lines;
}

// Checks every planted value of `batch` against the prompts; returns the number of secrets.
int CheckPrompts(const PlantedBatch& batch, const std::vector<PreparedPrompt>& prompts,
                 bool check_survivors) {
  std::vector<std::string> lines = LinesByMessage(prompts, batch.planted.size());
  int checked = 0;
  for (size_t id = 0; id < lines.size(); ++id) {
    const BatchMessage& message = batch.request.messages[id];
    std::string context =
        "\nraw: " + message.sender + " | " + message.text + "\nline: " + lines[id];
    for (const std::string& secret : batch.planted[id].secrets) {
      EXPECT_FALSE(Leaks(lines[id], secret)) << "leaked: " << secret << context;
      ++checked;
    }
    for (const std::string& survivor : batch.planted[id].survivors) {
      if (!check_survivors) break;
      EXPECT_NE(lines[id].find(survivor), std::string::npos)
          << "Luhn-invalid run changed: " << survivor << context;
    }
  }
  for (const PreparedPrompt& prompt : prompts) {
    EXPECT_EQ(prompt.request.system, ExtractionSystemPrompt());
  }
  return checked;
}

TEST(RedactProperty, PlantedPiiNeverReachesThePrompt) {
  PiiGenerator gen(20251101);
  int checked = 0;
  for (int round = 0; round < 60 && !HasFailure(); ++round) {
    PlantedBatch batch = PlantBatch(gen, round, 50);
    PromptOptions options;
    options.prefilter = false;  // every message reaches the prompt
    options.max_message_chars = 100000;
    std::vector<PreparedPrompt> prompts = PreparePrompts(batch.request, options);
    checked += CheckPrompts(batch, prompts, /*check_survivors=*/true);
    EXPECT_NE(prompts.front().request.user.find("$192,400"), std::string::npos);
  }
  EXPECT_GT(checked, 5000);
}

TEST(RedactProperty, TrimmedAndChunkedPromptsLeakNothingEither) {
  PiiGenerator gen(7);
  for (int round = 0; round < 20 && !HasFailure(); ++round) {
    PlantedBatch batch = PlantBatch(gen, round, 40);
    PromptOptions options;
    options.prefilter = false;
    options.max_message_chars = static_cast<size_t>(gen.Int(20, 200));  // cuts through values
    options.max_prompt_tokens = 1300;
    std::vector<PreparedPrompt> prompts = PreparePrompts(batch.request, options);
    EXPECT_GT(prompts.size(), 1u);
    // Redaction runs before the cut, so a cut never exposes the head of a value.
    CheckPrompts(batch, prompts, /*check_survivors=*/false);
  }
}

}  // namespace
}  // namespace ms
