#include "pipeline/investor/markdown_render.h"

#include <algorithm>
#include <vector>

#include "pipeline/text/ascii.h"
#include "pipeline/text/utf8.h"

namespace ms {
namespace {

std::vector<std::string> Lines(std::string_view text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    pos = end + 1;
  }
  return lines;
}

bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// "1. item" -> 3 (where the item starts), else 0.
size_t OrderedItem(std::string_view line) {
  size_t pos = 0;
  while (pos < line.size() && ascii::IsDigit(line[pos])) ++pos;
  return pos > 0 && pos + 1 < line.size() && line[pos] == '.' && line[pos + 1] == ' ' ? pos + 2 : 0;
}

bool IsTableRow(std::string_view line) {
  std::string_view trimmed = ascii::Trim(line);
  return trimmed.size() >= 2 && trimmed.front() == '|' && trimmed.back() == '|';
}

bool IsTableRule(std::string_view line) {
  return IsTableRow(line) && std::all_of(line.begin(), line.end(), [](char c) {
           return c == '|' || c == '-' || c == ':' || c == ' ';
         });
}

std::vector<std::string> Cells(std::string_view line) {
  std::string_view trimmed = ascii::Trim(line);
  trimmed = trimmed.substr(1, trimmed.size() - 2);
  std::vector<std::string> cells;
  size_t pos = 0;
  while (pos <= trimmed.size()) {
    size_t end = trimmed.find('|', pos);
    if (end == std::string_view::npos) end = trimmed.size();
    cells.emplace_back(ascii::Trim(trimmed.substr(pos, end - pos)));
    pos = end + 1;
  }
  return cells;
}

std::string StripBold(std::string_view text) {
  std::string out(text);
  for (size_t at = out.find("**"); at != std::string::npos; at = out.find("**", at)) {
    out.erase(at, 2);
  }
  return out;
}

std::string Escape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

// Escaped text with **bold** pairs as <strong>; an unpaired "**" stays as it is.
std::string Inline(std::string_view text) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t open = text.find("**", pos);
    size_t close = open == std::string_view::npos ? open : text.find("**", open + 2);
    if (close == std::string_view::npos) {
      out += Escape(text.substr(pos));
      break;
    }
    out += Escape(text.substr(pos, open - pos)) + "<strong>" +
           Escape(text.substr(open + 2, close - open - 2)) + "</strong>";
    pos = close + 2;
  }
  return out;
}

std::string TextTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t col = 0; col < row.size(); ++col) {
      widths[col] = std::max(widths[col], utf8::CountCodePoints(StripBold(row[col])));
    }
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t col = 0; col < row.size(); ++col) {
      std::string cell = StripBold(row[col]);
      line += cell + std::string(widths[col] - utf8::CountCodePoints(cell) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string HtmlTable(const std::vector<std::vector<std::string>>& rows) {
  const char* cell_style = " style=\"border:1px solid #ccc;padding:4px 8px;text-align:left\"";
  std::string out = "<table style=\"border-collapse:collapse\">\n";
  for (size_t idx = 0; idx < rows.size(); ++idx) {
    const char* tag = idx == 0 ? "th" : "td";
    out += "<tr>";
    for (const std::string& cell : rows[idx]) {
      out += std::string("<") + tag + cell_style + ">" + Inline(cell) + "</" + tag + ">";
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

// Walks the Markdown once; `emit` receives each block.
struct Block {
  enum Kind { kHeading, kParagraph, kBullet, kOrdered, kTable } kind;
  int level = 0;
  std::string text;
  std::vector<std::vector<std::string>> rows;
};

std::vector<Block> Parse(std::string_view markdown) {
  std::vector<Block> blocks;
  std::vector<std::string> lines = Lines(markdown);
  for (size_t idx = 0; idx < lines.size(); ++idx) {
    const std::string& line = lines[idx];
    std::string_view trimmed = ascii::Trim(line);
    if (trimmed.empty()) continue;
    if (IsTableRow(trimmed)) {
      Block table{Block::kTable, 0, "", {}};
      for (; idx < lines.size() && IsTableRow(lines[idx]); ++idx) {
        if (!IsTableRule(lines[idx])) table.rows.push_back(Cells(lines[idx]));
      }
      --idx;
      blocks.push_back(std::move(table));
    } else if (trimmed[0] == '#') {
      size_t level = trimmed.find_first_not_of('#');
      if (level == std::string_view::npos) level = trimmed.size();
      blocks.push_back({Block::kHeading,
                        static_cast<int>(level),
                        std::string(ascii::Trim(trimmed.substr(level))),
                        {}});
    } else if (StartsWith(trimmed, "- ") || StartsWith(trimmed, "* ")) {
      blocks.push_back({Block::kBullet, 0, std::string(trimmed.substr(2)), {}});
    } else if (size_t at = OrderedItem(trimmed); at > 0) {
      blocks.push_back({Block::kOrdered, 0, std::string(trimmed.substr(at)), {}});
    } else if (!blocks.empty() && blocks.back().kind == Block::kParagraph && idx > 0 &&
               !ascii::Trim(lines[idx - 1]).empty()) {
      blocks.back().text += " " + std::string(trimmed);
    } else {
      blocks.push_back({Block::kParagraph, 0, std::string(trimmed), {}});
    }
  }
  return blocks;
}

std::string Upper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return text;
}

}  // namespace

std::string MarkdownToText(std::string_view markdown) {
  std::string out;
  Block::Kind previous = Block::kParagraph;
  for (const Block& block : Parse(markdown)) {
    const bool list = block.kind == Block::kBullet || block.kind == Block::kOrdered;
    if (!out.empty() && !(list && previous == block.kind)) out += "\n";
    switch (block.kind) {
      case Block::kHeading:
        out += Upper(StripBold(block.text)) + "\n";
        break;
      case Block::kParagraph:
        out += StripBold(block.text) + "\n";
        break;
      case Block::kBullet:
      case Block::kOrdered:
        out += "- " + StripBold(block.text) + "\n";
        break;
      case Block::kTable:
        out += TextTable(block.rows);
        break;
    }
    previous = block.kind;
  }
  return out;
}

std::string MarkdownToHtmlDocument(std::string_view title, std::string_view markdown) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" +
      Escape(title) +
      "</title>\n</head>\n<body style=\"font-family:Arial,Helvetica,sans-serif;"
      "max-width:640px;line-height:1.45\">\n<h1 style=\"font-size:20px\">" +
      Escape(title) + "</h1>\n";
  const char* open_list = nullptr;
  auto close_list = [&] {
    if (open_list != nullptr) out += std::string("</") + open_list + ">\n";
    open_list = nullptr;
  };
  for (const Block& block : Parse(markdown)) {
    const char* list = block.kind == Block::kBullet    ? "ul"
                       : block.kind == Block::kOrdered ? "ol"
                                                       : nullptr;
    if (list != open_list) {
      close_list();
      if (list != nullptr) out += std::string("<") + list + ">\n";
      open_list = list;
    }
    if (list != nullptr) {
      out += "<li>" + Inline(block.text) + "</li>\n";
    } else if (block.kind == Block::kHeading) {
      const std::string tag = "h" + std::to_string(std::clamp(block.level, 2, 4));
      out += "<" + tag + ">" + Inline(block.text) + "</" + tag + ">\n";
    } else if (block.kind == Block::kTable) {
      out += HtmlTable(block.rows);
    } else {
      out += "<p>" + Inline(block.text) + "</p>\n";
    }
  }
  close_list();
  return out + "</body>\n</html>\n";
}

}  // namespace ms
