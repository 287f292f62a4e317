#include "pipeline/decode/mime_text.h"

#include <initializer_list>

#include "pipeline/decode/base64url.h"
#include "pipeline/text/ascii.h"
#include "pipeline/text/utf8.h"

namespace ms {
namespace {

bool IsOneOf(std::string_view value, std::initializer_list<std::string_view> options) {
  for (std::string_view option : options) {
    if (value == option) return true;
  }
  return false;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = ascii::ToLower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 2047 "Q" encoding: '_' is a space, "=XX" a byte.
std::optional<std::string> DecodeQ(std::string_view text) {
  std::string out;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (text[pos] == '_') {
      out.push_back(' ');
    } else if (text[pos] != '=') {
      out.push_back(text[pos]);
    } else {
      if (pos + 2 >= text.size()) return std::nullopt;
      const int high = HexValue(text[pos + 1]);
      const int low = HexValue(text[pos + 2]);
      if (high < 0 || low < 0) return std::nullopt;
      out.push_back(static_cast<char>(high * 16 + low));
      pos += 2;
    }
  }
  return out;
}

// Decodes one "=?charset?enc?text?=" whose charset/enc/text are given; nullopt on failure.
std::optional<std::string> DecodeWord(std::string_view charset, char encoding,
                                      std::string_view text) {
  const std::string lower_charset =
      ascii::Lower(charset.substr(0, charset.find('*')));  // RFC 2231 lang
  std::optional<std::string> bytes;
  if (ascii::ToLower(encoding) == 'b') {
    bytes = DecodeBase64Url(text);
  } else if (ascii::ToLower(encoding) == 'q') {
    bytes = DecodeQ(text);
  }
  if (!bytes) return std::nullopt;
  return TranscodeToUtf8(*bytes, lower_charset);
}

struct EncodedWord {
  size_t end = 0;  // position after the closing "?="
  std::string decoded;
};

// Parses an encoded-word starting at header[start] == "=?".
std::optional<EncodedWord> ParseWord(std::string_view header, size_t start) {
  const size_t charset_end = header.find('?', start + 2);
  if (charset_end == std::string_view::npos || charset_end + 2 >= header.size() ||
      header[charset_end + 2] != '?') {
    return std::nullopt;
  }
  const size_t text_end = header.find("?=", charset_end + 3);
  if (text_end == std::string_view::npos) return std::nullopt;
  auto decoded =
      DecodeWord(header.substr(start + 2, charset_end - start - 2), header[charset_end + 1],
                 header.substr(charset_end + 3, text_end - charset_end - 3));
  if (!decoded) return std::nullopt;
  return EncodedWord{text_end + 2, std::move(*decoded)};
}

bool AllSpace(std::string_view text) {
  for (char c : text) {
    if (!ascii::IsSpace(c)) return false;
  }
  return true;
}

}  // namespace

std::string CharsetParam(std::string_view content_type) {
  const std::string lower = ascii::Lower(content_type);
  const size_t key = lower.find("charset=");
  if (key == std::string::npos) return "";
  size_t begin = key + 8;
  size_t end = lower.find_first_of("; \t", begin);
  if (begin < lower.size() && lower[begin] == '"') end = lower.find('"', ++begin);
  return lower.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

std::optional<std::string> TranscodeToUtf8(std::string_view bytes, std::string_view charset) {
  if (IsOneOf(charset, {"iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1"})) {
    return utf8::FromLatin1(bytes);
  }
  if (IsOneOf(charset, {"windows-1252", "cp1252", "x-cp1252"})) {
    return utf8::FromWindows1252(bytes);
  }
  if (!utf8::IsValid(bytes)) return std::nullopt;
  return std::string(bytes);
}

std::string DecodeMimeWords(std::string_view header) {
  std::string out;
  size_t pos = 0;
  bool after_word = false;
  while (pos < header.size()) {
    const size_t start = header.find("=?", pos);
    if (start == std::string_view::npos) break;
    const std::string_view between = header.substr(pos, start - pos);
    auto word = ParseWord(header, start);
    if (!word) {
      out.append(header.substr(pos, start + 2 - pos));
      pos = start + 2;
      after_word = false;
      continue;
    }
    if (!(after_word && AllSpace(between))) out.append(between);
    out.append(word->decoded);
    pos = word->end;
    after_word = true;
  }
  if (pos < header.size()) out.append(header.substr(pos));
  return out;
}

}  // namespace ms
