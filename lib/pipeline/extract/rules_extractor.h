// The built-in offline extractor (design §5 `rules`): hand-written patterns for the 14 event
// types, no network, no model. The default when no LLM API key is configured, so the whole
// pipeline runs offline; also the baseline the LLM providers are compared against.
//
// Promises:
//  - Same prefilter as the LLM path (pipeline/extract/prefilter.h); dropped messages are counted.
//  - At most one event per type per message; investor_interest is not reported for a message
//    that also yields funding. Events with the same fingerprint (pipeline/ledger/fingerprint.h)
//    within a batch are merged: sources and stakeholders unioned, highest severity kept.
//  - Text copied into events (titles, descriptions, names) passes through Redact(): nothing
//    leaves the process, but the ledger and the investor update must not carry PII either.
//  - KPI reports (ARR, MRR, GMV, revenue, NRR, gross margin, churn, users, active accounts,
//    devices online, headcount, ...) yield observations (pipeline/ledger/metric_vocab.h), one per
//    metric per message, valued in the stated currency ("£1.42m" -> 1420000 GBP), never snapshot
//    events. Growth rates, forecasts, plans, stale, mock and hypothetical figures are not
//    observations; nor are others' figures (an investor quoting "your" MRR, a contract's ACV).
//  - Facts are events: funding (metrics stage = term_sheet_received | term_sheet_signed |
//    closed | grant | debt, round, amount, currency, valuation, valuation_basis, lead_investor,
//    amount_usd/valuation_usd for USD), enterprise deals (counterparty, acv per year, currency,
//    term_years, seats), VP-and-above hires (role), compliance (framework, status certified only
//    once issued), investor interest (investor), launches, partnerships, media, market entry,
//    technical achievements, customer outcomes, other (a business shut down, an acquisition).
//  - Nothing from negated ("we did NOT close"), quoted (draft headlines, slide text),
//    conditional or projected wording; nothing at all from a message that is a draft, mock-up,
//    scenario, hypothetical, rumour or joke, or that carries instructions aimed at an AI reader.
//  - Only the company's own milestones: no funding event for a competitor's or another named
//    company's round ("Globex just raised $20M"), nor a round restated to the company ("you'd
//    closed a bridge").
//  - Severity: a closed round or signed term sheet, and deals of about $300k a year or more,
//    are high; term sheets received, grants, debt, other deals, certifications, launches,
//    partnerships, key hires, investor interest and market entry are medium; minor press low.
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

// The KPI observations one message yields, before prefiltering; source_message_id is message.id.
std::vector<ExtractedObservation> ExtractMessageObservations(const BatchMessage& message);

}  // namespace ms
