// Investor updates (design §5): one page for a period, built from the ledger.
//
// First a digest (BuildDigest) — what the page says, decided once:
//  - headline: a round closed, else a term sheet or a large deal signed, else a term sheet
//    received, a grant or debt (ties: the more significant), else the most significant event
//    but investor interest and press; the subject names the company, the period's months and
//    the headline.
//  - KPI table: per metric of the vocabulary (pipeline/ledger/metric_vocab.h, in its order) with a
//    reading in the period, the first and the latest reading and the change (relative for
//    money and counts, in points for percentages); at most kMaxKpiRows rows.
//  - milestones: the series milestones of the period (origin "series") and any revenue or
//    user-growth event an extractor reported.
//  - sections: funding, deals, launches, compliance, partnerships, team, expansion,
//    customers, press, other — each event once, its one-line title with its date.
//  - investor interest: the firms' names in one line.
// Events are the period's non-closed events (occurred_at in [start, end)); low-severity
// items and the least significant ones (pipeline/ledger/significance.h) are dropped until the
// template fits kMaxWords words.
//
// Then the renderings: Markdown (the template's own), plain text and HTML (ready to send,
// every value escaped) derived from that Markdown, and JSON (the digest and the text). The
// LLM-written update (investor_update_llm.h) is given the digest, not raw events; its Markdown
// body is rendered to text and HTML the same way.
//
// With `redact_pii` (llm.redact_pii, on by default) every title and name passes through
// Redact() first: the update goes to people outside the company, and extractors copy message
// text into events.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "ports/ledger.h"

namespace ms {

inline constexpr size_t kMaxKpiRows = 8;
inline constexpr int kMaxWords = 350;

struct KpiRow {
  std::string metric;  // vocabulary name
  std::string label;   // "ARR"
  std::string unit;
  double first = 0;
  double latest = 0;
  std::string first_at;  // YYYY-MM-DD
  std::string latest_at;
  int readings = 0;
  std::string FirstText() const;
  std::string LatestText() const;
  std::string ChangeText() const;  // "+45.8%", "-3.1 pts", "—" for one reading
};

struct DigestItem {
  int64_t event_id = 0;
  std::string type;
  std::string severity;
  std::string text;  // the event's one-line title
  std::string date;  // YYYY-MM-DD it occurred
  double score = 0;
};

struct DigestSection {
  std::string title;  // "Funding", "Deals", ...
  std::vector<DigestItem> items;
};

struct UpdateDigest {
  std::string company_id;
  std::string company_name;  // for people: the id with a capital first letter
  std::string period_start;  // ISO date or time, inclusive (as the period was given)
  std::string period_end;    // ISO date or time, exclusive
  std::string subject;
  DigestItem headline;  // event_id 0 when the period has no event
  std::vector<KpiRow> kpis;
  std::vector<DigestItem> milestones;
  std::vector<DigestSection> sections;
  std::vector<std::string> investors;  // names of the firms that showed interest
  std::vector<int64_t> event_ids;      // every event the digest cites
};

struct DigestPeriod {
  std::string start;  // ISO date or time, inclusive
  std::string end;    // ISO date or time, exclusive
};

// `events` and `observations` as read for the period (others are ignored by occurred_at /
// observed_at); scores are computed here when unset.
UpdateDigest BuildDigest(const std::string& company_id, std::vector<StoredEvent> events,
                         const std::vector<StoredObservation>& observations,
                         const DigestPeriod& period, bool redact_pii = true);

struct InvestorUpdate {
  std::string company_id;
  std::string subject;
  std::string body;  // Markdown, without the subject
  std::string period_start;
  std::string period_end;
  std::vector<int64_t> event_ids;     // the events the update was written from
  std::string provider = "template";  // "template", or the LLM provider that wrote it
  std::string model;                  // the LLM's model; empty for the template
  // Why the template was used although an LLM provider is configured (the provider failed or
  // answered unusably); empty otherwise.
  std::string fallback_reason;
  UpdateDigest digest;  // what the update was written from
};

// The offline template: the digest's Markdown, cut to kMaxWords.
InvestorUpdate BuildInvestorUpdateOffline(const UpdateDigest& digest);

// The last day (YYYY-MM-DD) of a period whose end is exclusive: "2025-12-01" -> "2025-11-30",
// "2025-11-27T11:13:01Z" -> "2025-11-27".
std::string LastDayBefore(const std::string& end);

// Words of `markdown` as a reader counts them (table rules and markup are not words).
int CountWords(std::string_view markdown);

std::string InvestorUpdateMarkdown(const InvestorUpdate& update);  // "# subject" + body
std::string InvestorUpdateText(const InvestorUpdate& update);
std::string InvestorUpdateHtml(const InvestorUpdate& update);  // a whole HTML document
// {company_id, subject, body, period, digest{headline, kpis, milestones, sections,
// investors}, event_ids, provider, model, fallback_reason}; what investor_updates.content
// stores.
std::string InvestorUpdateJson(const InvestorUpdate& update);

}  // namespace ms
