#include "adapters/postgres/event_lifecycle.h"

#include "adapters/postgres/event_sql.h"

namespace ms::pg {

StatusOr<int64_t> PgEventLifecycle::MarkStale(std::chrono::milliseconds stale_after) {
  MS_ASSIGN_OR_RETURN(Lease lease, pool_->Acquire());
  return MarkStaleEvents(*lease, stale_after);
}

}  // namespace ms::pg
