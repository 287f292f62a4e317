#include "pipeline/investor_update.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "pipeline/redact.h"

namespace ms {
namespace {

int Rank(const std::string& severity) {
  return severity == "high" ? 0 : severity == "medium" ? 1 : 2;
}

std::string Pretty(std::string type) {
  std::replace(type.begin(), type.end(), '_', ' ');
  if (!type.empty()) type[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(type[0])));
  return type;
}

std::string Section(const std::vector<const StoredEvent*>& events) {
  std::map<std::string, std::vector<const StoredEvent*>> by_type;
  for (const StoredEvent* e : events) by_type[e->type].push_back(e);
  std::string out;
  for (const auto& [type, list] : by_type) {
    out += "### " + Pretty(type) + "\n\n";
    for (const StoredEvent* e : list) {
      out += "- **" + e->title + "**";
      if (!e->description.empty() && e->description != e->title) out += " — " + e->description;
      if (e->sightings > 1) out += " (mentioned " + std::to_string(e->sightings) + " times)";
      out += "\n";
    }
    out += "\n";
  }
  return out;
}

// Per event type, the most recently seen event that carries metrics (ties: the earlier in
// `sorted`), in the order the types first appear in `sorted`.
std::vector<const StoredEvent*> MetricSources(const std::vector<const StoredEvent*>& sorted) {
  std::vector<const StoredEvent*> sources;
  for (const StoredEvent* e : sorted) {
    if (e->metrics.empty()) continue;
    auto same_type = std::find_if(sources.begin(), sources.end(),
                                  [&](const StoredEvent* s) { return s->type == e->type; });
    if (same_type == sources.end()) {
      sources.push_back(e);
    } else if (e->last_seen > (*same_type)->last_seen) {
      *same_type = e;
    }
  }
  return sources;
}

// "2500000000", "12.5": a figure as the extractors store amounts and counts. Redact() would
// take a bare run of 10..12 digits for a phone number; a metric value that is only a number is
// a figure, not a contact.
bool IsPlainNumber(std::string_view value) {
  if (value.empty()) return false;
  return std::all_of(value.begin(), value.end(),
                     [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

std::vector<StoredEvent> Redacted(const std::vector<StoredEvent>& events) {
  std::vector<StoredEvent> out = events;
  for (StoredEvent& e : out) {
    e.title = Redact(e.title).text;
    e.description = Redact(e.description).text;
    for (auto& [name, value] : e.metrics) {
      if (!IsPlainNumber(value)) value = Redact(value).text;
    }
  }
  return out;
}

}  // namespace

std::vector<const StoredEvent*> OrderForUpdate(const std::vector<StoredEvent>& events) {
  std::vector<const StoredEvent*> sorted;
  for (const StoredEvent& e : events) sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(), [](const StoredEvent* a, const StoredEvent* b) {
    if (Rank(a->severity) != Rank(b->severity)) return Rank(a->severity) < Rank(b->severity);
    return a->last_seen > b->last_seen;
  });
  return sorted;
}

InvestorUpdate BuildInvestorUpdateOffline(const std::string& company_id,
                                          const std::vector<StoredEvent>& stored, bool redact_pii) {
  const std::vector<StoredEvent> redacted =
      redact_pii ? Redacted(stored) : std::vector<StoredEvent>{};
  const std::vector<StoredEvent>& events = redact_pii ? redacted : stored;
  InvestorUpdate update;
  update.company_id = company_id;
  std::vector<const StoredEvent*> sorted = OrderForUpdate(events);
  for (const StoredEvent* e : sorted) {
    update.event_ids.push_back(e->id);
    bool high = e->severity == "high";
    if ((high && update.highlights.size() < 5) || update.highlights.size() < 3) {
      update.highlights.push_back(e->title);
    }
  }
  for (const StoredEvent* e : MetricSources(sorted)) {
    for (const auto& [name, value] : e->metrics) {
      update.metrics.emplace_back(Pretty(e->type) + ": " + name, value);
    }
  }
  update.subject = company_id + " investor update: " +
                   (update.highlights.empty() ? std::string("no significant events yet")
                                              : update.highlights.front());
  std::string body = "Hi all,\n\nHere is the latest from " + company_id + ".\n\n";
  if (!update.highlights.empty()) {
    body += "## Highlights\n\n";
    for (const auto& h : update.highlights) body += "- " + h + "\n";
    body += "\n";
  }
  if (!update.metrics.empty()) {
    body += "## Key metrics\n\n| metric | value |\n|---|---|\n";
    for (const auto& [k, v] : update.metrics) body += "| " + k + " | " + v + " |\n";
    body += "\n";
  }
  body += sorted.empty() ? "No significant events were recorded in this period.\n\n"
                         : "## Details\n\n" + Section(sorted);
  body += "Thank you for your continued support.\n";
  update.body = std::move(body);
  return update;
}

std::string InvestorUpdateMarkdown(const InvestorUpdate& update) {
  return "# " + update.subject + "\n\n" + update.body;
}

std::string InvestorUpdateJson(const InvestorUpdate& update) {
  nlohmann::json metrics = nlohmann::json::object();
  for (const auto& [k, v] : update.metrics) metrics[k] = v;  // labels are unique
  nlohmann::json j = {{"company_id", update.company_id},
                      {"subject", update.subject},
                      {"body", update.body},
                      {"highlights", update.highlights},
                      {"metrics", metrics},
                      {"event_ids", update.event_ids},
                      {"provider", update.provider},
                      {"model", update.model},
                      {"fallback_reason", update.fallback_reason}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace ms
