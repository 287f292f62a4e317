// Read-side queries of the ledger for milestonectl, reports and investor updates.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "adapters/postgres/pg.h"
#include "ports/ledger.h"

namespace ms {
struct InvestorUpdate;
}

namespace ms::pg {

struct EventFilter {
  std::string company_id;
  std::string since;  // ISO date/time; empty = all
  std::string type;   // empty = all
  bool open_only = false;
};

StatusOr<std::vector<StoredEvent>> ListEvents(Connection& conn, const EventFilter& filter);

// Stores the update with the ids of the events it used; returns its id.
StatusOr<int64_t> SaveInvestorUpdate(Connection& conn, const InvestorUpdate& update,
                                     const std::string& content_json);

}  // namespace ms::pg
