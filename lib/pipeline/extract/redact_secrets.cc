// Credential detectors: private keys, auth headers, key=value secrets, vendor-prefixed tokens,
// and generic high-entropy strings.
#include <algorithm>
#include <string>

#include "pipeline/extract/redact_internal.h"

namespace ms::redact_internal {
namespace {

enum class Charset {
  kAlnum,
  kAlnumUnderscore,
  kAlnumDash,
  kAlnumDashUnderscore,
  kUpperDigit,
  kJwt
};

bool InCharset(char c, Charset charset) {
  switch (charset) {
    case Charset::kAlnum:
      return ascii::IsAlnum(c);
    case Charset::kAlnumUnderscore:
      return ascii::IsAlnum(c) || c == '_';
    case Charset::kAlnumDash:
      return ascii::IsAlnum(c) || c == '-';
    case Charset::kAlnumDashUnderscore:
      return ascii::IsAlnum(c) || c == '-' || c == '_';
    case Charset::kUpperDigit:
      return IsUpper(c) || ascii::IsDigit(c);
    case Charset::kJwt:
      return ascii::IsAlnum(c) || c == '-' || c == '_' || c == '.';
  }
  return false;
}

struct SecretPrefix {
  std::string_view prefix;
  Charset body;
  size_t min_body;
  bool needs_digit;  // for prefixes that also begin ordinary hyphenated words
};

constexpr SecretPrefix kSecretPrefixes[] = {
    {"sk-", Charset::kAlnumDashUnderscore, 16, true},
    {"sk_live_", Charset::kAlnum, 16, false},
    {"sk_test_", Charset::kAlnum, 16, false},
    {"rk_live_", Charset::kAlnum, 16, false},
    {"rk_test_", Charset::kAlnum, 16, false},
    {"whsec_", Charset::kAlnum, 16, false},
    {"AIza", Charset::kAlnumDashUnderscore, 30, false},
    {"ghp_", Charset::kAlnum, 20, false},
    {"gho_", Charset::kAlnum, 20, false},
    {"ghu_", Charset::kAlnum, 20, false},
    {"ghs_", Charset::kAlnum, 20, false},
    {"ghr_", Charset::kAlnum, 20, false},
    {"github_pat_", Charset::kAlnumUnderscore, 20, false},
    {"xoxb-", Charset::kAlnumDash, 10, true},
    {"xoxp-", Charset::kAlnumDash, 10, true},
    {"xoxa-", Charset::kAlnumDash, 10, true},
    {"xoxr-", Charset::kAlnumDash, 10, true},
    {"xoxs-", Charset::kAlnumDash, 10, true},
    {"xoxe-", Charset::kAlnumDash, 10, true},
    {"AKIA", Charset::kUpperDigit, 16, false},
    {"ASIA", Charset::kUpperDigit, 16, false},
    {"glpat-", Charset::kAlnumDashUnderscore, 20, false},
    {"hf_", Charset::kAlnum, 30, false},
    {"npm_", Charset::kAlnum, 30, false},
    {"eyJ", Charset::kJwt, 17, false},
};

constexpr std::string_view kSecretKeySuffixes[] = {
    "password", "passwd",  "pwd",     "passphrase", "secret",     "token",
    "apikey",   "api_key", "api-key", "access_key", "secret_key", "private_key"};

bool WordStart(std::string_view text, size_t pos) {
  return pos == 0 ||
         !(ascii::IsAlnum(text[pos - 1]) || text[pos - 1] == '_' || text[pos - 1] == '-');
}

bool HasDigit(std::string_view text) {
  for (char c : text) {
    if (ascii::IsDigit(c)) return true;
  }
  return false;
}

size_t SkipSpaces(std::string_view text, size_t pos, size_t max) {
  size_t end = pos;
  while (end < text.size() && end - pos < max && text[end] == ' ') ++end;
  return end;
}

bool StartsWithIgnoreCase(std::string_view text, size_t pos, std::string_view word) {
  return text.size() - pos >= word.size() &&
         ascii::EqualsIgnoreCase(text.substr(pos, word.size()), word);
}

bool IsTokenChar(char c) {
  return ascii::IsAlnum(c) || c == '+' || c == '/' || c == '=' || c == '_' || c == '-';
}

// Whether a run of token characters reads as random rather than as words, a path or an
// identifier. Transitions are counted within the alphanumeric segments between separators.
bool LooksRandom(std::string_view run) {
  size_t alnum = 0, digits = 0, letters = 0, vowels = 0, hex = 0;
  size_t digit_letter_switches = 0, class_switches = 0;
  int prev_class = -1;  // 0 digit, 1 upper, 2 lower; -1 at a segment start
  for (char c : run) {
    if (!ascii::IsAlnum(c)) {
      prev_class = -1;
      continue;
    }
    ++alnum;
    int cls = ascii::IsDigit(c) ? 0 : (IsUpper(c) ? 1 : 2);
    digits += cls == 0;
    letters += cls != 0;
    char lower = ascii::ToLower(c);
    vowels += lower == 'a' || lower == 'e' || lower == 'i' || lower == 'o' || lower == 'u';
    hex += cls == 0 || (lower >= 'a' && lower <= 'f');
    if (prev_class >= 0 && cls != prev_class) {
      ++class_switches;
      digit_letter_switches += (cls == 0) != (prev_class == 0);
    }
    prev_class = cls;
  }
  if (alnum < 24 || digits < 2 || letters < 2) return false;
  if (hex == alnum && alnum >= 32) return true;
  double switch_rate = static_cast<double>(class_switches) / static_cast<double>(alnum - 1);
  double vowel_ratio = static_cast<double>(vowels) / static_cast<double>(letters);
  return digit_letter_switches >= 4 || switch_rate >= 0.45 ||
         (vowel_ratio <= 0.25 && switch_rate >= 0.3);
}

}  // namespace

std::optional<Hit> MatchPrivateKey(std::string_view text, size_t pos) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  if (text[pos] != '-' || !text.substr(pos).starts_with(kBegin)) return {};
  // The label is searched in a bounded window: a text full of "-----BEGIN " stays linear.
  size_t label_end =
      text.substr(0, std::min(text.size(), pos + 80)).find("PRIVATE KEY-----", pos + kBegin.size());
  if (label_end == std::string_view::npos) return {};
  size_t end_marker = text.find("-----END", label_end + 16);
  size_t end = text.size();
  if (end_marker != std::string_view::npos) {
    size_t close = text.find("-----", end_marker + 8);
    end = close == std::string_view::npos ? text.size() : close + 5;
  }
  return Hit{pos, end, PiiKind::kSecret};
}

