// Generated chatter with planted PII (e-mail addresses, phone numbers, Luhn-valid card numbers,
// API keys, IBANs) and Luhn-invalid digit runs that must survive redaction, for the property
// tests that no planted value reaches a prompt (tests/unit/redact_test.cc) or an LLM request
// body on the wire (tests/integration/llm_redaction_test.cc). Header-only; deterministic per
// seed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/extract/redact.h"
#include "ports/extract.h"

namespace ms::test {

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

inline constexpr const char* kChatter[] = {
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
inline constexpr const char* kJoiners[] = {" ", ", ", " (", ": ", "\n", " - ", " <", " \"", "\n\n"};

// What was planted in one message.
struct Planted {
  std::vector<std::string> secrets;    // must not reach the prompt
  std::vector<std::string> survivors;  // must reach it unchanged
};

inline BatchMessage PlantMessage(PiiGenerator& gen, int64_t id, Planted* planted) {
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

inline PlantedBatch PlantBatch(PiiGenerator& gen, int64_t batch_id, int messages) {
  PlantedBatch batch{{batch_id, "acme", {}}, std::vector<Planted>(static_cast<size_t>(messages))};
  for (int64_t id = 0; id < messages; ++id) {
    batch.request.messages.push_back(
        PlantMessage(gen, id, &batch.planted[static_cast<size_t>(id)]));
  }
  return batch;
}

// No 8-byte window of a value may appear: catches partial redaction too.
inline bool Leaks(const std::string& line, const std::string& secret) {
  size_t window = std::min<size_t>(8, secret.size());
  for (size_t at = 0; at + window <= secret.size(); ++at) {
    if (line.find(secret.substr(at, window)) != std::string::npos) return true;
  }
  return false;
}

}  // namespace ms::test
