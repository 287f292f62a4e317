// A synthetic data set in the bundled CSV format plus a company_id column: many companies,
// mostly day-to-day chatter with milestones (funding, revenue, deals, launches, hires,
// compliance, ...) mixed in, so the demo and the benchmarks need nothing from outside.
// Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <ostream>

namespace ms {

struct GeneratorOptions {
  int64_t rows = 1000;
  int companies = 10;
  uint64_t seed = 42;
  double milestone_ratio = 0.12;       // share of rows that announce a milestone
  double email_ratio = 0.25;           // share of rows that are e-mails
  int64_t start_epoch_s = 1761984000;  // 2025-11-01T08:00:00Z
};

// Writes the header and `rows` records; returns the number of milestone rows written.
int64_t GenerateCsv(const GeneratorOptions& options, std::ostream& out);

}  // namespace ms
