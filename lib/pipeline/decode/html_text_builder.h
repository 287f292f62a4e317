// Internal to html_text.cc: output buffer with whitespace collapsing, and entity decoding.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ms::html_internal {

// Accumulates text, turning whitespace runs into one space and block breaks into one '\n',
// never emitting either at the start or the end.
class TextBuilder {
 public:
  // A text byte: ASCII whitespace becomes a pending space, anything else is written.
  void Char(char c);
  // Decoded text written verbatim (after any pending separator).
  void Append(std::string_view text);
  // A block boundary: the next written text starts on a new line.
  void Break() { pending_newline_ = true; }
  std::string Take() && { return std::move(out_); }

 private:
  void FlushPending();

  std::string out_;
  bool pending_space_ = false;
  bool pending_newline_ = false;
};

// Decodes the character reference at html[pos] == '&' into `builder`; returns the position after
// it. An unknown or malformed reference is written as a literal '&'.
size_t HandleEntity(std::string_view html, size_t pos, TextBuilder* builder);

}  // namespace ms::html_internal
