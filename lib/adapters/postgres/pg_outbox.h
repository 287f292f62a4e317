// The outbox (ports/outbox.h) in Postgres, on one connection of its own: leadership is a
// session-level advisory lock on it plus the epoch and lease of relay_leader (migration 6);
// LISTEN milestoned_outbox wakes WaitForRows (the store transaction NOTIFYs on commit). The
// connection is reopened when it breaks, and the leadership with it is gone.
#pragma once

#include <memory>

#include "adapters/postgres/pg.h"
#include "ports/outbox.h"

namespace ms::pg {

// Unpublished outbox rows, all instances together (one count query on `conn`).
StatusOr<int64_t> CountUnpublished(Connection& conn);

class PgOutbox final : public Outbox, public OutboxHousekeeping {
 public:
  explicit PgOutbox(PgOptions options) : options_(std::move(options)) {}

  StatusOr<std::optional<Leadership>> TryLead() override;
  Status Renew(int64_t epoch, std::chrono::milliseconds lease) override;
  void Resign(int64_t epoch) override;
  StatusOr<std::vector<OutboxRow>> Due(int limit) override;
  StatusOr<std::vector<double>> MarkPublished(int64_t epoch, const std::vector<int64_t>& ids,
                                              bool on_kafka) override;
  Status MarkOnKafka(int64_t epoch, const std::vector<int64_t>& ids) override;
  Status MarkFailed(int64_t epoch, const std::vector<int64_t>& ids, const std::string& error,
                    std::chrono::milliseconds base, std::chrono::milliseconds cap) override;
  Status NoteWaiting(int64_t epoch, const std::vector<int64_t>& ids,
                     const std::string& why) override;
  bool WaitForRows(std::chrono::milliseconds wait) override;

  StatusOr<int64_t> PrunePublished(std::chrono::milliseconds retention) override;

 private:
  // The connection, opened (again) when there is none or it broke.
  StatusOr<Connection*> Conn();
  // Runs `mark` (one statement's result) in a transaction that first checks, under a share
  // lock on relay_leader, that `epoch` still leads.
  StatusOr<Result> Fenced(int64_t epoch, std::string_view sql, const std::vector<Param>& params);

  PgOptions options_;
  std::unique_ptr<Connection> conn_;
  bool holds_lock_ = false;  // this session holds the relay's advisory lock
};

}  // namespace ms::pg
