// A synthetic data set in the bundled CSV format plus a company_id column (header
// "id,is_chat,chat_sender,email_sender,timestamp,content,company_id"; see
// pipeline/generator/producer_payload.h), so the demo and the benchmarks need nothing from outside.
//
// Several companies, interleaved and ordered by time; each tells a believable one-year story
// from start_epoch_s (rows between 08:00 and 20:00 of the start's clock, each company's
// timestamps strictly increasing):
//  - funding: one or two rounds up the ladder pre-seed -> seed -> Series A -> Series B, each at
//    most once, each larger and valued higher than the one before, each with one lead investor;
//    interest from named firms first, then the lead's term sheet, then the close announced once
//    in chat and maybe once more by e-mail, with the same figures;
//  - KPI reports, observations of the company's series rather than milestones: monthly ones
//    (MRR with month-over-month growth, churn, DAU, paying customers) and, as the row budget
//    allows, weekly, daily or more frequent ones; MRR moves -1 % to +16 % a month plus under
//    1 % of daily noise, DAU trends with it;
//  - enterprise deals proposed, then later signed or lost, each customer once; customer stories
//    only of customers who signed;
//  - launches, key hires (each role once), compliance audits then their certificate,
//    partnerships, press, market expansion;
//  - everything else day-to-day chatter with no business signal.
// Deterministic for a seed; exactly `rows` rows.
#pragma once

#include <cstdint>
#include <ostream>

namespace ms {

struct GeneratorOptions {
  int64_t rows = 1000;
  int companies = 10;
  uint64_t seed = 42;
  // Share of rows that tell the story: milestones, deal news and KPI reports. At most 60 % of a
  // company's story rows are milestones and deal news; KPI reports fill the rest.
  double milestone_ratio = 0.12;
  // Share of chatter rows that are e-mails; story rows come by the channel their news would.
  double email_ratio = 0.25;
  int64_t start_epoch_s = 1761984000;  // 2025-11-01T08:00:00Z
};

struct GeneratorStats {
  int64_t milestones = 0;   // rows from which an event is expected (the return value)
  int64_t kpi_reports = 0;  // rows that report KPIs (observations)
  int64_t deal_news = 0;    // deals proposed or lost: story rows that are not milestones
  int64_t emails = 0;
};

// Writes the header and `rows` records; returns the number of milestone rows written.
// `stats`, if given, receives the counts of each kind of row.
int64_t GenerateCsv(const GeneratorOptions& options, std::ostream& out,
                    GeneratorStats* stats = nullptr);

}  // namespace ms
