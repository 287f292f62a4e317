// Read-side queries of the ledger for milestonectl, the read API and investor updates.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "adapters/postgres/pg.h"
#include "pipeline/investor/investor_update.h"
#include "ports/ledger.h"

namespace ms::pg {

struct EventFilter {
  std::string company_id;
  std::string since;         // ISO date/time: occurred at or after; empty = no bound
  std::string until;         // ISO date/time: occurred before; empty = no bound
  std::string type;          // empty = all
  std::string min_severity;  // "low", "medium", "high"; empty = all
  bool open_only = false;
};

// The company's events that match, newest occurred_at first (ties: newest id first), with
// their significance score set (pipeline/ledger/significance.h, against the newest among them).
StatusOr<std::vector<StoredEvent>> ListEvents(Connection& conn, const EventFilter& filter);

// The company's KPI readings that occurred in [since, until) (empty = no bound), by metric
// then time.
StatusOr<std::vector<StoredObservation>> ListObservations(Connection& conn,
                                                          const std::string& company_id,
                                                          const std::string& since,
                                                          const std::string& until);

// The sent time of the company's latest message, and the end of the period of its latest
// investor update; empty when there is none.
StatusOr<std::string> LatestMessageTime(Connection& conn, const std::string& company_id);
StatusOr<std::string> PreviousUpdateEnd(Connection& conn, const std::string& company_id);

// The period of the company's next investor update when none is given: from the end of its
// previous update's period, else from 30 days before its latest message, to just after its
// latest message. When nothing arrived since the previous update, the 30 days up to the latest
// message (so a re-run, or a replay of old data, yields the update it yielded live). Empty
// bounds when the company has no message. `since`/`until` given by the caller win.
StatusOr<DigestPeriod> UpdatePeriod(Connection& conn, const std::string& company_id,
                                    const std::string& since, const std::string& until);

// The digest of the company's period (investor_update.h): its events that occurred in the
// period and are not closed, and its KPI readings of the period.
StatusOr<UpdateDigest> LoadDigest(Connection& conn, const std::string& company_id,
                                  const DigestPeriod& period, bool redact_pii);

// Stores the update with the ids of the events it used and its period; returns its id.
StatusOr<int64_t> SaveInvestorUpdate(Connection& conn, const InvestorUpdate& update,
                                     const std::string& content_json);

}  // namespace ms::pg
