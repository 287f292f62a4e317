#include "tests/fake_llm/investor_answer.h"

#include <map>
#include <nlohmann/json.hpp>
#include <vector>

namespace ms::test {
namespace {

using nlohmann::json;

constexpr std::string_view kOpen = "<digest>\n";
constexpr std::string_view kClose = "</digest>";

std::vector<json> DigestLines(const std::string& text) {
  std::vector<json> lines;
  size_t open = text.find(kOpen);
  size_t close = open == std::string::npos ? open : text.find(kClose, open);
  for (size_t pos = open + kOpen.size(); open != std::string::npos && pos < close;) {
    size_t eol = std::min(text.find('\n', pos), close);
    json line = json::parse(text.substr(pos, eol - pos), nullptr, /*allow_exceptions=*/false);
    if (line.is_object()) lines.push_back(std::move(line));
    pos = eol + 1;
  }
  return lines;
}

std::string Bullet(const json& line) {
  return "- " + line.value("text", "") + " (" + line.value("date", "") + ")\n";
}

}  // namespace

bool IsInvestorUpdatePrompt(std::string_view user_prompt) {
  return user_prompt.find(kOpen) != std::string_view::npos;
}

std::string InvestorUpdateAnswer(std::string_view user_prompt) {
  std::string subject = "Investor update";
  std::string headline, table, milestones, investors;
  std::vector<std::string> order;
  std::map<std::string, std::string> sections;
  for (const json& line : DigestLines(std::string(user_prompt))) {
    const std::string kind = line.value("kind", "");
    if (kind == "subject") subject = line.value("text", subject);
    if (kind == "headline") headline = "**" + line.value("text", "") + "**\n\n";
    if (kind == "kpi") {
      table += "| " + line.value("metric", "") + " | " + line.value("first", "") + " | " +
               line.value("latest", "") + " | " + line.value("change", "") + " |\n";
    }
    if (kind == "milestone") milestones += Bullet(line);
    if (kind == "item") {
      const std::string section = line.value("section", "News");
      if (!sections.count(section)) order.push_back(section);
      sections[section] += Bullet(line);
    }
    if (kind == "investors") {
      for (const json& name : line.value("names", json::array())) {
        investors += (investors.empty() ? "" : ", ") + name.get<std::string>();
      }
    }
  }
  std::string body = "Hello everyone,\n\n" + headline;
  if (!table.empty()) {
    body += "## Key metrics\n\n| Metric | First | Latest | Change |\n|---|---|---|---|\n" + table +
            "\n";
  }
  if (!milestones.empty()) body += "## Milestones\n\n" + milestones + "\n";
  for (const std::string& section : order)
    body += "## " + section + "\n\n" + sections[section] + "\n";
  if (!investors.empty()) body += "Investor interest: " + investors + ".\n\n";
  body += "Thanks for your support.\n";
  return json{{"subject", subject}, {"body", body}}.dump();
}

}  // namespace ms::test
