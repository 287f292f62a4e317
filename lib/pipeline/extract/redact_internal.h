// The detectors behind Redact(); internal to redact*.cc and their tests.
//
// Each detector looks for a match that starts exactly at `pos` and reports the span to replace.
// A detector only fires at the start of the kind of run it scans (its own boundary check), so
// a failed attempt is never repeated from inside the same run: the whole pass stays linear.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "pipeline/extract/redact.h"
#include "pipeline/text/ascii.h"

namespace ms::redact_internal {

struct Hit {
  size_t begin = 0;  // text[pos, begin) is kept (e.g. "Bearer "), text[begin, end) replaced
  size_t end = 0;
  PiiKind kind = PiiKind::kSecret;
};

std::optional<Hit> MatchEmail(std::string_view text, size_t pos);
std::optional<Hit> MatchIban(std::string_view text, size_t pos);
std::optional<Hit> MatchCard(std::string_view text, size_t pos);
std::optional<Hit> MatchPhone(std::string_view text, size_t pos);
std::optional<Hit> MatchPrivateKey(std::string_view text, size_t pos);
std::optional<Hit> MatchAuthScheme(std::string_view text, size_t pos);
std::optional<Hit> MatchCredentialAssignment(std::string_view text, size_t pos);
std::optional<Hit> MatchPrefixedSecret(std::string_view text, size_t pos);
std::optional<Hit> MatchHighEntropy(std::string_view text, size_t pos);

// A digit-run detector may start at `pos`: not glued to a letter or digit, and not inside a
// number, date or digit-group run ("v2.4", "1,234", "2025-11-01", the "1111" of
// "4111 1111"). A run is judged once, from its first group: the card detector looks at every
// window of its groups there.
inline bool DigitRunBoundary(std::string_view text, size_t pos) {
  if (pos == 0) return true;
  char prev = text[pos - 1];
  if (ascii::IsAlnum(prev) || prev == '_') return false;
  bool joiner =
      prev == '.' || prev == ',' || prev == '-' || prev == '/' || prev == ':' || prev == ' ';
  return !(joiner && pos >= 2 && ascii::IsDigit(text[pos - 2]));
}

inline bool IsUpper(char c) {
  return c >= 'A' && c <= 'Z';
}

}  // namespace ms::redact_internal
