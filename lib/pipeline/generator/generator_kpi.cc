// KPI reports (pipeline/generator/generator_story.h): readings of the company's series at the
// report's time, each metric named next to its value. Monthly reports carry month-over-month
// growth.
#include <cmath>
#include <cstdio>
#include <ctime>

#include "pipeline/generator/generator_catalog.h"
#include "pipeline/generator/generator_story.h"

namespace ms::gen {
namespace {

std::string Pct(double value) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f%%", value);
  return buf;
}

std::string SignedPct(double value) {
  return (value >= 0 ? "+" : "") + Pct(value);
}

// The month before the one `epoch_s` falls in: what a report sent early in a month covers.
std::string ReportedMonth(int64_t epoch_s) {
  time_t time = static_cast<time_t>(epoch_s);
  std::tm tm{};
  gmtime_r(&time, &tm);
  return kMonths[static_cast<size_t>((tm.tm_mon + 11) % 12)];
}

Message MonthlyReport(const Company& company, double day, int64_t epoch_s, Rng& rng) {
  const Series& series = company.series;
  double mrr = MrrAt(series, day);
  std::string growth;
  if (day >= kMonthDays) {
    growth = " (" + SignedPct(100 * (mrr / MrrAt(series, day - kMonthDays) - 1)) + " MoM)";
  }
  std::string figures = "MRR " + Usd(mrr) + growth + ", churn " + Pct(ChurnAt(series, day)) +
                        ", DAU " + Count(DauAt(series, day)) + ", paying customers " +
                        Count(std::max(1.0, std::round(mrr / series.arpa_usd))) + ".";
  std::string month = ReportedMonth(epoch_s);
  if (rng.Chance(0.5)) {
    return Message{true, EmailSender(company, kFinance),
                   "Subject: " + month + " metrics. " + figures};
  }
  return Message{false, ChatSender(company, kFinance), month + " numbers are in: " + figures};
}

}  // namespace

Message KpiBeat(const Company& company, const Beat& beat, double day, int64_t epoch_s, Rng& rng) {
  const Series& series = company.series;
  std::string mrr = "MRR " + Usd(MrrAt(series, day));
  std::string dau = "DAU " + Count(DauAt(series, day));
  switch (beat.kind) {
    case BeatKind::kKpiMonthly:
      return MonthlyReport(company, day, epoch_s, rng);
    case BeatKind::kKpiWeekly:
      return Message{false, ChatSender(company, kFinance),
                     "Weekly KPIs: " + mrr + ", " + dau + ", signups " +
                         Count(static_cast<double>(SignupsAt(series, day, 7))) + ", churn " +
                         Pct(ChurnAt(series, day)) + "."};
    case BeatKind::kKpiDaily:
      return Message{false, "Metrics Bot",
                     "Daily metrics: " + dau + ", signups " +
                         Count(static_cast<double>(SignupsAt(series, day, 1))) + ", " + mrr + "."};
    default:
      return Message{false, "Metrics Bot", "Metrics snapshot: " + dau + ", " + mrr + "."};
  }
}

}  // namespace ms::gen
