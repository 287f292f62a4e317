// The store transaction's statements (called inside BEGIN/COMMIT by PgBatchTicket::Store).
#pragma once

#include <string>
#include <vector>

#include "adapters/postgres/pg.h"
#include "ports/ledger.h"

namespace ms::pg {

// Upserts every event by (company, fingerprint), appends event_history and outbox rows, wakes
// the relay (NOTIFY milestoned_outbox) and marks the batch done — unless it is done already.
Status StoreBatchEvents(Connection& tx, int64_t batch_id, const std::string& company_id,
                        const ExtractionResult& result,
                        const std::vector<std::string>& fingerprints, double cost_usd,
                        BatchTicket::StoreOutcome* outcome);

inline constexpr const char* kOutboxChannel = "milestoned_outbox";

}  // namespace ms::pg
