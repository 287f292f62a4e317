#include "pipeline/extract/redact.h"

#include "pipeline/extract/redact_internal.h"

namespace ms {
namespace {

using redact_internal::Hit;

// Local parts may be internationalized (RFC 6531): UTF-8 bytes count as local characters.
// Domains stay ASCII (IDNs travel as punycode).
bool IsLocalChar(char c) {
  return ascii::IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-' ||
         static_cast<unsigned char>(c) >= 0x80;
}

bool IsLabelChar(char c) {
  return ascii::IsAlnum(c) || c == '-';
}

// Length of the dotted domain at text[pos...] whose last label is an alphabetic TLD, or 0.
size_t DomainLength(std::string_view text, size_t pos) {
  constexpr size_t kMaxDomain = 253;
  size_t end = pos;
  size_t valid_end = 0;
  int labels = 0;
  while (end < text.size() && end - pos < kMaxDomain) {
    size_t label_begin = end;
    while (end < text.size() && IsLabelChar(text[end])) ++end;
    if (end == label_begin) break;
    ++labels;
    bool alpha_tld = end - label_begin >= 2;
    for (size_t idx = label_begin; idx < end && alpha_tld; ++idx) {
      alpha_tld = ascii::IsAlpha(text[idx]);
    }
    if (labels >= 2 && alpha_tld) valid_end = end;
    if (end + 1 < text.size() && text[end] == '.' && IsLabelChar(text[end + 1])) {
      ++end;
      continue;
    }
    break;
  }
  return valid_end == 0 ? 0 : valid_end - pos;
}

// Tries every detector at `pos`; the first hit wins. Order matters where kinds overlap:
// key/value credentials before the generic ones, IBANs before the digit-run detectors.
std::optional<Hit> MatchAt(std::string_view text, size_t pos) {
  using namespace redact_internal;  // NOLINT(build/namespaces): local detector table
  constexpr std::optional<Hit> (*kDetectors[])(std::string_view, size_t) = {
      MatchPrivateKey,     MatchAuthScheme, MatchCredentialAssignment,
      MatchPrefixedSecret, MatchEmail,      MatchIban,
      MatchHighEntropy,    MatchCard,       MatchPhone};
  for (auto* detector : kDetectors) {
    if (auto hit = detector(text, pos)) return hit;
  }
  return std::nullopt;
}

}  // namespace

namespace redact_internal {

std::optional<Hit> MatchEmail(std::string_view text, size_t pos) {
  if (!IsLocalChar(text[pos]) || text[pos] == '.') return std::nullopt;
  if (pos > 0 && IsLocalChar(text[pos - 1])) return std::nullopt;
  // The whole run is scanned (no length cap): positions inside it are never starts, so an
  // over-long local part cannot hide the tail of an address.
  size_t at = pos;
  while (at < text.size() && IsLocalChar(text[at])) ++at;
  if (at >= text.size() || text[at] != '@' || text[at - 1] == '.') return std::nullopt;
  size_t domain = DomainLength(text, at + 1);
  if (domain == 0) return std::nullopt;
  return Hit{pos, at + 1 + domain, PiiKind::kEmail};
}

}  // namespace redact_internal

std::string_view PiiPlaceholder(PiiKind kind) {
  switch (kind) {
    case PiiKind::kEmail:
      return "[EMAIL]";
    case PiiKind::kPhone:
      return "[PHONE]";
    case PiiKind::kCard:
      return "[CARD]";
    case PiiKind::kSecret:
      return "[SECRET]";
    case PiiKind::kIban:
      return "[IBAN]";
  }
  return "[REDACTED]";
}

int RedactionCounts::total() const {
  int sum = 0;
  for (int count : by_kind) sum += count;
  return sum;
}

void RedactionCounts::Add(const RedactionCounts& other) {
  for (size_t idx = 0; idx < kPiiKindCount; ++idx) by_kind[idx] += other.by_kind[idx];
}

RedactionResult Redact(std::string_view text) {
  RedactionResult result;
  result.text.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    if (auto hit = MatchAt(text, pos)) {
      // What a hit keeps before its span ("Bearer ", "555-123-4567 " before a card found
      // further along a digit run) is redacted on its own: it is short and may hold a match.
      if (hit->begin > pos) {
        RedactionResult kept = Redact(text.substr(pos, hit->begin - pos));
        result.text.append(kept.text);
        result.counts.Add(kept.counts);
      }
      result.text.append(PiiPlaceholder(hit->kind));
      result.counts.Add(hit->kind);
      pos = hit->end;
      continue;
    }
    // No detector starts inside an alphanumeric run: copy the rest of the run at once.
    result.text.push_back(text[pos++]);
    while (pos < text.size() && ascii::IsAlnum(text[pos]) && ascii::IsAlnum(text[pos - 1])) {
      result.text.push_back(text[pos++]);
    }
  }
  return result;
}

bool LuhnValid(std::string_view digits) {
  if (digits.empty()) return false;
  int sum = 0;
  bool double_it = false;
  for (size_t idx = digits.size(); idx-- > 0;) {
    if (!ascii::IsDigit(digits[idx])) return false;
    int digit = digits[idx] - '0';
    if (double_it) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
    double_it = !double_it;
  }
  return sum % 10 == 0;
}

bool IbanValid(std::string_view compact) {
  using redact_internal::IsUpper;
  if (compact.size() < 15 || compact.size() > 34) return false;
  if (!IsUpper(compact[0]) || !IsUpper(compact[1])) return false;
  if (!ascii::IsDigit(compact[2]) || !ascii::IsDigit(compact[3])) return false;
  int remainder = 0;
  for (size_t step = 0; step < compact.size(); ++step) {
    char c = compact[(step + 4) % compact.size()];  // the first four characters move last
    if (ascii::IsDigit(c)) {
      remainder = (remainder * 10 + (c - '0')) % 97;
    } else if (IsUpper(c)) {
      remainder = (remainder * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return remainder == 1;
}

}  // namespace ms
