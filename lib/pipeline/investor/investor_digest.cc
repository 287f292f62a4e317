// BuildDigest: what an investor update says (investor_update.h).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "pipeline/extract/redact.h"
#include "pipeline/investor/investor_update.h"
#include "pipeline/ledger/metric_vocab.h"
#include "pipeline/ledger/milestones.h"
#include "pipeline/ledger/significance.h"

namespace ms {
namespace {

constexpr size_t kMaxMilestones = 5;
constexpr size_t kMaxSectionItems = 4;

// Section titles by event type, in the order the update lists them. Types not here
// (investor_interest; revenue_milestone and user_growth, which are milestones) have none.
constexpr std::pair<std::string_view, std::string_view> kSections[] = {
    {"funding", "Funding"},
    {"enterprise_deal", "Deals"},
    {"product_launch", "Launches"},
    {"compliance", "Compliance"},
    {"partnership", "Partnerships"},
    {"hiring", "Team"},
    {"market_expansion", "Expansion"},
    {"customer_success", "Customers"},
    {"technical_achievement", "Product and technology"},
    {"media_coverage", "Press"},
    {"other", "Other news"},
};

bool IsMilestone(const StoredEvent& e) {
  return e.origin == "series" || e.type == "revenue_milestone" || e.type == "user_growth";
}

bool InPeriod(const std::string& at, const DigestPeriod& period) {
  const int64_t when = ParseIsoTimeMs(at);
  if (!period.start.empty() && when < ParseIsoTimeMs(period.start)) return false;
  if (!period.end.empty() && when >= ParseIsoTimeMs(period.end)) return false;
  return true;
}

std::string Metric(const StoredEvent& e, const char* name) {
  auto found = e.metrics.find(name);
  return found == e.metrics.end() ? std::string() : found->second;
}

// What a founder leads with: a round closed (3), a term sheet signed or a large deal signed
// (2), a term sheet received, a grant or debt (1); 0 for anything else.
int HeadlineRank(const StoredEvent& e) {
  if (e.type == "enterprise_deal") return e.severity == "high" ? 2 : 0;
  if (e.type != "funding") return 0;
  const std::string stage = Metric(e, "stage");
  if (stage == "closed") return 3;
  if (stage == "term_sheet_signed") return 2;
  return stage.empty() && e.severity == "high" ? 2 : 1;
}

// The highest-ranked headline candidate (ties: the higher score); without one, the most
// significant event that is not investor interest or press.
const StoredEvent* PickHeadline(const std::vector<StoredEvent>& events) {
  const StoredEvent* best = nullptr;
  auto better = [](const StoredEvent& a, const StoredEvent* b) {
    if (b == nullptr) return true;
    const int rank_a = HeadlineRank(a), rank_b = HeadlineRank(*b);
    return rank_a != rank_b ? rank_a > rank_b : a.score > b->score;
  };
  for (const StoredEvent& e : events) {
    if (e.type == "investor_interest" || e.type == "media_coverage") continue;
    if (better(e, best)) best = &e;
  }
  return best;
}

// When the event reached its present state: occurred_at, or its timeline when that is a later
// date (a term sheet that closed is dated by its close).
std::string StateDate(const StoredEvent& e) {
  std::string date = e.occurred_at.substr(0, 10);
  if (e.timeline.size() == 10 && ParseIsoTimeMs(e.timeline) > 0 && e.timeline > date) {
    date = e.timeline;
  }
  return date;
}

DigestItem Item(const StoredEvent& e, bool redact) {
  DigestItem item;
  item.event_id = e.id;
  item.type = e.type;
  item.severity = e.severity;
  item.text = redact ? Redact(e.title).text : e.title;
  item.date = StateDate(e);
  item.score = e.score;
  return item;
}

std::vector<KpiRow> KpiRows(const std::vector<StoredObservation>& observations,
                            const DigestPeriod& period) {
  std::map<std::string, std::vector<const StoredObservation*>> by_metric;
  for (const StoredObservation& o : observations) {
    if (InPeriod(o.observed_at, period)) by_metric[o.metric].push_back(&o);
  }
  std::vector<KpiRow> rows;
  for (const KpiMetricSpec& spec : MetricVocabulary()) {
    auto found = by_metric.find(std::string(spec.name));
    if (found == by_metric.end() || rows.size() == kMaxKpiRows) continue;
    std::vector<const StoredObservation*> series = found->second;
    const std::string unit = series.back()->unit;  // a series in its latest unit
    std::erase_if(series, [&](const StoredObservation* o) { return o->unit != unit; });
    std::stable_sort(series.begin(), series.end(),
                     [](auto* a, auto* b) { return a->observed_at < b->observed_at; });
    KpiRow row{std::string(spec.name),
               std::string(spec.label),
               unit,
               series.front()->value,
               series.back()->value,
               series.front()->observed_at.substr(0, 10),
               series.back()->observed_at.substr(0, 10),
               static_cast<int>(series.size())};
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string CompanyName(const std::string& company_id) {
  std::string name = company_id;
  if (!name.empty() && name[0] >= 'a' && name[0] <= 'z') name[0] = static_cast<char>(name[0] - 32);
  return name;
}

std::string MonthName(int month) {
  static const char* kMonths[] = {"January",   "February", "March",    "April",
                                  "May",       "June",     "July",     "August",
                                  "September", "October",  "November", "December"};
  return month >= 1 && month <= 12 ? kMonths[month - 1] : "";
}

// "November 2025", or "March to July 2025" for a period over several months.
std::string PeriodName(const DigestPeriod& period, const std::string& first_date,
                       const std::string& last_date) {
  std::string from = period.start.empty() ? first_date : period.start.substr(0, 10);
  std::string to = last_date;
  if (!period.end.empty()) to = LastDayBefore(period.end);
  if (from.size() < 7 || to.size() < 7) return "";
  const std::string to_name = MonthName(std::stoi(to.substr(5, 2))) + " " + to.substr(0, 4);
  if (from.substr(0, 7) == to.substr(0, 7)) return to_name;
  std::string from_name = MonthName(std::stoi(from.substr(5, 2)));
  if (from.substr(0, 4) != to.substr(0, 4)) from_name += " " + from.substr(0, 4);
  return from_name + " to " + to_name;
}

// A term sheet received or signed before a round of the period closed is part of that round's
// story, not news of its own (a competing offer the company did not take, or an earlier state).
bool Superseded(const StoredEvent& e, const std::vector<StoredEvent>& events) {
  const std::string stage = Metric(e, "stage");
  if (e.type != "funding" || (stage != "term_sheet_received" && stage != "term_sheet_signed")) {
    return false;
  }
  return std::any_of(events.begin(), events.end(), [&](const StoredEvent& other) {
    return other.type == "funding" && Metric(other, "stage") == "closed" &&
           StateDate(other) >= StateDate(e) && other.id != e.id;
  });
}

void AddSections(const std::vector<StoredEvent>& events, int64_t headline_id, bool redact,
                 UpdateDigest* digest) {
  for (auto [type, title] : kSections) {
    DigestSection section{std::string(title), {}};
    for (const StoredEvent& e : events) {
      if (e.type == type && e.id != headline_id && !IsMilestone(e) && !Superseded(e, events)) {
        section.items.push_back(Item(e, redact));
      }
    }
    if (!section.items.empty()) digest->sections.push_back(std::move(section));
  }
}

void AddMilestonesAndInvestors(const std::vector<StoredEvent>& events, int64_t headline_id,
                               bool redact, UpdateDigest* digest) {
  std::set<std::string> seen;
  for (const StoredEvent& e : events) {
    if (e.id != headline_id && IsMilestone(e)) digest->milestones.push_back(Item(e, redact));
    if (e.type != "investor_interest") continue;
    std::string name = Metric(e, "investor");
    if (name.empty()) name = Metric(e, "lead_investor");
    if (name.empty()) continue;
    if (redact) name = Redact(name).text;
    if (seen.insert(name).second) digest->investors.push_back(name);
  }
}

// Keeps the `limit` most significant items, in date order.
void KeepTop(std::vector<DigestItem>* items, size_t limit) {
  std::stable_sort(items->begin(), items->end(),
                   [](const DigestItem& a, const DigestItem& b) { return a.score > b.score; });
  if (items->size() > limit) items->resize(limit);
  std::stable_sort(items->begin(), items->end(),
                   [](const DigestItem& a, const DigestItem& b) { return a.date < b.date; });
}

void CollectIds(UpdateDigest* digest) {
  digest->event_ids.clear();
  if (digest->headline.event_id != 0) digest->event_ids.push_back(digest->headline.event_id);
  for (const DigestItem& item : digest->milestones) digest->event_ids.push_back(item.event_id);
  for (const DigestSection& section : digest->sections) {
    for (const DigestItem& item : section.items) digest->event_ids.push_back(item.event_id);
  }
}

// The least significant item of the digest (milestones and sections), or null.
DigestItem* Weakest(UpdateDigest* digest, std::vector<DigestItem>** owner) {
  DigestItem* weakest = nullptr;
  auto consider = [&](std::vector<DigestItem>& items) {
    for (DigestItem& item : items) {
      if (weakest == nullptr || item.score < weakest->score) {
        weakest = &item;
        *owner = &items;
      }
    }
  };
  consider(digest->milestones);
  for (DigestSection& section : digest->sections) consider(section.items);
  return weakest;
}

// Drops low-severity items, then the least significant ones, until the template fits.
void FitToPage(UpdateDigest* digest) {
  auto low = [](const DigestItem& item) { return item.severity == "low"; };
  std::erase_if(digest->milestones, low);
  for (DigestSection& section : digest->sections) std::erase_if(section.items, low);
  KeepTop(&digest->milestones, kMaxMilestones);
  for (DigestSection& section : digest->sections) KeepTop(&section.items, kMaxSectionItems);
  while (CountWords(BuildInvestorUpdateOffline(*digest).body) > kMaxWords) {
    std::vector<DigestItem>* owner = nullptr;
    DigestItem* weakest = Weakest(digest, &owner);
    if (weakest == nullptr) break;
    owner->erase(owner->begin() + (weakest - owner->data()));
  }
  std::erase_if(digest->sections, [](const DigestSection& s) { return s.items.empty(); });
  CollectIds(digest);
}

}  // namespace

UpdateDigest BuildDigest(const std::string& company_id, std::vector<StoredEvent> events,
                         const std::vector<StoredObservation>& observations,
                         const DigestPeriod& period, bool redact_pii) {
  std::erase_if(events, [&](const StoredEvent& e) {
    return e.state == "closed" || !InPeriod(e.occurred_at, period);
  });
  if (std::all_of(events.begin(), events.end(),
                  [](const StoredEvent& e) { return e.score == 0; })) {
    ScoreEvents(&events);
  }
  std::stable_sort(events.begin(), events.end(), [](const StoredEvent& a, const StoredEvent& b) {
    return a.occurred_at < b.occurred_at;
  });
  UpdateDigest digest;
  digest.company_id = company_id;
  digest.company_name = CompanyName(company_id);
  digest.period_start = period.start;
  digest.period_end = period.end;
  const StoredEvent* headline = PickHeadline(events);
  if (headline != nullptr) digest.headline = Item(*headline, redact_pii);
  const int64_t headline_id = headline == nullptr ? 0 : headline->id;
  digest.kpis = KpiRows(observations, period);
  AddMilestonesAndInvestors(events, headline_id, redact_pii, &digest);
  AddSections(events, headline_id, redact_pii, &digest);
  const std::string first = events.empty() ? "" : events.front().occurred_at.substr(0, 10);
  const std::string last = events.empty() ? "" : events.back().occurred_at.substr(0, 10);
  const std::string when = PeriodName(period, first, last);
  digest.subject = digest.company_name + " update" + (when.empty() ? "" : ", " + when) +
                   (headline == nullptr ? "" : ": " + digest.headline.text);
  FitToPage(&digest);
  return digest;
}

}  // namespace ms
