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
  std::string since;         // RFC 3339 timestamp; events that occurred at or after it
  std::string type;          // event type (e.g. "funding"). Empty = all types.
  std::string until;         // RFC 3339 timestamp; events that occurred before it
  std::string min_severity;  // low | medium | high; empty = all
  int top = 0;               // the `top` most significant; 0 = every match (at most 500)
};

class ReadApi {
 public:
  virtual ~ReadApi() = default;
  // {"company_id": "...", "events": [...]}: the matching events (the `top` most significant
  // when top > 0, else at most 500), newest (by occurred_at) first, each with its
  // significance score.
  // A company with no events is an empty list, not NotFound.
  virtual StatusOr<std::string> CompanyEvents(const std::string& company_id,
                                              const EventFilter& filter) = 0;
  // The batch row with the ids of the events it created or sighted.
  virtual StatusOr<std::string> Batch(int64_t batch_id) = 0;
  // The company's most recent investor update; NotFound when none was generated yet.
  virtual StatusOr<std::string> InvestorEmail(const std::string& company_id) = 0;
};

}  // namespace ms
