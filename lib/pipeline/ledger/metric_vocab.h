// The fixed vocabulary of KPI series (design §3 ledger model). Every observation names one of
// these metrics; the LLM prompt lists them, the rules extractor emits them, the answer parser
// rejects any other name, and milestones and the investor update's KPI table read them.
//
//   name              kind    what one observation is
//   mrr               money   monthly recurring revenue at the report date
//   arr               money   annual recurring revenue (or annualised run-rate stated as ARR)
//   revenue           money   revenue (net revenue) of the month reported
//   gmv               money   gross merchandise value of the month reported
//   gmv_weekly        money   gross merchandise value of the week reported
//   nrr               pct     net revenue retention
//   gross_margin      pct     gross margin
//   churn             pct     churn of the period reported (logo or revenue, as stated)
//   dau / wau / mau   count   daily / weekly / monthly active users
//   users             count   total registered users
//   active_users      count   active users of a professional product (clinicians, seats used)
//   signups           count   new signups in the period reported
//   paying_customers  count   paying customers
//   active_accounts   count   active business accounts (restaurants, sites, workspaces)
//   concurrent_users  count   peak concurrent users or connections
//   devices           count   devices or units deployed and online
//   headcount         count   employees
//
// Money values are in the stated currency (unit = ISO code: USD, GBP, EUR, ...); pct values are
// percentages (12.5 = 12.5 %); counts are plain numbers.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ms {

enum class MetricKind { kMoney, kPercent, kCount };

struct KpiMetricSpec {
  std::string_view name;
  std::string_view label;  // for tables and titles: "MRR", "Active users"
  MetricKind kind;
  std::string_view event_type;  // the type of a milestone derived from the series
  bool higher_is_better;        // false for churn
};

// Every metric, in the order the investor update's KPI table lists them.
const std::vector<KpiMetricSpec>& MetricVocabulary();

// The spec of `name`, or nullptr when it is not in the vocabulary.
const KpiMetricSpec* FindMetric(std::string_view name);

// The unit an observation of `spec` must carry: "pct" or "count" for those kinds; for money the
// given currency upper-cased when it is three letters, else "USD".
std::string NormalizeUnit(const KpiMetricSpec& spec, std::string_view unit);

// A value for people: money "$262k", "£2.02M", "€9.4M", "NOK 2.1M"; pct "118%"; count "3,150"
// or "12.4k" from 100k up.
std::string FormatMetricValue(double value, std::string_view unit);

}  // namespace ms
