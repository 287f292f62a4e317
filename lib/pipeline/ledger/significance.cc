#include "pipeline/ledger/significance.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string_view>

#include "pipeline/text/amount.h"

namespace ms {
namespace {

double TypeWeight(std::string_view type) {
  constexpr std::pair<std::string_view, double> kWeights[] = {{"funding", 30},
                                                              {"enterprise_deal", 20},
                                                              {"revenue_milestone", 20},
                                                              {"compliance", 15},
                                                              {"product_launch", 12},
                                                              {"partnership", 10},
                                                              {"market_expansion", 10},
                                                              {"hiring", 10},
                                                              {"user_growth", 10},
                                                              {"customer_success", 8},
                                                              {"investor_interest", 6},
                                                              {"technical_achievement", 6},
                                                              {"other", 5},
                                                              {"media_coverage", 4}};
  for (auto [name, weight] : kWeights) {
    if (name == type) return weight;
  }
  return 5;
}

std::optional<double> Metric(const StoredEvent& event, const char* name) {
  auto found = event.metrics.find(name);
  if (found == event.metrics.end()) return std::nullopt;
  return ParseAmount(found->second);
}

}  // namespace

int SeverityRank(const std::string& severity) {
  return severity == "high" ? 2 : (severity == "medium" ? 1 : 0);
}

double EventAmount(const StoredEvent& event) {
  for (const char* name : {"amount", "amount_usd", "acv", "acv_usd"}) {
    if (auto value = Metric(event, name); value && std::isfinite(*value) && *value > 0) {
      return *value;
    }
  }
  auto unit = event.metrics.find("unit");
  bool money = unit != event.metrics.end() && unit->second != "pct" && unit->second != "count";
  if (auto value = Metric(event, "value"); money && value && std::isfinite(*value)) return *value;
  return 0;
}

int64_t ParseIsoTimeMs(const std::string& text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int fields =
      std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d", &year, &month, &day, &hour, &minute, &second);
  if (fields < 3) return 0;
  using namespace std::chrono;
  const year_month_day ymd{std::chrono::year(year),
                           std::chrono::month(static_cast<unsigned>(month)),
                           std::chrono::day(static_cast<unsigned>(day))};
  if (!ymd.ok()) return 0;
  const auto at = sys_days(ymd) + hours(hour) + minutes(minute) + seconds(second);
  return duration_cast<milliseconds>(at.time_since_epoch()).count();
}

double SignificanceScore(const StoredEvent& event, int64_t reference_ms) {
  double score = TypeWeight(event.type) + 15.0 * SeverityRank(event.severity);
  const double amount = EventAmount(event);
  if (amount > 1e5) score += std::min(20.0, 5.0 * std::log10(amount / 1e5));
  score += std::min(9.0, 3.0 * std::max(0, event.sightings - 1));
  const int64_t occurred = ParseIsoTimeMs(event.occurred_at);
  if (occurred > 0 && reference_ms > 0) {
    const double age_days = static_cast<double>(reference_ms - occurred) / 86400000.0;
    score += 10.0 * std::clamp(1.0 - age_days / 90.0, 0.0, 1.0);
  }
  return std::round(score * 10) / 10;
}

void ScoreEvents(std::vector<StoredEvent>* events) {
  int64_t reference = 0;
  for (const StoredEvent& event : *events) {
    reference = std::max(reference, ParseIsoTimeMs(event.occurred_at));
  }
  for (StoredEvent& event : *events) event.score = SignificanceScore(event, reference);
}

void KeepMostSignificant(std::vector<StoredEvent>* events, size_t top) {
  auto newer = [](const StoredEvent& a, const StoredEvent& b) {
    return a.occurred_at != b.occurred_at ? a.occurred_at > b.occurred_at : a.id > b.id;
  };
  std::stable_sort(events->begin(), events->end(), newer);
  if (events->size() <= top) return;
  std::stable_sort(events->begin(), events->end(),
                   [](const StoredEvent& a, const StoredEvent& b) { return a.score > b.score; });
  events->resize(top);
  std::stable_sort(events->begin(), events->end(), newer);
}

}  // namespace ms
