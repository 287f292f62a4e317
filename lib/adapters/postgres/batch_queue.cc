#include "adapters/postgres/batch_queue.h"

#include <nlohmann/json.hpp>

#include "adapters/postgres/event_sql.h"

namespace ms::pg {
namespace {

class PgBatchTicket final : public BatchTicket {
 public:
  PgBatchTicket(Lease lease, int64_t batch_id, std::string company_id, int attempts)
      : lease_(std::move(lease)),
        batch_id_(batch_id),
        company_id_(std::move(company_id)),
        attempts_(attempts) {}
  ~PgBatchTicket() override {
    (void)lease_->Exec("SELECT pg_advisory_unlock($1::bigint)",
                       {std::to_string(BatchLockKey(batch_id_))});
  }

  int64_t batch_id() const override { return batch_id_; }
  const std::string& company_id() const override { return company_id_; }
  int attempts() const override { return attempts_; }

  StatusOr<ExtractionRequest> Load() override {
    MS_ASSIGN_OR_RETURN(Result res,
                        lease_->Exec("SELECT id, source, sender, subject, text, "
                                     "COALESCE((extract(epoch FROM sent_at) * 1000)::bigint, 0) "
                                     "FROM messages WHERE batch_id = $1 ORDER BY id",
                                     {std::to_string(batch_id_)}));
    ExtractionRequest req;
    req.batch_id = batch_id_;
    req.company_id = company_id_;
    for (int row = 0; row < res.rows(); ++row) {
      req.messages.push_back({res.GetInt(row, 0),
                              res.Get(row, 1) == "gmail" ? Source::kGmail : Source::kSlack,
                              std::string(res.Get(row, 2)), std::string(res.Get(row, 3)),
                              std::string(res.Get(row, 4)), res.GetInt(row, 5)});
    }
    return req;
  }

  StatusOr<StoreOutcome> Store(const ExtractionResult& result,
                               const std::vector<std::string>& fingerprints,
                               const Accounting& accounting) override {
    StoreOutcome outcome;
    Status st = lease_->InTransaction([&](Connection& tx) {
      return StoreBatchEvents(tx, batch_id_, company_id_, result, fingerprints, accounting.cost_usd,
                              &outcome);
    });
    MS_RETURN_IF_ERROR(st);
    return outcome;
  }

  Status Fail(const std::string& error, const ExtractionResult* partial) override {
    TokenUsage usage = partial ? partial->usage : TokenUsage{};
    return lease_
        ->Exec(
            "UPDATE batches SET status = 'failed', last_error = $2, finished_at = now(), "
            "prompt_tokens = prompt_tokens + $3, completion_tokens = completion_tokens + $4 "
            "WHERE id = $1 AND status <> 'done'",
            {std::to_string(batch_id_), error.substr(0, 2000), std::to_string(usage.prompt_tokens),
             std::to_string(usage.completion_tokens)})
        .status();
  }

 private:
  Lease lease_;
  int64_t batch_id_;
  std::string company_id_;
  int attempts_;
};

}  // namespace

int64_t BatchLockKey(int64_t batch_id) {
  return (int64_t{0x4D53} << 44) | batch_id;
}

StatusOr<std::unique_ptr<BatchTicket>> PgBatchQueue::Take() {
  MS_ASSIGN_OR_RETURN(Lease lease, pool_->Acquire());
  MS_ASSIGN_OR_RETURN(Result candidates,
                      lease->Exec("SELECT id FROM batches WHERE status IN ('claimed', "
                                  "'extracting') ORDER BY id LIMIT 32"));
  for (int row = 0; row < candidates.rows(); ++row) {
    std::string id(candidates.Get(row, 0));
    MS_ASSIGN_OR_RETURN(Result locked, lease->Exec("SELECT pg_try_advisory_lock($1::bigint)",
                                                   {std::to_string(BatchLockKey(std::stoll(id)))}));
    if (locked.Get(0, 0) != "t") continue;
    // Locked: re-check under the lock, it may have been finished meanwhile.
    MS_ASSIGN_OR_RETURN(Result taken,
                        lease->Exec("UPDATE batches SET status = 'extracting', started_at = now(), "
                                    "attempts = attempts + 1 WHERE id = $1 AND status IN "
                                    "('claimed', 'extracting') RETURNING company_id, attempts",
                                    {id}));
    if (taken.rows() == 1) {
      return std::unique_ptr<BatchTicket>(new PgBatchTicket(std::move(lease), std::stoll(id),
                                                            std::string(taken.Get(0, 0)),
                                                            static_cast<int>(taken.GetInt(0, 1))));
    }
    (void)lease->Exec("SELECT pg_advisory_unlock($1::bigint)",
                      {std::to_string(BatchLockKey(std::stoll(id)))});
  }
  return std::unique_ptr<BatchTicket>();
}

}  // namespace ms::pg
