// How much an event matters to an investor (design §3: lists rank by score). A score is a sum
// of five parts, each documented here and in docs/architecture.md:
//
//   type       funding 30; enterprise_deal, revenue_milestone 20; compliance 15;
//              product_launch 12; partnership, market_expansion, hiring, user_growth 10;
//              customer_success 8; investor_interest, technical_achievement 6; other 5;
//              media_coverage 4
//   severity   high 30, medium 15, low 0
//   amount     the event's money (metrics amount, amount_usd, acv, acv_usd, value when the
//              unit is a currency): 5 points per tenfold above 100k, at most 20
//              ($1M -> 5, $10M -> 10, $100M -> 15)
//   sightings  3 per sighting after the first, at most 9 (a fact told several times is
//              confirmed, not more important)
//   recency    up to 10: 10 when the event occurred at `reference`, falling linearly to 0
//              over 90 days before it
//
// `reference` is the newest occurred_at of the events ranked together (not the wall clock),
// so a replay of last quarter's messages ranks them as they ranked live.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ports/ledger.h"

namespace ms {

double SignificanceScore(const StoredEvent& event, int64_t reference_ms);

// Sets every event's `score` against the newest occurred_at among them.
void ScoreEvents(std::vector<StoredEvent>* events);

// Keeps the `top` highest-scored events (ties: the one that occurred later), in occurred_at
// order, newest first.
void KeepMostSignificant(std::vector<StoredEvent>* events, size_t top);

// "high" 2, "medium" 1, anything else 0.
int SeverityRank(const std::string& severity);

// The event's money as a number, from the metrics named above; 0 when there is none.
double EventAmount(const StoredEvent& event);

// An ISO 8601 UTC time ("2025-06-16T09:12:00Z", or a date) -> epoch ms; 0 when unreadable.
int64_t ParseIsoTimeMs(const std::string& text);

}  // namespace ms
