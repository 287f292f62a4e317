// The built-in offline extractor (design §5 `rules`): hand-written patterns for the 14 event
// types, no network, no model. The default when no LLM API key is configured, so the whole
// pipeline runs offline; also the baseline the LLM providers are compared against.
//
// Promises:
//  - Same prefilter as the LLM path (pipeline/prefilter.h); dropped messages are counted.
//  - At most one event per type per message; investor_interest is not reported for a message
//    that also yields funding. Events with the same fingerprint (pipeline/fingerprint.h)
//    within a batch are merged: sources and stakeholders unioned, highest severity kept.
//  - Text copied into events (titles, descriptions, names) passes through Redact(): nothing
//    leaves the process, but the ledger and the investor update must not carry PII either.
//  - Metrics use the names of the LLM prompt: mrr_usd, arr_usd, growth_wow_pct,
//    growth_mom_pct, nrr_pct, churn_pct, amount_usd, valuation_usd, round, lead_investor,
//    acv_usd, seats, term_years, counterparty, users, signups, headcount, role, product,
//    framework, status, region, investor, outlet, improvement_pct.
//  - Only the company's own milestones: no revenue milestone from an opinion of a figure
//    ("$75k ARR is huge", an investor finding the MRR "impressive") unless the company speaks
//    of itself (we, our, us); no funding event for a competitor's or another named company's
//    round ("Globex just raised $20M").
//  - Severity: funding, revenue milestones, compliance certifications and enterprise deals of
//    $1M or more are high; launches, partnerships and senior hires (VP, Head, Director,
//    C-level) are medium; everything else is low.
//  - provider "rules", model "rules-v1", zero token usage, llm_calls 0. Never fails on
//    content; Internal only if a bug throws.
// Thread-safe and stateless: one instance may serve every extraction worker.
#pragma once

#include <string>
#include <vector>

#include "ports/extract.h"

namespace ms {

struct RulesExtractorOptions {
  bool prefilter = true;
};

class RulesExtractor final : public Extractor {
 public:
  explicit RulesExtractor(RulesExtractorOptions options = {}) : options_(options) {}

  Status ExtractInto(const ExtractionRequest& request, ExtractionResult* out) override;

 private:
  RulesExtractorOptions options_;
};

// The events one message yields, before prefiltering and batch-level merging; company_id and
// source_message_ids ({message.id}) are filled in.
std::vector<ExtractedEvent> ExtractMessageEvents(const std::string& company_id,
                                                 const BatchMessage& message);

}  // namespace ms
