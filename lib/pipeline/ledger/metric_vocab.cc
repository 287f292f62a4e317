#include "pipeline/ledger/metric_vocab.h"

#include <cmath>
#include <cstdio>

#include "pipeline/text/ascii.h"

namespace ms {

const std::vector<KpiMetricSpec>& MetricVocabulary() {
  static const std::vector<KpiMetricSpec> kMetrics = {
      {"arr", "ARR", MetricKind::kMoney, "revenue_milestone", true},
      {"mrr", "MRR", MetricKind::kMoney, "revenue_milestone", true},
      {"revenue", "Revenue (month)", MetricKind::kMoney, "revenue_milestone", true},
      {"gmv", "GMV (month)", MetricKind::kMoney, "revenue_milestone", true},
      {"gmv_weekly", "GMV (week)", MetricKind::kMoney, "revenue_milestone", true},
      {"nrr", "NRR", MetricKind::kPercent, "revenue_milestone", true},
      {"gross_margin", "Gross margin", MetricKind::kPercent, "revenue_milestone", true},
      {"churn", "Churn", MetricKind::kPercent, "revenue_milestone", false},
      {"paying_customers", "Paying customers", MetricKind::kCount, "user_growth", true},
      {"active_accounts", "Active accounts", MetricKind::kCount, "user_growth", true},
      {"active_users", "Active users", MetricKind::kCount, "user_growth", true},
      {"users", "Users", MetricKind::kCount, "user_growth", true},
      {"dau", "DAU", MetricKind::kCount, "user_growth", true},
      {"wau", "WAU", MetricKind::kCount, "user_growth", true},
      {"mau", "MAU", MetricKind::kCount, "user_growth", true},
      {"signups", "Signups", MetricKind::kCount, "user_growth", true},
      {"concurrent_users", "Concurrent users", MetricKind::kCount, "user_growth", true},
      {"devices", "Devices online", MetricKind::kCount, "user_growth", true},
      {"headcount", "Headcount", MetricKind::kCount, "hiring", true},
  };
  return kMetrics;
}

const KpiMetricSpec* FindMetric(std::string_view name) {
  for (const KpiMetricSpec& spec : MetricVocabulary()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string NormalizeUnit(const KpiMetricSpec& spec, std::string_view unit) {
  if (spec.kind == MetricKind::kPercent) return "pct";
  if (spec.kind == MetricKind::kCount) return "count";
  std::string code;
  for (char c : ascii::Trim(unit))
    code.push_back(ascii::IsAlpha(c) ? static_cast<char>(c & ~0x20) : c);
  bool letters = code.size() == 3;
  for (char c : code) letters = letters && ascii::IsAlpha(c);
  return letters ? code : "USD";
}

namespace {

// 262000 -> "262k", 2020000 -> "2.02M", 950 -> "950": three significant figures at most.
std::string Compact(double value) {
  const double magnitude = std::fabs(value);
  const char* suffix = "";
  double scaled = value;
  if (magnitude >= 1e9) {
    scaled = value / 1e9;
    suffix = "B";
  } else if (magnitude >= 1e6) {
    scaled = value / 1e6;
    suffix = "M";
  } else if (magnitude >= 1e3) {
    scaled = value / 1e3;
    suffix = "k";
  }
  char buf[48];
  const double abs_scaled = std::fabs(scaled);
  const int decimals = abs_scaled >= 100 ? 0 : (abs_scaled >= 10 ? 1 : 2);
  std::snprintf(buf, sizeof buf, "%.*f", decimals, scaled);
  std::string text = buf;
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return text + suffix;
}

std::string Grouped(double value) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.0f", std::round(value));
  std::string digits = buf;
  std::string sign;
  if (!digits.empty() && digits[0] == '-') {
    sign = "-";
    digits.erase(0, 1);
  }
  std::string out;
  for (size_t idx = 0; idx < digits.size(); ++idx) {
    if (idx > 0 && (digits.size() - idx) % 3 == 0) out.push_back(',');
    out.push_back(digits[idx]);
  }
  return sign + out;
}

}  // namespace

std::string FormatMetricValue(double value, std::string_view unit) {
  if (unit == "pct") {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", value);
    std::string text = buf;
    if (text.size() > 2 && text.compare(text.size() - 2, 2, ".0") == 0)
      text.resize(text.size() - 2);
    return text + "%";
  }
  if (unit == "count" || unit.empty()) {
    return std::fabs(value) >= 100000 ? Compact(value) : Grouped(value);
  }
  if (unit == "USD") return "$" + Compact(value);
  if (unit == "GBP") return "\u00a3" + Compact(value);
  if (unit == "EUR") return "\u20ac" + Compact(value);
  return std::string(unit) + " " + Compact(value);
}

}  // namespace ms
