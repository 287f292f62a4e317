#include <array>
#include <charconv>
#include <utility>

#include "pipeline/decode/html_text_builder.h"
#include "pipeline/text/ascii.h"
#include "pipeline/text/utf8.h"

namespace ms::html_internal {
namespace {

constexpr size_t kMaxEntityLength = 32;
constexpr uint32_t kNoBreakSpace = 0xA0;

// The named references mail HTML actually uses; browsers know ~2,000 more.
uint32_t NamedEntity(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, uint32_t>, 27> kNamed = {{
      {"amp", '&'},      {"lt", '<'},       {"gt", '>'},       {"quot", '"'},
      {"apos", '\''},    {"nbsp", 0xA0},    {"copy", 0xA9},    {"reg", 0xAE},
      {"trade", 0x2122}, {"mdash", 0x2014}, {"ndash", 0x2013}, {"hellip", 0x2026},
      {"lsquo", 0x2018}, {"rsquo", 0x2019}, {"ldquo", 0x201C}, {"rdquo", 0x201D},
      {"euro", 0x20AC},  {"pound", 0xA3},   {"yen", 0xA5},     {"cent", 0xA2},
      {"bull", 0x2022},  {"middot", 0xB7},  {"laquo", 0xAB},   {"raquo", 0xBB},
      {"times", 0xD7},   {"deg", 0xB0},     {"zwnj", 0x200C},
  }};
  for (const auto& [entity, code_point] : kNamed) {
    if (entity == name) return code_point;
  }
  return 0;
}

// "#123" or "#x1F4B0"; 0 if malformed. Out-of-range values become U+FFFD downstream.
uint32_t NumericEntity(std::string_view body) {
  const bool hex = body.size() > 1 && (body[1] == 'x' || body[1] == 'X');
  const std::string_view digits = body.substr(hex ? 2 : 1);
  uint64_t value = 0;
  const auto [end, ec] =
      std::from_chars(digits.data(), digits.data() + digits.size(), value, hex ? 16 : 10);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return ec == std::errc::result_out_of_range ? 0xFFFD : 0;
  }
  return value > 0x10FFFF || value == 0 ? 0xFFFD : static_cast<uint32_t>(value);
}

}  // namespace

void TextBuilder::Char(char c) {
  if (ascii::IsSpace(c)) {
    pending_space_ = true;
    return;
  }
  FlushPending();
  out_.push_back(c);
}

void TextBuilder::Append(std::string_view text) {
  FlushPending();
  out_.append(text);
}

void TextBuilder::FlushPending() {
  if (!out_.empty()) {
    if (pending_newline_) {
      out_.push_back('\n');
    } else if (pending_space_) {
      out_.push_back(' ');
    }
  }
  pending_space_ = pending_newline_ = false;
}

size_t HandleEntity(std::string_view html, size_t pos, TextBuilder* builder) {
  const size_t semicolon = html.substr(pos, kMaxEntityLength).find(';');
  const std::string_view body = semicolon == std::string_view::npos
                                    ? std::string_view()
                                    : html.substr(pos + 1, semicolon - 1);
  const uint32_t code_point = body.starts_with('#') ? NumericEntity(body) : NamedEntity(body);
  if (code_point == 0) {
    builder->Char('&');
    return pos + 1;
  }
  if (code_point == kNoBreakSpace ||
      (code_point < 0x80 && ascii::IsSpace(static_cast<char>(code_point)))) {
    builder->Char(' ');
  } else {
    std::string encoded;
    utf8::AppendCodePoint(code_point, &encoded);
    builder->Append(encoded);
  }
  return pos + semicolon + 1;
}

}  // namespace ms::html_internal
