// The store transaction's statements (called inside BEGIN/COMMIT by PgBatchTicket::Store).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "adapters/postgres/pg.h"
#include "pipeline/ledger/milestones.h"
#include "ports/ledger.h"

namespace ms::pg {

// Upserts every event by (company, fingerprint), stores the observations (idempotent per
// company, metric and source message), derives the milestones of every series that gained a
// reading (pipeline/ledger/milestones.h) and upserts them, appends event_history and outbox rows,
// wakes the relay (NOTIFY milestoned_outbox) and marks the batch done — unless it is done
// already. Events all new to the ledger (and to each other) are written in one statement with
// their history and outbox rows; a batch that sights a stored event, or that the database
// refuses, is written event by event, a refused event left out alone.
Status StoreBatchEvents(Connection& tx, int64_t batch_id, const std::string& company_id,
                        const ExtractionResult& result,
                        const std::vector<std::string>& fingerprints, double cost_usd,
                        const MilestoneRules& rules, BatchTicket::StoreOutcome* outcome);

// Open events unseen for `stale_after` become `stale`, each with a state_changed history row
// and an `event.stale` outbox row, in one statement; returns how many changed.
StatusOr<int64_t> MarkStaleEvents(Connection& conn, std::chrono::milliseconds stale_after);

// An event's stored metrics (jsonb text) as a map; a value that is not a string is kept as its
// JSON text. Empty when the text is not a JSON object.
std::map<std::string, std::string> MetricsFromJson(std::string_view text);

inline constexpr const char* kOutboxChannel = "milestoned_outbox";

}  // namespace ms::pg
