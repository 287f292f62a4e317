// PII and credential redaction, applied to every piece of message text before it can reach an
// LLM request body (design §4 invariant 5).
//
// Pure code: no I/O, no shared state, thread-safe; allocation-light. One
// left-to-right pass over the bytes; every detector is bounded or starts only at the beginning
// of a run it consumes, so the cost is linear in the input (no regex, no backtracking).
//
// What is replaced (placeholder in brackets):
//   [EMAIL]   local@domain.tld: RFC 5321 local-part characters plus UTF-8 (RFC 6531), an ASCII
//             dotted domain, an alphabetic TLD. The whole run before "@" is taken, however long.
//   [SECRET]  credential-looking tokens:
//             - well-known prefixes: sk-..., sk-ant-..., sk_live_/sk_test_/rk_live_..., AIza...,
//               ghp_/gho_/ghu_/ghs_/ghr_..., github_pat_...,
//               xoxb-/xoxp-/xoxa-/xoxr-/xoxs-/xoxe-..., AKIA/ASIA + 16, glpat-..., hf_..., npm_...,
//               whsec_..., eyJ... (JWT);
//             - the token after "Bearer" / "Basic" (the scheme word is kept);
//             - the value of key=value / key: value where the key ends in password, passwd,
//               pwd, passphrase, secret, token, apikey, api_key, api-key, access_key,
//               secret_key, private_key (the key is kept), when the value looks like a secret
//               (>= 6 chars and a digit or symbol, or >= 12 chars);
//             - PEM private-key blocks (-----BEGIN ... PRIVATE KEY----- ... -----END ...-----);
//             - generic high-entropy runs of [A-Za-z0-9+/=_-] at least 32 long mixing letters
//               and digits: all-hex runs, or runs whose characters switch between letters,
//               digits and case often enough to be random rather than words or identifiers.
//   [IBAN]    two capital letters, two check digits, then 11..30 alphanumerics, compact or in
//             space-separated groups, that pass the ISO 13616 mod-97 check.
//   [CARD]    13..19 digits, optionally grouped by single spaces or dashes, Luhn-valid. Any
//             window of whole groups of a digit run counts (as printed: every group but the
//             last has 3+ digits), leftmost then longest: "ref 12 4111 1111 1111 1111 12/27"
//             keeps "ref 12" and "12/27". Luhn-invalid digit runs are left alone.
//   [PHONE]   7..15 digits: "+CC ..." international numbers; numbers with a "(area)" group;
//             dash/dot-grouped numbers (555-123-4567, 555.123.4567, 020-7946-0958); space-grouped
//             numbers that start with 0 or follow the NANP 3-3-4 / 1-3-3-4 layout; contiguous
//             runs of 10..12 digits. The whole digit run, else its longest prefix of whole
//             groups that qualifies ("555-123-4567 1234567890123"). Not phones: dates
//             (2025-11-01, 01.11.2025), year ranges (2020-2024), IPv4 addresses, dotted
//             thousands (1.000.000), amounts ($192,400, 25,000), decimals, percentages,
//             "#12345678", and anything glued to letters.
// Digit detectors never start inside a number, word, date or digit-group run ("v2.4",
// "2025-11-01", the "1111" of "4111 1111"): a run is judged once, from its first group.
// Not covered: card numbers grouped with dots, e-mail addresses written "at"/"dot", IDN
// domains in Unicode form, secrets shorter than the rules above.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ms {

enum class PiiKind : uint8_t { kEmail = 0, kPhone, kCard, kSecret, kIban };
inline constexpr size_t kPiiKindCount = 5;

// "[EMAIL]", "[PHONE]", "[CARD]", "[SECRET]", "[IBAN]".
std::string_view PiiPlaceholder(PiiKind kind);

struct RedactionCounts {
  std::array<int, kPiiKindCount> by_kind{};

  int operator[](PiiKind kind) const { return by_kind[static_cast<size_t>(kind)]; }
  int total() const;
  void Add(PiiKind kind) { ++by_kind[static_cast<size_t>(kind)]; }
  void Add(const RedactionCounts& other);
};

struct RedactionResult {
  std::string text;
  RedactionCounts counts;
};

// Returns `text` with every match replaced by its placeholder, and the counts per kind.
// Bytes that are not part of a match are copied unchanged (valid UTF-8 stays valid).
RedactionResult Redact(std::string_view text);

// Luhn checksum over a string of ASCII digits (non-digits make it false).
bool LuhnValid(std::string_view digits);

// ISO 13616 mod-97 check of a compact IBAN ("DE89370400440532013000"): 15..34 characters,
// two capital letters, two digits, then capital letters and digits.
bool IbanValid(std::string_view compact);

}  // namespace ms
