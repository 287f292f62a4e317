// The read side served by the HTTP API (design §6): the event ledger, batches and investor
// updates, rendered as JSON text so the HTTP adapter stays a thin router.
//
// Errors are chosen for the HTTP status the caller maps them to:
//   NotFound          → 404  (no such batch, no investor update yet)
//   InvalidArgument   → 400  (malformed id, `since` or `type`)
//   Unavailable       → 503  (the store is down or busy: retry later)
//   anything else     → 500
// Implementations are called from HTTP worker threads concurrently and must be thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace ms {

struct EventFilter {
  std::string since;  // RFC 3339 timestamp; events last seen at or after it. Empty = all.
  std::string type;   // event type (e.g. "funding"). Empty = all types.
};

class ReadApi {
 public:
  virtual ~ReadApi() = default;
  // {"company_id": "...", "events": [...]} newest (by last_seen) first, at most 500 events.
  // A company with no events is an empty list, not NotFound.
  virtual StatusOr<std::string> CompanyEvents(const std::string& company_id,
                                              const EventFilter& filter) = 0;
  // The batch row with the ids of the events it created or sighted.
  virtual StatusOr<std::string> Batch(int64_t batch_id) = 0;
  // The company's most recent investor update; NotFound when none was generated yet.
  virtual StatusOr<std::string> InvestorEmail(const std::string& company_id) = 0;
};

}  // namespace ms
