// Redaction: each kind, the things that must survive, linear behaviour on hostile input, and a
// property test over generated chatter with planted PII through PreparePrompts (invariant 5).
#include "pipeline/redact.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "pipeline/prompt.h"

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

class PiiGenerator {
 public:
  explicit PiiGenerator(uint64_t seed) : rng_(seed) {}

  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  char Digit() { return static_cast<char>('0' + Int(0, 9)); }
  char From(std::string_view alphabet) {
    return alphabet[static_cast<size_t>(Int(0, static_cast<int>(alphabet.size()) - 1))];
  }
  std::string Many(std::string_view alphabet, int count) {
    std::string out;
    for (int idx = 0; idx < count; ++idx) out.push_back(From(alphabet));
    return out;
  }
  std::string Digits(int count) { return Many("0123456789", count); }

  std::string Email() {
    constexpr std::string_view kAlnum = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string local = Many(kAlnum, Int(1, 3));
    for (int part = Int(0, 2); part > 0; --part) local += From("._+-") + Many(kAlnum, Int(1, 8));
    std::string domain = Many(kAlnum, Int(2, 10));
    for (int part = Int(0, 2); part > 0; --part) domain += "." + Many(kAlnum, Int(2, 8));
    std::string email = local + "@" + domain + "." + Many("abcdefghijklmnopqrstuvwxyz", Int(2, 6));
    if (Int(0, 4) == 0) {
      for (char& c : email) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    }
    return email;
  }

  std::string Phone() {
    switch (Int(0, 10)) {
      case 0:
        return "+" + std::to_string(Int(1, 99)) + " " + Digits(3) + " " + Digits(3) + " " +
               Digits(4);
      case 1:
        return "+" + std::to_string(Int(1, 99)) + "-" + Digits(2) + "-" + Digits(4) + "-" +
               Digits(4);
      case 2:
        return "+44 (0)" + Digits(2) + " " + Digits(4) + " " + Digits(4);
      case 3:
        return "(" + Digits(3) + ") " + Digits(3) + "-" + Digits(4);
      case 4:
        return Digits(3) + "-" + Digits(3) + "-" + Digits(4);
      case 5:
        return Digits(3) + "." + Digits(3) + "." + Digits(4);
      case 6:
        return "0" + Digits(2) + " " + Digits(4) + " " + Digits(4);
      case 7:
        return "0" + Digits(4) + " " + Digits(6);
      case 8:
        return "+" + std::to_string(Int(1, 9)) + Digits(10);
      case 9:
        return "1-800-" + Digits(3) + "-" + Digits(4);
      default:
        return Digits(3) + " " + Digits(3) + " " + Digits(4);
    }
  }

  // Luhn-valid (or, with !valid, a run no window of which passes Luhn).
  std::string CardDigits(bool valid, int length) {
    while (true) {
      std::string digits = std::string(1, From("3456")) + Digits(length - 2);
      for (char check = '0'; check <= '9'; ++check) {
        if (LuhnValid(digits + check) == valid) {
          digits.push_back(check);
          break;
        }
      }
      if (valid || NoValidWindow(digits)) return digits;
    }
  }

  std::string GroupBy4(const std::string& digits, char separator) {
    std::string out;
    for (size_t idx = 0; idx < digits.size(); ++idx) {
      if (idx > 0 && idx % 4 == 0) out.push_back(separator);
      out.push_back(digits[idx]);
    }
    return out;
  }

  std::string Card() {
    std::string digits = CardDigits(true, Int(13, 19));
    int style = Int(0, 2);
    return style == 0 ? digits : GroupBy4(digits, style == 1 ? ' ' : '-');
  }

  // Luhn-invalid runs the redactor must leave alone: contiguous 13..19 digits, or 16..19
  // digits printed in groups of four.
  std::string InvalidCard() {
    bool grouped = Int(0, 1) == 1;
    std::string digits = CardDigits(false, grouped ? Int(16, 19) : Int(13, 19));
    return grouped ? GroupBy4(digits, ' ') : digits;
  }

