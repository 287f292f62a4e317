// UTF-8 helpers for the decode stage. Pure functions, no allocation beyond the returned strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ms::utf8 {

inline constexpr size_t kValid = static_cast<size_t>(-1);

// Returns kValid if `bytes` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), else the byte offset of the first ill-formed sequence.
size_t FindInvalid(std::string_view bytes);
inline bool IsValid(std::string_view bytes) {
  return FindInvalid(bytes) == kValid;
}

// Number of code points in `text`, which must already be valid UTF-8.
size_t CountCodePoints(std::string_view text);

// Longest prefix of `text` of at most `max_bytes` that ends on a UTF-8 character boundary.
inline std::string_view Prefix(std::string_view text, size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

// Appends the UTF-8 encoding of `code_point`; surrogates, 0 and values above U+10FFFF are
// replaced by U+FFFD so the output stays valid UTF-8 and NUL-free.
void AppendCodePoint(uint32_t code_point, std::string* out);

// `text` as Postgres text and jsonb take it: every ill-formed sequence replaced by U+FFFD and
// every NUL removed. Unchanged (and not copied more than once) when it is clean already.
std::string Clean(std::string_view text);

// Transcodes single-byte charsets to UTF-8. Every input byte maps to a code point, so these
// never fail. Windows-1252 bytes 0x80-0x9F map to its punctuation (smart quotes, dashes, euro),
// the five bytes it leaves undefined map to U+FFFD.
std::string FromLatin1(std::string_view bytes);
std::string FromWindows1252(std::string_view bytes);

}  // namespace ms::utf8
