#include "pipeline/ledger/milestones.h"

#include <algorithm>
#include <cmath>
#include <optional>

#include "pipeline/ledger/metric_vocab.h"
#include "pipeline/text/amount.h"
#include "pipeline/text/ascii.h"

namespace ms {
namespace {

using Series = std::vector<SeriesPoint>;

constexpr int64_t kDayMs = 24LL * 3600 * 1000;

std::vector<double> Rungs(std::initializer_list<double> rungs) {
  return std::vector<double>(rungs);
}

std::string Number(double value) {
  return FormatNumber(value);
}

std::string Quarter(int64_t epoch_ms) {
  std::string date = IsoDate(epoch_ms);
  int month = std::stoi(date.substr(5, 2));
  return date.substr(0, 4) + "q" + std::to_string((month - 1) / 3 + 1);
}

// The readings in the unit of the latest one, in time order (ties by message id).
Series Normalize(Series series) {
  std::sort(series.begin(), series.end(), [](const SeriesPoint& a, const SeriesPoint& b) {
    return a.observed_at_ms != b.observed_at_ms ? a.observed_at_ms < b.observed_at_ms
                                                : a.source_message_id < b.source_message_id;
  });
  if (series.empty()) return series;
  const std::string unit = series.back().unit;
  std::erase_if(series, [&](const SeriesPoint& point) {
    return point.unit != unit || !std::isfinite(point.value);
  });
  return series;
}

struct Builder {
  const KpiMetricSpec& spec;
  const std::string& unit;

  std::string Value(double value) const { return FormatMetricValue(value, unit); }

