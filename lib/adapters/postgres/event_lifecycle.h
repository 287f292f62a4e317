// Postgres implementation of the EventLifecycle port: one statement (event_sql.h's
// MarkStaleEvents) on a connection of the pool. Under READ COMMITTED a concurrent run of the
// same statement waits for the first one's row locks, then re-checks `state = 'open'` and
// skips what the first one changed, so the port's promise holds across instances.
#pragma once

#include "adapters/postgres/pg.h"
#include "ports/event_lifecycle.h"

namespace ms::pg {

class PgEventLifecycle final : public EventLifecycle {
 public:
  // `pool` must outlive this object; each call holds one of its connections.
  explicit PgEventLifecycle(Pool* pool) : pool_(pool) {}

  StatusOr<int64_t> MarkStale(std::chrono::milliseconds stale_after) override;

 private:
  Pool* pool_;
};

}  // namespace ms::pg
