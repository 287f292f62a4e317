// The Markdown subset investor updates are written in — "#"/"##"/"###" headings, "- "/"* "
// and "1. " list items, "|" tables (a "|---|" rule after the header row), "**bold**" and
// paragraphs — rendered as plain text and as an HTML document. Whatever the source (the
// template or an LLM), every character of text is escaped in HTML; unknown syntax stays text.
#pragma once

#include <string>
#include <string_view>

namespace ms {

// Headings as upper-case lines, list items kept, tables as aligned columns, bold markers
// removed.
std::string MarkdownToText(std::string_view markdown);

// A whole HTML5 document: <title> and <h1> from `title`, the body rendered, inline CSS only
// (e-mail clients drop <style> blocks and external sheets).
std::string MarkdownToHtmlDocument(std::string_view title, std::string_view markdown);

}  // namespace ms