  // "ARR crossed £2M: £2.02M on 2025-06-16, up from £1.93M on 2025-06-02."
  DerivedMilestone Make(std::string key, std::string title, const SeriesPoint& now,
                        const SeriesPoint& before, std::string_view relation,
                        const char* severity) const {
    DerivedMilestone out;
    out.key = std::move(key);
    out.occurred_at_ms = now.observed_at_ms;
    ExtractedEvent& event = out.event;
    event.type = std::string(spec.event_type);
    event.severity = severity;
    event.title = std::move(title);
    event.description = event.title + ": " + Value(now.value) + " on " +
                        IsoDate(now.observed_at_ms) + ", " + std::string(relation) + " " +
                        Value(before.value) + " on " + IsoDate(before.observed_at_ms) + ".";
    event.timeline = IsoDate(now.observed_at_ms);
    event.metrics = {{"metric", std::string(spec.name)},
                     {"unit", unit},
                     {"value", Number(now.value)},
                     {"observed_at", IsoDate(now.observed_at_ms)},
                     {"previous_value", Number(before.value)},
                     {"previous_at", IsoDate(before.observed_at_ms)}};
    event.source_message_ids = {before.source_message_id, now.source_message_id};
    std::sort(event.source_message_ids.begin(), event.source_message_ids.end());
    event.source_message_ids.erase(
        std::unique(event.source_message_ids.begin(), event.source_message_ids.end()),
        event.source_message_ids.end());
    return out;
  }
};

const char* LadderSeverity(const KpiMetricSpec& spec) {
  return spec.event_type == "revenue_milestone" ? "high" : "medium";
}

void Ladders(const Builder& b, const Series& series, const std::vector<double>& rungs,
             std::vector<DerivedMilestone>* out) {
  double high = series.empty() ? 0 : series[0].value;
  for (size_t idx = 1; idx < series.size(); ++idx) {
    const SeriesPoint& now = series[idx];
    std::optional<double> crossed;
    for (double rung : rungs) {
      if (high < rung && now.value >= rung) crossed = rung;
    }
    if (crossed) {
      DerivedMilestone milestone =
          b.Make("ladder|" + std::string(b.spec.name) + "|" + Number(*crossed),
                 std::string(b.spec.label) + " crossed " + b.Value(*crossed), now, series[idx - 1],
                 "up from", LadderSeverity(b.spec));
      milestone.event.metrics["rung"] = Number(*crossed);
      out->push_back(std::move(milestone));
    }
    high = std::max(high, now.value);
  }
}

void Highs(const Builder& b, const Series& series, int high_after,
           std::vector<DerivedMilestone>* out) {
  if (high_after <= 0 || series.empty()) return;
  size_t high_idx = 0;
  int below = 0;
  for (size_t idx = 1; idx < series.size(); ++idx) {
    const SeriesPoint& now = series[idx];
    const double high = series[high_idx].value;
    if (now.value <= high) {
      ++below;
      continue;
    }
    if (below >= high_after && high > 0 && now.value >= high * (1 + kHighMarginPct / 100)) {
      out->push_back(
          b.Make("high|" + std::string(b.spec.name) + "|" + IsoDate(now.observed_at_ms),
                 std::string(b.spec.label) + " at an all-time high of " + b.Value(now.value), now,
                 series[high_idx], "above the previous high of", "medium"));
    }
    high_idx = idx;
    below = 0;
  }
}

void Growth(const Builder& b, const Series& series, const MilestoneRules& rules,
            std::vector<DerivedMilestone>* out) {
  if (rules.growth_pct <= 0) return;
  const int64_t window = rules.growth_window.count();
  std::string last_quarter;
  for (size_t idx = 1; idx < series.size(); ++idx) {
    const SeriesPoint& now = series[idx];
    auto first = std::find_if(
        series.begin(), series.begin() + static_cast<long>(idx),
        [&](const SeriesPoint& p) { return now.observed_at_ms - p.observed_at_ms <= window; });
    if (first == series.begin() + static_cast<long>(idx) || first->value <= 0) continue;
    if (now.observed_at_ms - first->observed_at_ms < window / 3) continue;
    const double pct = (now.value / first->value - 1) * 100;
    const std::string quarter = Quarter(now.observed_at_ms);
    if (pct < rules.growth_pct || quarter == last_quarter) continue;
    last_quarter = quarter;
    const int64_t days = (now.observed_at_ms - first->observed_at_ms) / kDayMs;
    out->push_back(b.Make("growth|" + std::string(b.spec.name) + "|" + quarter,
                          std::string(b.spec.label) + " up " + Number(std::round(pct)) + "% in " +
                              std::to_string(days) + " days",
                          now, *first, "from", "medium"));
  }
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

void Spikes(const Builder& b, const Series& series, double factor,
            std::vector<DerivedMilestone>* out) {
  if (factor <= 0) return;
  for (size_t idx = 3; idx < series.size(); ++idx) {
    const size_t from = idx > 6 ? idx - 6 : 0;
    std::vector<double> before;
    for (size_t prev = from; prev < idx; ++prev) before.push_back(series[prev].value);
    const double median = Median(before);
    const SeriesPoint& now = series[idx];
    if (now.value < median * factor || now.value - median < 1.0) continue;
    SeriesPoint reference = series[idx - 1];
    reference.value = median;
    out->push_back(b.Make("spike|" + std::string(b.spec.name) + "|" + IsoDate(now.observed_at_ms),
                          std::string(b.spec.label) + " spiked to " + b.Value(now.value), now,
                          reference, "against a recent median of", "medium"));
  }
}

}  // namespace

MilestoneRules MilestoneRules::Defaults() {
  MilestoneRules rules;
  const std::vector<double> monthly =
      Rungs({1e4, 2.5e4, 5e4, 1e5, 2.5e5, 5e5, 1e6, 2e6, 5e6, 1e7, 2.5e7, 5e7, 1e8});
  const std::vector<double> counts =
      Rungs({100, 250, 500, 1e3, 2.5e3, 5e3, 1e4, 2.5e4, 5e4, 1e5, 2.5e5, 5e5, 1e6});
  rules.ladders = {
      {"mrr", monthly},
      {"revenue", monthly},
      {"gmv", monthly},
      {"arr", Rungs({1e6, 2e6, 3e6, 4e6, 5e6, 1e7, 1.5e7, 2e7, 2.5e7, 5e7, 1e8})},
      {"headcount", Rungs({10, 25, 50, 100, 250, 500, 1000})},
  };
  for (const char* metric : {"paying_customers", "active_accounts", "active_users", "users", "dau",
                             "wau", "mau", "concurrent_users", "devices"}) {
    rules.ladders.emplace(metric, counts);
  }
  return rules;
}

std::vector<DerivedMilestone> DeriveMilestones(std::string_view metric, Series series,
                                               const MilestoneRules& rules) {
  std::vector<DerivedMilestone> out;
  const KpiMetricSpec* spec = FindMetric(metric);
  series = Normalize(std::move(series));
  if (spec == nullptr || series.size() < 2) return out;
  const Builder builder{*spec, series.back().unit};
  if (!spec->higher_is_better) {
    Spikes(builder, series, rules.spike_factor, &out);
    return out;
  }
  auto ladder = rules.ladders.find(metric);
  if (ladder != rules.ladders.end()) Ladders(builder, series, ladder->second, &out);
  Highs(builder, series, rules.high_after, &out);
  Growth(builder, series, rules, &out);
  return out;
}

StatusOr<std::vector<double>> ParseLadder(std::string_view text) {
  std::vector<double> rungs;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string_view item = ascii::Trim(text.substr(pos, comma - pos));
    pos = comma + 1;
    if (item.empty() && comma == text.size() && rungs.empty()) break;
    std::optional<AmountMatch> amount;
    if (!item.empty() && ascii::IsDigit(item[0])) amount = ReadAmount(item, 0);
    if (!amount || amount->end != item.size() || amount->value <= 0) {
      return InvalidArgument("ladder item \"" + std::string(item) +
                             "\" is not a positive number such as 250k or 1.5M");
    }
    rungs.push_back(amount->value);
  }
  std::sort(rungs.begin(), rungs.end());
  rungs.erase(std::unique(rungs.begin(), rungs.end()), rungs.end());
  return rungs;
}

std::string IsoDate(int64_t epoch_ms) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<milliseconds>(milliseconds(epoch_ms)));
  const year_month_day ymd(day);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace ms
