// Postgres implementation of BatchQueue/BatchTicket (design §3 batches, events, event_history,
// outbox; invariant 3).
//
// A ticket holds a pooled connection and a session-level advisory lock on its batch for as
// long as it lives: another worker or instance skips a locked batch, and if this process dies
// the connection drops, the lock goes with it, and the batch (still `extracting`) is taken
// again by the next Take(). Store() checks the batch is not `done` under FOR UPDATE inside its
// transaction, so a batch re-run after a crash between the model's answer and the commit is
// stored exactly once.
#pragma once

#include "adapters/postgres/pg.h"
#include "pipeline/ledger/milestones.h"
#include "ports/ledger.h"

namespace ms::pg {

class PgBatchQueue final : public BatchQueue {
 public:
  // `rules`: how stored observations become milestones (events.ladders and friends).
  explicit PgBatchQueue(Pool* pool, MilestoneRules rules = MilestoneRules::Defaults())
      : pool_(pool), rules_(std::move(rules)) {}
  StatusOr<std::unique_ptr<BatchTicket>> Take() override;

 private:
  struct Taken {
    std::string company_id;
    int attempts = 0;
    int store_attempts = 0;
    std::optional<ProviderJob> job;
  };
  // Locks and takes batch `batch_id` on `conn` when no other worker holds it and it is still
  // to be extracted; nullopt otherwise (the lock then released).
  static StatusOr<std::optional<Taken>> TryTake(Connection& conn, int64_t batch_id);

  Pool* pool_;
  MilestoneRules rules_;
};

// Advisory-lock key of a batch (distinct from the migration and relay keys).
int64_t BatchLockKey(int64_t batch_id);

// An operator's retry: failed batches (`batch_id`, or all when 0; of `company_id` unless empty)
// go back to `claimed` with their attempts forgiven. A `submitting` marker with no job id is
// cleared (the operator checked the provider: no job exists), so the batch is submitted again; a
// stored job id is kept and polled. Returns how many batches were requeued.
StatusOr<int64_t> RequeueFailedBatches(Connection& conn, int64_t batch_id,
                                       const std::string& company_id);

}  // namespace ms::pg
