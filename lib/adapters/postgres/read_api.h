// ReadApi over Postgres: batches and investor updates are one parameterized query that builds
// the JSON in the database (json_build_object / row_to_json); events are read with the
// ledger's query (ledger_queries.h) so they carry the same significance score as the CLI's.
//
// Connections come from `pool`, which must be a small pool of its own: HTTP readers then can
// never starve the pipeline of connections, and the session statement_timeout set here on
// every lease (one cheap round trip) cannot leak into pipeline queries. A pool exhausted for
// `acquire_wait`, a broken connection or a query cancelled by the timeout is Unavailable
// (503). Timestamps are rendered by Postgres in ISO 8601 with an offset.
#pragma once

#include <chrono>

#include "adapters/postgres/pg.h"
#include "ports/read_api.h"

namespace ms::pg {

struct ReadApiOptions {
  std::chrono::milliseconds acquire_wait{2000};
  std::chrono::milliseconds statement_timeout{5000};
};

class PgReadApi final : public ReadApi {
 public:
  explicit PgReadApi(Pool* pool, ReadApiOptions options = {}) : pool_(pool), options_(options) {}

  StatusOr<std::string> CompanyEvents(const std::string& company_id,
                                      const EventFilter& filter) override;
  StatusOr<std::string> Batch(int64_t batch_id) override;
  StatusOr<std::string> InvestorEmail(const std::string& company_id) override;

 private:
  // A leased connection with the statement timeout set.
  StatusOr<Lease> Acquire();
  // A cancelled statement (the timeout) as Unavailable; other errors as they are.
  Status Busy(const Status& status) const;
  // Runs `sql` expecting at most one row with one text column; NotFound (`what`) if none.
  StatusOr<std::string> QueryOne(std::string_view sql, const std::vector<Param>& params,
                                 std::string_view what);

  Pool* pool_;
  ReadApiOptions options_;
};

}  // namespace ms::pg