  std::string Key() {
    constexpr std::string_view kB64 =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    constexpr std::string_view kUrl =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    switch (Int(0, 9)) {
      case 0:
        return "sk-" + WithDigits(kB64, 48);
      case 1:
        return "sk-ant-api03-" + WithDigits(kUrl, 80);
      case 2:
        return "sk-proj-" + WithDigits(kUrl, 56);
      case 3:
        return "AIza" + Many(kUrl, 35);
      case 4:
        return "ghp_" + Many(kB64, 36);
      case 5:
        return "xoxb-" + Digits(12) + "-" + Digits(13) + "-" + Many(kB64, 24);
      case 6:
        return "AKIA" + Many("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16);
      case 7:
        return WithDigits("0123456789abcdef", Int(32, 64));
      case 8:
        return WithDigits(kB64, Int(40, 64));
      default:
        return "Bearer " + WithDigits(kUrl, Int(20, 40));
    }
  }

  std::string Iban() {
    struct Country {
      const char* code;
      int length;
    };
    constexpr Country kCountries[] = {{"DE", 22}, {"GB", 22}, {"FR", 27}, {"ES", 24}, {"IT", 27},
                                      {"NL", 18}, {"BE", 16}, {"CH", 21}, {"NO", 15}, {"PL", 28}};
    const Country& country = kCountries[Int(0, 9)];
    std::string bban = Many("ABCDEFGHIJKLMNOPQRSTUVWXYZ", Int(0, 1) * 4);
    bban += Digits(country.length - 4 - static_cast<int>(bban.size()));
    int check = 98 - Mod97(bban + country.code + "00");
    std::string compact =
        std::string(country.code) + (check < 10 ? "0" : "") + std::to_string(check) + bban;
    return Int(0, 1) ? compact : GroupBy4(compact, ' ');
  }

 private:
  // Mirrors what the card detector may consider in a run printed in groups of four: every
  // window of whole groups with 13..19 digits, the whole run excepted.
  static bool NoValidWindow(const std::string& digits) {
    std::vector<size_t> sizes;
    for (size_t at = 0; at < digits.size(); at += 4)
      sizes.push_back(std::min<size_t>(4, digits.size() - at));
    for (size_t first = 0; first < sizes.size(); ++first) {
      size_t begin = first * 4;
      size_t length = 0;
      for (size_t last = first; last < sizes.size(); ++last) {
        length += sizes[last];
        if (first == 0 && last + 1 == sizes.size()) continue;
        if (length >= 13 && length <= 19 && LuhnValid(digits.substr(begin, length))) return false;
      }
    }
    return true;
  }

  static int Mod97(const std::string& text) {
    int remainder = 0;
    for (char c : text) {
      remainder =
          c >= 'A' ? (remainder * 100 + (c - 'A' + 10)) % 97 : (remainder * 10 + (c - '0')) % 97;
    }
    return remainder;
  }

  // Random token with at least two digits and two letters, as real keys have.
  std::string WithDigits(std::string_view alphabet, int length) {
    while (true) {
      std::string token = Many(alphabet, length);
      int digits = 0;
      int letters = 0;
      for (char c : token) {
        digits += c >= '0' && c <= '9';
        letters += (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      }
      if (digits >= 2 && letters >= 2) return token;
    }
  }

  std::mt19937_64 rng_;
};

constexpr const char* kChatter[] = {
    "Morning all, standup in 10 minutes.",
    "MRR just crossed $192,400, up +12.5% MoM.",
    "Reach me at",
    "or call",
    "Card on file:",
    "Key for staging is",
    "wire to",
    "We now have 25,000 weekly active users.",
    "Ship it by Q3 2025 (v2.4.1).",
    "Thanks!",
    "Delta Airlines agreed to a 3-year contract, $1.4M ACV, 4,000 seats.",
    "ping",
    "AWS"};
constexpr const char* kJoiners[] = {" ", ", ", " (", ": ", "\n", " - ", " <", " \"", "\n\n"};

// What was planted in one message.
struct Planted {
  std::vector<std::string> secrets;    // must not reach the prompt
  std::vector<std::string> survivors;  // must reach it unchanged
};

BatchMessage PlantMessage(PiiGenerator& gen, int64_t id, Planted* planted) {
  BatchMessage message;
  message.id = id;
  message.source = gen.Int(0, 1) ? Source::kSlack : Source::kGmail;
  message.sent_at_ms = 1762000000000 + id * 60000;
  message.sender = "Sarah (CTO)";
  if (gen.Int(0, 3) == 0) {
    std::string email = gen.Email();
    message.sender = "Ana <" + email + ">";
    planted->secrets.push_back(email);
  }
  for (int part = gen.Int(2, 6); part > 0; --part) {
    message.text += kChatter[gen.Int(0, 12)];
    message.text += kJoiners[gen.Int(0, 8)];
    std::string value;
    int kind = gen.Int(0, 5);
    switch (kind) {
      case 0:
        value = gen.Email();
        break;
      case 1:
        value = gen.Phone();
        break;
      case 2:
        value = gen.Card();
        break;
      case 3:
        value = gen.Key();
        break;
      case 4:
        value = gen.Iban();
        break;
      default:
        value = gen.InvalidCard();
        break;
    }
    (kind == 5 ? planted->survivors : planted->secrets).push_back(value);
    message.text += value;
    message.text += kJoiners[gen.Int(0, 8)];
  }
  if (message.source == Source::kGmail) message.subject = "Update " + std::to_string(id);
  return message;
}

struct PlantedBatch {
  ExtractionRequest request;
  std::vector<Planted> planted;  // by message id
};

PlantedBatch PlantBatch(PiiGenerator& gen, int64_t batch_id, int messages) {
  PlantedBatch batch{{batch_id, "acme", {}}, std::vector<Planted>(static_cast<size_t>(messages))};
  for (int64_t id = 0; id < messages; ++id) {
    batch.request.messages.push_back(
        PlantMessage(gen, id, &batch.planted[static_cast<size_t>(id)]));
  }
  return batch;
}

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

// No 8-byte window of a value may appear: catches partial redaction too.
bool Leaks(const std::string& line, const std::string& secret) {
  size_t window = std::min<size_t>(8, secret.size());
  for (size_t at = 0; at + window <= secret.size(); ++at) {
    if (line.find(secret.substr(at, window)) != std::string::npos) return true;
  }
  return false;
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
