// Event fingerprints: the ledger's dedup key (design §3 `events` UNIQUE(company_id, fingerprint)).
// The same milestone seen in two batches, worded differently, must map to the same fingerprint;
// different facts must not.
//
// The key facts per type, read from the event's metrics (names as the prompt and the rules
// extractor write them); when the facts a type needs are absent, the key falls back to the
// normalized title (NormalizeTitle):
//   funding            round (metrics.round: "Series A" / "A" -> series_a) alone: a round's
//                      term sheet, signature and close, and its amount as first and finally
//                      reported, are one event. Without a round: metrics.stage when it is
//                      grant or debt, and the amount's half-decade bucket (metrics.amount_usd,
//                      else metrics.amount: $10M..$31.6M share a bucket). Needs round or amount.
//   revenue_milestone  the first present of mrr_usd, arr_usd, revenue_usd, nrr_pct,
//                      growth_mom_pct, growth_wow_pct: name and exact value ("$192,400" and
//                      "192400" are equal).
//   user_growth        users, else signups: name and exact value.
//   enterprise_deal    counterparty, normalized (lowercase; punctuation, "the" and legal
//                      suffixes such as Inc/Corp/LLC/Ltd removed).
//   partnership        counterparty, normalized as above.
//   hiring             role, normalized ("Vice President of Engineering" == "VP Engineering").
//   investor_interest  investor, normalized like a counterparty (one firm, one event).
//   product_launch     product, normalized like a title.
//   compliance         framework ("SOC 2 Type II" == "soc2 type ii") plus metrics.status
//                      when present ("certified" and "in_progress" are different milestones).
//   market_expansion   region, normalized like a title.
//   every other type   the normalized title.
// The fingerprint is 16 lowercase hex digits: FNV-1a 64 of a versioned key
// "v2|company|type|facts"; changing any rule above requires bumping the version (events stored
// under an older version keep their fingerprint; a new sighting of such a fact starts a new
// event).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "ports/extract.h"

namespace ms {

// Lowercase words sorted and de-duplicated, with stop words and generic event verbs
// ("closed", "raised", "announced", ...) removed, light suffix stemming ("launches" ==
// "launched" == "launch"), and numbers in one form ("$12.4M" == "12,400,000" == "12.4 million"
// -> "12400000"; "12.5%" -> "12.5"). "Closed $12M Series A led by Blue Chip" and
// "Blue Chip leads our $12 million Series A" share most words; only wording differences in
// content words remain.
std::string NormalizeTitle(std::string_view title);

// The readable key before hashing, e.g. "funding|round=series_a|amount=b14". For logs/tests.
std::string FingerprintKey(const ExtractedEvent& event);

std::string EventFingerprint(const std::string& company_id, const ExtractedEvent& event);

// One report of a fact, as SameFact compares it.
struct FactView {
  const std::map<std::string, std::string>& metrics;
  std::string_view title;
};

// Whether two reports of one type are the same fact although their fingerprints may differ:
//   funding            both name a round: the same round; neither does, or only one: the same
//                      lead investor, and neither is a grant or debt ("Signed term sheet led by
//                      Fjordline" and "Closed Series A led by Fjordline Capital"; names
//                      compared as for deals, below).
//   enterprise_deal,   one counterparty's words begin the other's ("Harcourt" and "Harcourt
//   partnership        Estates Ltd"), normalized as for fingerprints.
//   investor_interest  the same for the investor.
//   customer_success,  the titles share at least 3 words (NormalizeTitle) and at least half of
//   product_launch,    the shorter title's words, or all of a shorter title of at least 2
//                      ("Launched on Product Hunt" and "Launched
//   technical_achie-   ScaleFlow 2.0 on Product Hunt"; "We shut down B2C on July 1" and
//   vement, other      "winding down B2C home delivery on July 1").
// Other types: only equal fingerprints are the same fact. Symmetric.
bool SameFact(const std::string& type, const FactView& a, const FactView& b);

// The fingerprint of a milestone derived from a KPI series (pipeline/ledger/milestones.h), from its
// key ("ladder|arr|2000000"); apart from every extracted event's.
std::string SeriesMilestoneFingerprint(const std::string& company_id, std::string_view key);

}  // namespace ms
