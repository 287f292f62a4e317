// KPI observations of the rules extractor (internal to rules_kpi*.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pipeline/extract/rules_text.h"
#include "ports/extract.h"

namespace ms::rules {

using Observations = std::vector<ExtractedObservation>;

// Adds `metric` unless the message already has an observation of it (the first one wins).
void AddObservation(Observations* out, std::string_view metric, double value, std::string unit);

// A round mark ("crossed $4M", "passed 3,500") followed later by a figure at most 10% above it
// ("$4.03M on the nose", "(3,512)"): the precise figure; else the mark's value.
double RefineRoundFigure(const std::vector<Amount>& figures, const Amount& mark);

// A figure at `at` that is not the company stating its own current metric: commentary by
// others, an investor quoting "your" numbers, a customer's contract value, quoted, negated,
// conditional or projected.
bool NotOwnFigure(const MessageView& view, size_t at);

// Count metrics (users, active accounts, devices online, ...). `in_report` admits counts that
// only make sense inside a report ("214 sites", "402 restaurant accts").
void CountObservations(const MessageView& view, bool in_report, Observations* out);

}  // namespace ms::rules
