// Milestones derived from KPI series (design §3 ledger model). A report of a metric is an
// observation; an event comes from a series only when the series says something an investor
// would want told:
//
//   ladder  the metric reaches a rung of its ladder for the first time: every earlier reading
//           was below the rung, and there is an earlier reading (a series that starts above a
//           rung never "crossed" it). When one reading passes several rungs, only the highest
//           is a milestone. Key "ladder|<metric>|<rung>".
//   high    a new all-time high at least kHighMarginPct above the previous high, after at
//           least `high_after` readings that did not beat that high (a recovery, not the
//           steady climb the ladder reports). Key "high|<metric>|<YYYY-MM-DD>".
//   growth  the reading is at least growth_pct above the earliest reading within
//           growth_window before it, those two readings at least a third of the window apart.
//           At most one per metric and calendar quarter. Key "growth|<metric>|<YYYY>q<N>".
//   spike   (churn and other lower-is-better metrics) a reading at least spike_factor times
//           the median of up to 6 readings before it, at least 3 of them, and at least 1
//           point above that median. Key "spike|<metric>|<YYYY-MM-DD>".
//
// Ladders, highs and growth apply to higher-is-better metrics (pipeline/ledger/metric_vocab.h).
// Each milestone states its figures and dates and cites the observations that prove it
// (their source messages); occurred_at is the proving reading's time. Derivation is a pure
// function of the whole series, so the same readings give the same milestones in any order
// and on any replay. A series mixing currencies keeps the readings in its latest unit.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ports/extract.h"

namespace ms {

struct SeriesPoint {
  double value = 0;
  std::string unit;
  int64_t observed_at_ms = 0;
  int64_t source_message_id = 0;
};

struct MilestoneRules {
  // Rungs per metric, ascending; a metric without rungs gets no ladder milestones.
  std::map<std::string, std::vector<double>, std::less<>> ladders;
  int high_after = 3;      // 0: no all-time-high milestones
  double growth_pct = 50;  // 0: no growth milestones
  std::chrono::milliseconds growth_window = std::chrono::hours(24 * 90);
  double spike_factor = 2.0;  // 0: no spike milestones

  // The documented defaults: MRR, revenue and monthly GMV 10k, 25k, 50k, 100k, 250k, 500k,
  // 1M, 2M, 5M, 10M, 25M, 50M, 100M; ARR 1M, 2M, 3M, 4M, 5M, 10M, 15M, 20M, 25M, 50M, 100M;
  // user, account, customer and device counts 100, 250, 500, 1k, 2.5k, 5k, 10k, 25k, 50k,
  // 100k, 250k, 500k, 1M; headcount 10, 25, 50, 100, 250, 500, 1000; no ladder for rates,
  // signups and weekly GMV.
  static MilestoneRules Defaults();
};

inline constexpr double kHighMarginPct = 5.0;

struct DerivedMilestone {
  std::string key;       // the fingerprint key (SeriesMilestoneFingerprint)
  ExtractedEvent event;  // type, title, description, severity, metrics, source_message_ids
  int64_t occurred_at_ms = 0;
};

// The milestones of one company's series of `metric` (unknown metrics have none). `series`
// in any order; company_id of the events is left empty for the caller.
std::vector<DerivedMilestone> DeriveMilestones(std::string_view metric,
                                               std::vector<SeriesPoint> series,
                                               const MilestoneRules& rules);

// "1M,2M,3.5M" / "100k, 250k" -> ascending rungs; InvalidArgument names the bad item.
StatusOr<std::vector<double>> ParseLadder(std::string_view text);

// 1750032000000 -> "2025-06-16" (UTC).
std::string IsoDate(int64_t epoch_ms);

}  // namespace ms
