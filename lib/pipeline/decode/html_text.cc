#include "pipeline/decode/html_text.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <utility>

#include "pipeline/decode/html_text_builder.h"
#include "pipeline/text/ascii.h"
#include "pipeline/text/utf8.h"

namespace ms {
namespace {

using html_internal::TextBuilder;

// Position just past the first case-insensitive occurrence of `needle` at or after `pos`,
// or html.size() if there is none.
size_t SkipPast(std::string_view html, size_t pos, std::string_view needle) {
  auto it = std::search(html.begin() + static_cast<std::ptrdiff_t>(pos), html.end(), needle.begin(),
                        needle.end(),
                        [](char a, char b) { return ascii::ToLower(a) == ascii::ToLower(b); });
  return it == html.end() ? html.size() : static_cast<size_t>(it - html.begin()) + needle.size();
}

// Position of the '>' closing a tag whose attributes start at `pos`; quoted attribute values may
// contain '>'. npos if the tag is never closed.
size_t FindTagEnd(std::string_view html, size_t pos) {
  char quote = 0;
  for (; pos < html.size(); ++pos) {
    const char c = html[pos];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '>') {
      return pos;
    }
  }
  return std::string_view::npos;
}

bool IsBlockTag(std::string_view name) {
  static constexpr std::array<std::string_view, 35> kBlockTags = {
      "address", "article",  "aside",      "blockquote", "body",    "br",    "dd",   "div", "dl",
      "dt",      "fieldset", "figcaption", "figure",     "footer",  "form",  "h1",   "h2",  "h3",
      "h4",      "h5",       "h6",         "head",       "header",  "hr",    "html", "li",  "main",
      "nav",     "ol",       "p",          "pre",        "section", "table", "tr",   "ul"};
  return std::find(kBlockTags.begin(), kBlockTags.end(), name) != kBlockTags.end();
}

bool IsRawTextTag(std::string_view name) {
  return name == "script" || name == "style";
}

// Handles markup starting at html[pos] == '<'; returns the position to continue from.
size_t HandleMarkup(std::string_view html, size_t pos, TextBuilder* builder) {
  const std::string_view rest = html.substr(pos);
  if (rest.starts_with("<!--")) return SkipPast(html, pos + 4, "-->");
  if (rest.starts_with("<!") || rest.starts_with("<?")) return SkipPast(html, pos, ">");
  const bool closing = rest.starts_with("</");
  size_t name_end = pos + (closing ? 2 : 1);
  if (name_end >= html.size() || !ascii::IsAlpha(html[name_end])) {
    builder->Char('<');  // "a < b" is text, not a tag
    return pos + 1;
  }
  std::string name;
  for (; name_end < html.size() && ascii::IsAlnum(html[name_end]); ++name_end) {
    name.push_back(ascii::ToLower(html[name_end]));
  }
  const size_t tag_end = FindTagEnd(html, name_end);
  if (tag_end == std::string_view::npos) return html.size();
  const bool self_closing = html[tag_end - 1] == '/';
  if (!closing && !self_closing && IsRawTextTag(name)) {
    return SkipPast(html, SkipPast(html, tag_end + 1, "</" + name), ">");
  }
  if (IsBlockTag(name)) {
    builder->Break();
  } else if (name == "td" || name == "th") {
    builder->Char(' ');
  }
  return tag_end + 1;
}

}  // namespace

std::string HtmlToText(std::string_view html) {
  TextBuilder builder;
  size_t pos = 0;
  while (pos < html.size()) {
    const char c = html[pos];
    if (c == '<') {
      pos = HandleMarkup(html, pos, &builder);
    } else if (c == '&') {
      pos = html_internal::HandleEntity(html, pos, &builder);
    } else {
      builder.Char(c);
      ++pos;
    }
  }
  return std::move(builder).Take();
}

}  // namespace ms
