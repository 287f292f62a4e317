#include "pipeline/decode/base64url.h"

#include <array>
#include <cstdint>

namespace ms {
namespace {

constexpr int8_t kInvalid = -1;
constexpr int8_t kSkip = -2;
constexpr int8_t kPad = -3;

constexpr std::array<int8_t, 256> BuildTable() {
  std::array<int8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  for (size_t idx = 0; idx < kAlphabet.size(); ++idx) {
    table[static_cast<unsigned char>(kAlphabet[idx])] = static_cast<int8_t>(idx);
  }
  table['-'] = table['+'] = 62;
  table['_'] = table['/'] = 63;
  table['\r'] = table['\n'] = kSkip;
  table['='] = kPad;
  return table;
}

constexpr std::array<int8_t, 256> kTable = BuildTable();

// Only CR/LF may follow the first '=', and there are at most two of them.
bool OnlyPaddingFrom(std::string_view encoded, size_t pos) {
  int pads = 0;
  for (; pos < encoded.size(); ++pos) {
    const int8_t value = kTable[static_cast<unsigned char>(encoded[pos])];
    if (value == kPad) {
      ++pads;
    } else if (value != kSkip) {
      return false;
    }
  }
  return pads <= 2;
}

}  // namespace

std::optional<std::string> DecodeBase64Url(std::string_view encoded) {
  std::string out;
  out.reserve(encoded.size() / 4 * 3 + 3);
  uint32_t accumulator = 0;
  int bits = 0;
  size_t symbols = 0;
  for (size_t pos = 0; pos < encoded.size(); ++pos) {
    const int8_t value = kTable[static_cast<unsigned char>(encoded[pos])];
    if (value == kSkip) continue;
    if (value == kPad) {
      if (!OnlyPaddingFrom(encoded, pos)) return std::nullopt;
      break;
    }
    if (value == kInvalid) return std::nullopt;
    accumulator = (accumulator << 6) | static_cast<uint32_t>(value);
    bits += 6;
    ++symbols;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((accumulator >> bits) & 0xFF));
    }
  }
  if (symbols % 4 == 1) return std::nullopt;
  return out;
}

}  // namespace ms
