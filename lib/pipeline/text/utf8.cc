#include "pipeline/text/utf8.h"

#include <array>
#include <cstring>

namespace ms::utf8 {
namespace {

// Length of the sequence introduced by `lead`, or 0 if `lead` cannot start one.
size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;  // continuation byte, overlong C0/C1, or F5..FF
}

bool IsContinuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

// The second byte of E0, ED, F0 and F4 sequences has a narrower range (RFC 3629 §4):
// that is where overlong forms, surrogates and code points above U+10FFFF are excluded.
bool SecondByteInRange(unsigned char lead, unsigned char second) {
  switch (lead) {
    case 0xE0:
      return second >= 0xA0 && second <= 0xBF;
    case 0xED:
      return second >= 0x80 && second <= 0x9F;
    case 0xF0:
      return second >= 0x90 && second <= 0xBF;
    case 0xF4:
      return second >= 0x80 && second <= 0x8F;
    default:
      return IsContinuation(second);
  }
}

bool SequenceValid(std::string_view bytes, size_t pos, size_t length) {
  if (pos + length > bytes.size()) return false;
  const auto lead = static_cast<unsigned char>(bytes[pos]);
  if (!SecondByteInRange(lead, static_cast<unsigned char>(bytes[pos + 1]))) return false;
  for (size_t i = 2; i < length; ++i) {
    if (!IsContinuation(static_cast<unsigned char>(bytes[pos + i]))) return false;
  }
  return true;
}

// Windows-1252 code points for bytes 0x80..0x9F; 0 marks the five undefined bytes.
constexpr std::array<uint16_t, 32> kCp1252High = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178};

}  // namespace

size_t FindInvalid(std::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    // Most text is ASCII: eight bytes at a time while none has its high bit set.
    uint64_t word;
    while (pos + sizeof word <= bytes.size()) {
      std::memcpy(&word, bytes.data() + pos, sizeof word);
      if ((word & 0x8080808080808080ULL) != 0) break;
      pos += sizeof word;
    }
    if (pos >= bytes.size()) break;
    const size_t length = SequenceLength(static_cast<unsigned char>(bytes[pos]));
    if (length == 0) return pos;
    if (length > 1 && !SequenceValid(bytes, pos, length)) return pos;
    pos += length;
  }
  return kValid;
}

size_t CountCodePoints(std::string_view text) {
  size_t count = 0;
  for (char c : text) count += IsContinuation(static_cast<unsigned char>(c)) ? 0 : 1;
  return count;
}

void AppendCodePoint(uint32_t code_point, std::string* out) {
  if (code_point == 0 || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    code_point = 0xFFFD;
  }
  if (code_point < 0x80) {
    out->push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

std::string FromLatin1(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (char c : bytes) AppendCodePoint(static_cast<unsigned char>(c), &out);
  return out;
}

std::string FromWindows1252(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 8);
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    const bool high_c1 = byte >= 0x80 && byte <= 0x9F;
    const uint32_t code_point = high_c1 ? kCp1252High[byte - 0x80] : byte;
    AppendCodePoint(code_point == 0 && high_c1 ? 0xFFFD : code_point, &out);
  }
  return out;
}

std::string Clean(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t bad = FindInvalid(text);
    std::string_view good = text.substr(0, bad == kValid ? text.size() : bad);
    for (char c : good) {
      if (c != '\0') out.push_back(c);
    }
    if (bad == kValid) break;
    out += "\xEF\xBF\xBD";
    text.remove_prefix(bad + 1);
  }
  return out;
}

}  // namespace ms::utf8
