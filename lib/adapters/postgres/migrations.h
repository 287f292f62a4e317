// Forward-only, versioned schema migrations (design §3 `schema_migrations`).
//
// Migrate() applies, in one transaction under a transaction-scoped advisory lock, every
// migration whose version is not yet recorded. Two instances racing serialize on the lock;
// the second finds nothing to do. Running it again is a no-op. A recorded migration whose
// checksum differs from the binary's is refused (FailedPrecondition): migrations are never
// edited after release, only added.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/postgres/pg.h"

namespace ms::pg {

struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

// The migrations compiled into this binary, in version order.
const std::vector<Migration>& AllMigrations();

struct MigrateReport {
  std::vector<int> applied;  // versions applied by this call
  int current_version = 0;   // highest version recorded after the call
};

StatusOr<MigrateReport> Migrate(Connection& conn);

// Highest applied version, 0 for an empty database.
StatusOr<int> CurrentSchemaVersion(Connection& conn);

}  // namespace ms::pg