std::optional<Hit> MatchAuthScheme(std::string_view text, size_t pos) {
  char first = ascii::ToLower(text[pos]);
  if ((first != 'b') || !WordStart(text, pos)) return {};
  bool bearer = StartsWithIgnoreCase(text, pos, "bearer ");
  bool basic = !bearer && StartsWithIgnoreCase(text, pos, "basic ");
  if (!bearer && !basic) return {};
  size_t begin = SkipSpaces(text, pos + (bearer ? 7 : 6), 3);
  size_t end = begin;
  while (end < text.size() && (IsTokenChar(text[end]) || text[end] == '.' || text[end] == '~')) {
    ++end;
  }
  while (end > begin && text[end - 1] == '.') --end;  // sentence punctuation
  std::string_view token = text.substr(begin, end - begin);
  bool has_letter = false;
  for (char c : token) has_letter = has_letter || ascii::IsAlpha(c);
  bool secret = bearer ? token.size() >= 16 || (token.size() >= 8 && HasDigit(token) && has_letter)
                       : token.size() >= 12 && (HasDigit(token) || token.ends_with("="));
  if (!secret) return {};
  return Hit{begin, end, PiiKind::kSecret};
}

std::optional<Hit> MatchCredentialAssignment(std::string_view text, size_t pos) {
  constexpr size_t kMaxKey = 64;
  if (!ascii::IsAlpha(text[pos]) || !WordStart(text, pos)) return {};
  size_t key_end = pos;
  while (key_end < text.size() && key_end - pos <= kMaxKey &&
         InCharset(text[key_end], Charset::kAlnumDashUnderscore)) {
    ++key_end;
  }
  size_t at = key_end;
  if (at < text.size() && (text[at] == '"' || text[at] == '\'')) ++at;
  at = SkipSpaces(text, at, 3);
  if (at >= text.size() || (text[at] != ':' && text[at] != '=')) return {};
  std::string_view key = text.substr(pos, key_end - pos);
  bool secret_key = false;
  for (std::string_view suffix : kSecretKeySuffixes) {
    secret_key |= key.size() >= suffix.size() &&
                  ascii::EqualsIgnoreCase(key.substr(key.size() - suffix.size()), suffix);
  }
  if (!secret_key) return {};
  at = SkipSpaces(text, at + 1, 3);
  char quote = at < text.size() && (text[at] == '"' || text[at] == '\'') ? text[at] : 0;
  size_t begin = quote ? at + 1 : at;
  size_t end = begin;
  while (end < text.size() && end - begin < 256) {
    char c = text[end];
    if (quote ? c == quote
              : (ascii::IsSpace(c) || c == ',' || c == ';' || c == '&' || c == '"' || c == '\'' ||
                 c == '<' || c == ')')) {
      break;
    }
    ++end;
  }
  std::string_view value = text.substr(begin, end - begin);
  bool symbol = false;
  for (char c : value) symbol = symbol || !ascii::IsAlnum(c);
  if (value.size() < 6 || value.front() == '[') return {};
  if (!HasDigit(value) && !symbol && value.size() < 12) return {};
  return Hit{begin, end, PiiKind::kSecret};
}

std::optional<Hit> MatchPrefixedSecret(std::string_view text, size_t pos) {
  if (!WordStart(text, pos)) return {};
  for (const SecretPrefix& entry : kSecretPrefixes) {
    if (text[pos] != entry.prefix[0] || !text.substr(pos).starts_with(entry.prefix)) continue;
    size_t begin = pos + entry.prefix.size();
    size_t end = begin;
    while (end < text.size() && InCharset(text[end], entry.body)) ++end;
    while (end > begin && text[end - 1] == '.') --end;  // sentence punctuation after a JWT
    std::string_view body = text.substr(begin, end - begin);
    if (body.size() < entry.min_body || (entry.needs_digit && !HasDigit(body))) continue;
    return Hit{pos, end, PiiKind::kSecret};
  }
  return {};
}

std::optional<Hit> MatchHighEntropy(std::string_view text, size_t pos) {
  constexpr size_t kMinLength = 32;
  if (!IsTokenChar(text[pos]) || (pos > 0 && IsTokenChar(text[pos - 1]))) return {};
  size_t end = pos;
  while (end < text.size() && IsTokenChar(text[end])) ++end;
  if (end - pos < kMinLength || !LooksRandom(text.substr(pos, end - pos))) return {};
  return Hit{pos, end, PiiKind::kSecret};
}

}  // namespace ms::redact_internal
