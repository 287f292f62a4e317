#include "pipeline/investor/investor_update.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "pipeline/investor/markdown_render.h"
#include "pipeline/ledger/metric_vocab.h"
#include "pipeline/ledger/milestones.h"
#include "pipeline/ledger/significance.h"
#include "pipeline/text/ascii.h"

namespace ms {
namespace {

const char* kMonthsShort[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// "2025-11-05" -> "5 Nov"; the year is left out (the subject names the period).
std::string ShortDate(const std::string& date) {
  if (date.size() < 10) return date;
  const int month = std::atoi(date.substr(5, 2).c_str());
  const int day = std::atoi(date.substr(8, 2).c_str());
  if (month < 1 || month > 12) return date;
  return std::to_string(day) + " " + kMonthsShort[month - 1];
}

std::string Line(const DigestItem& item) {
  return item.text + (item.date.empty() ? "" : " (" + ShortDate(item.date) + ")");
}

// Table cells and list items are one line; a '|' would split a cell.
std::string Cell(std::string text) {
  for (char& c : text) {
    if (c == '|' || c == '\n' || c == '\r') c = ' ';
  }
  return text;
}

std::string KpiTable(const std::vector<KpiRow>& rows) {
  std::string out = "## Key metrics\n\n| Metric | First | Latest | Change |\n|---|---|---|---|\n";
  for (const KpiRow& row : rows) {
    out += "| " + row.label + " | " + row.FirstText() + " | " + row.LatestText() + " | " +
           row.ChangeText() + " |\n";
  }
  return out + "\n";
}

std::string Bullets(const std::string& title, const std::vector<DigestItem>& items) {
  std::string out = "## " + title + "\n\n";
  for (const DigestItem& item : items) out += "- " + Cell(Line(item)) + "\n";
  return out + "\n";
}

std::string Body(const UpdateDigest& digest) {
  std::string body = "Hi all,\n\nHere is what happened at " + digest.company_name;
  if (!digest.period_start.empty() && !digest.period_end.empty()) {
    body += " from " + ShortDate(digest.period_start.substr(0, 10)) + " to " +
            ShortDate(LastDayBefore(digest.period_end));
  }
  body += ".\n\n";
  if (digest.headline.event_id != 0) body += "**" + Cell(Line(digest.headline)) + "**\n\n";
  if (!digest.kpis.empty()) body += KpiTable(digest.kpis);
  if (!digest.milestones.empty()) body += Bullets("Milestones", digest.milestones);
  for (const DigestSection& section : digest.sections)
    body += Bullets(section.title, section.items);
  if (!digest.investors.empty()) {
    std::string names;
    for (const std::string& name : digest.investors) names += (names.empty() ? "" : ", ") + name;
    body += "**Investor interest:** " + Cell(names) + ".\n\n";
  }
  if (digest.headline.event_id == 0 && digest.kpis.empty()) {
    body += "No significant events were recorded in this period.\n\n";
  }
  return body + "Thank you for your support.\n";
}

nlohmann::json ItemJson(const DigestItem& item) {
  return {{"event_id", item.event_id}, {"type", item.type}, {"severity", item.severity},
          {"text", item.text},         {"date", item.date}, {"score", item.score}};
}

nlohmann::json DigestJson(const UpdateDigest& digest) {
  nlohmann::json kpis = nlohmann::json::array();
  for (const KpiRow& row : digest.kpis) {
    kpis.push_back({{"metric", row.metric},
                    {"label", row.label},
                    {"unit", row.unit},
                    {"first", row.first},
                    {"first_at", row.first_at},
                    {"latest", row.latest},
                    {"latest_at", row.latest_at},
                    {"change", row.ChangeText()},
                    {"readings", row.readings}});
  }
  nlohmann::json milestones = nlohmann::json::array();
  for (const DigestItem& item : digest.milestones) milestones.push_back(ItemJson(item));
  nlohmann::json sections = nlohmann::json::array();
  for (const DigestSection& section : digest.sections) {
    nlohmann::json items = nlohmann::json::array();
    for (const DigestItem& item : section.items) items.push_back(ItemJson(item));
    sections.push_back({{"title", section.title}, {"items", items}});
  }
  nlohmann::json headline =
      digest.headline.event_id == 0 ? nlohmann::json() : ItemJson(digest.headline);
  return {{"headline", headline},
          {"kpis", kpis},
          {"milestones", milestones},
          {"sections", sections},
          {"investors", digest.investors}};
}

}  // namespace

std::string LastDayBefore(const std::string& end) {
  const int64_t at = ParseIsoTimeMs(end);
  return at == 0 ? end : IsoDate(at - 1);
}

std::string KpiRow::FirstText() const {
  return FormatMetricValue(first, unit) + " (" + ShortDate(first_at) + ")";
}

std::string KpiRow::LatestText() const {
  return FormatMetricValue(latest, unit) + " (" + ShortDate(latest_at) + ")";
}

std::string KpiRow::ChangeText() const {
  if (readings < 2) return "—";
  char buf[32];
  if (unit == "pct") {
    std::snprintf(buf, sizeof buf, "%+.1f pts", latest - first);
  } else if (first == 0) {
    return "—";
  } else {
    std::snprintf(buf, sizeof buf, "%+.1f%%", (latest / first - 1) * 100);
  }
  return buf;
}

InvestorUpdate BuildInvestorUpdateOffline(const UpdateDigest& digest) {
  InvestorUpdate update;
  update.company_id = digest.company_id;
  update.subject = digest.subject;
  update.body = Body(digest);
  update.period_start = digest.period_start;
  update.period_end = digest.period_end;
  update.event_ids = digest.event_ids;
  update.digest = digest;
  return update;
}

int CountWords(std::string_view markdown) {
  int words = 0;
  bool in_word = false;
  for (char c : markdown) {
    const bool word_char = ascii::IsAlnum(c) || static_cast<unsigned char>(c) >= 0x80 || c == '$' ||
                           c == '%' || c == '.' || c == ',' || c == '\'';
    if (word_char && !in_word) ++words;
    in_word = word_char;
  }
  return words;
}

std::string InvestorUpdateMarkdown(const InvestorUpdate& update) {
  return "# " + update.subject + "\n\n" + update.body;
}

std::string InvestorUpdateText(const InvestorUpdate& update) {
  return MarkdownToText(InvestorUpdateMarkdown(update));
}

std::string InvestorUpdateHtml(const InvestorUpdate& update) {
  return MarkdownToHtmlDocument(update.subject, update.body);
}

std::string InvestorUpdateJson(const InvestorUpdate& update) {
  nlohmann::json j = {{"company_id", update.company_id},
                      {"subject", update.subject},
                      {"body", update.body},
                      {"period", {{"start", update.period_start}, {"end", update.period_end}}},
                      {"digest", DigestJson(update.digest)},
                      {"event_ids", update.event_ids},
                      {"provider", update.provider},
                      {"model", update.model},
                      {"fallback_reason", update.fallback_reason}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ms
