#include "adapters/postgres/batch_queue.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "adapters/postgres/event_sql.h"
#include "pipeline/ledger/kept_answer.h"

namespace ms::pg {
namespace {

// The spending columns every attempt adds to, whatever its outcome ($3..$14 of AttemptParams).
constexpr char kSpending[] =
    "provider = NULLIF($3, ''), model = NULLIF($4, ''), "
    "prompt_tokens = prompt_tokens + $5, completion_tokens = completion_tokens + $6, "
    "cost_usd = cost_usd + $7::numeric, llm_calls = llm_calls + $8, "
    "dropped_messages = dropped_messages + $9, rejected_events = rejected_events + $10, "
    "cached_prompt_tokens = cached_prompt_tokens + $11, "
    "cache_write_tokens = cache_write_tokens + $12, "
    "decided_offline = decided_offline + $13, llm_mode = COALESCE(NULLIF($14, ''), llm_mode)";

const std::string& FailSql() {
  static const std::string sql =
      std::string(
          "UPDATE batches SET status = 'failed', last_error = $2, finished_at = now(), "
          "retry_at = NULL, ") +
      kSpending + " WHERE id = $1 AND status <> 'done'";
  return sql;
}

// $15: seconds to wait; $16: 1 gives the attempt back.
const std::string& HandBackSql() {
  static const std::string sql = std::string(
                                     "UPDATE batches SET status = 'claimed', last_error = $2, "
                                     "retry_at = now() + make_interval(secs => $15::float8), "
                                     "attempts = attempts - $16::int, ") +
                                 kSpending + " WHERE id = $1 AND status <> 'done'";
  return sql;
}

// $2: the reason; $3: seconds to wait.
constexpr char kRetryStoreSql[] =
    "UPDATE batches SET status = 'claimed', last_error = $2, "
    "retry_at = now() + make_interval(secs => $3::float8), attempts = attempts - 1, "
    "store_attempts = store_attempts + 1 WHERE id = $1 AND status <> 'done'";

// Committed before the provider's create call: a batch marked so is never submitted again
// unless the marker is cleared (a definite refusal, or `milestonectl batches retry`).
constexpr char kMarkSubmittingSql[] =
    "UPDATE batches SET job_state = 'submitting', submitted_at = now() "
    "WHERE id = $1 AND status <> 'done' AND provider_job_id IS NULL AND job_state IS NULL";

constexpr char kClearSubmittingSql[] =
    "UPDATE batches SET job_state = NULL, submitted_at = NULL "
    "WHERE id = $1 AND provider_job_id IS NULL AND job_state = 'submitting'";

// $2 provider, $3 job id, $4 requests, $5 seconds to the first poll, $6 the requests'
// hashes. One statement: the id and the status together, and never over an id already stored.
constexpr char kMarkSubmittedSql[] =
    "UPDATE batches SET status = 'submitted', provider = $2, job_provider = $2, "
    "provider_job_id = $3, job_state = 'pending', job_requests = $4, "
    "job_request_hashes = $6::text[], "
    "submitted_at = COALESCE(submitted_at, now()), last_error = NULL, "
    "retry_at = now() + make_interval(secs => $5::float8), attempts = attempts - 1 "
    "WHERE id = $1 AND status <> 'done' AND provider_job_id IS NULL";

// $2 the provider's state, $3 seconds to the next poll.
constexpr char kAwaitJobSql[] =
    "UPDATE batches SET status = 'submitted', job_provider_state = $2, "
    "retry_at = now() + make_interval(secs => $3::float8), attempts = attempts - 1 "
    "WHERE id = $1 AND status <> 'done'";

// $2 the final state, $3 the provider's, $4 fallbacks.
constexpr char kEndJobSql[] =
    "UPDATE batches SET job_state = $2, job_provider_state = $3, "
    "job_ended_at = COALESCE(job_ended_at, now()), job_fallbacks = job_fallbacks + $4::int "
    "WHERE id = $1 AND status <> 'done'";

std::string Seconds(std::chrono::milliseconds wait) {
  char seconds[32];
  snprintf(seconds, sizeof seconds, "%.3f", static_cast<double>(wait.count()) / 1000.0);
  return seconds;
}

class PgBatchTicket final : public BatchTicket {
 public:
  PgBatchTicket(Lease lease, int64_t batch_id, std::string company_id, int attempts,
                int store_attempts, std::optional<ProviderJob> job, const MilestoneRules* rules)
      : lease_(std::move(lease)),
        batch_id_(batch_id),
        company_id_(std::move(company_id)),
        attempts_(attempts),
        store_attempts_(store_attempts),
        job_(std::move(job)),
        rules_(rules) {}
  ~PgBatchTicket() override {
    (void)lease_->ExecPrepared("SELECT pg_advisory_unlock($1::bigint)",
                               {std::to_string(BatchLockKey(batch_id_))});
  }

  int64_t batch_id() const override { return batch_id_; }
  const std::string& company_id() const override { return company_id_; }
  int attempts() const override { return attempts_; }
  int store_attempts() const override { return store_attempts_; }

  StatusOr<ExtractionRequest> Load() override {
    MS_ASSIGN_OR_RETURN(
        Result res,
        lease_->ExecPrepared("SELECT m.id, m.source, m.sender, m.subject, m.text, "
                             "COALESCE((extract(epoch FROM m.sent_at) * 1000)::bigint, 0) "
                             "FROM batches b CROSS JOIN LATERAL unnest(b.message_ids) AS u(id) "
                             "JOIN messages m ON m.id = u.id WHERE b.id = $1 ORDER BY m.id",
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

  StatusOr<std::optional<KeptAnswer>> LoadKept() override {
    MS_ASSIGN_OR_RETURN(Result res,
                        lease_->ExecPrepared("SELECT answer::text FROM batches WHERE id = $1 "
                                             "AND answer IS NOT NULL",
                                             {std::to_string(batch_id_)}));
    if (res.rows() == 0) return std::optional<KeptAnswer>();
    MS_ASSIGN_OR_RETURN(KeptAnswer answer, DecodeKeptAnswer(res.Get(0, 0)));
    return std::optional<KeptAnswer>(std::move(answer));
  }

  Status Keep(const KeptAnswer& answer) override {
    return lease_
        ->Exec("UPDATE batches SET answer = $2::jsonb WHERE id = $1 AND status <> 'done'",
               {std::to_string(batch_id_), EncodeKeptAnswer(answer)})
        .status();
  }

  std::optional<ProviderJob> job() const override { return job_; }

  Status MarkSubmitting() override {
    MS_ASSIGN_OR_RETURN(Result res, lease_->Exec(kMarkSubmittingSql, {std::to_string(batch_id_)}));
    if (res.affected() == 0) {
      return FailedPrecondition("batch " + std::to_string(batch_id_) +
                                " is done, already being submitted or has a provider job");
    }
    job_ = ProviderJob{"", "submitting", 0, ""};
    return Status::Ok();
  }

  Status ClearSubmitting() override {
    MS_RETURN_IF_ERROR(lease_->Exec(kClearSubmittingSql, {std::to_string(batch_id_)}).status());
    if (job_ && job_->id.empty()) job_.reset();
    return Status::Ok();
  }

  Status MarkSubmitted(const std::string& provider, const std::string& job_id,
                       const std::vector<std::string>& request_hashes,
                       std::chrono::milliseconds poll_in) override {
    const int requests = static_cast<int>(request_hashes.size());
    MS_ASSIGN_OR_RETURN(
        Result res, lease_->Exec(kMarkSubmittedSql, {std::to_string(batch_id_), provider, job_id,
                                                     std::to_string(requests), Seconds(poll_in),
                                                     QuotedArrayLiteral(request_hashes)}));
    if (res.affected() == 0) {
      return FailedPrecondition("batch " + std::to_string(batch_id_) +
                                " is done or already has a provider job");
    }
    job_ = ProviderJob{job_id, "pending", requests, provider, request_hashes};
    return Status::Ok();
  }

  Status AwaitJob(const std::string& provider_state, std::chrono::milliseconds poll_in) override {
    return lease_
        ->Exec(kAwaitJobSql,
               {std::to_string(batch_id_), provider_state.substr(0, 2000), Seconds(poll_in)})
        .status();
  }

  Status EndJob(const std::string& state, const std::string& provider_state,
                int fallbacks) override {
    return lease_
        ->Exec(kEndJobSql, {std::to_string(batch_id_), state, provider_state.substr(0, 200),
                            std::to_string(fallbacks)})
        .status();
  }

  Status RetryStore(const std::string& reason, std::chrono::milliseconds retry_in) override {
    return lease_
        ->Exec(kRetryStoreSql,
               {std::to_string(batch_id_), reason.substr(0, 2000), Seconds(retry_in)})
        .status();
  }

  StatusOr<StoreOutcome> Store(const ExtractionResult& result,
                               const std::vector<std::string>& fingerprints,
                               const Accounting& accounting) override {
    StoreOutcome outcome;
    Status st = lease_->InTransaction([&](Connection& tx) {
      return StoreBatchEvents(tx, batch_id_, company_id_, result, fingerprints, accounting.cost_usd,
                              *rules_, &outcome);
    });
    MS_RETURN_IF_ERROR(st);
    return outcome;
  }

  Status Fail(const std::string& error, const ExtractionResult& spent,
              const Accounting& accounting) override {
    return lease_->Exec(FailSql(), AttemptParams(error, spent, accounting)).status();
  }

  Status HandBack(const std::string& reason, const ExtractionResult& spent,
                  const Accounting& accounting, std::chrono::milliseconds retry_in,
                  bool count_attempt) override {
    std::vector<Param> params = AttemptParams(reason, spent, accounting);
    params.emplace_back(Seconds(retry_in));
    params.emplace_back(count_attempt ? "0" : "1");
    return lease_->Exec(HandBackSql(), params).status();
  }

 private:
  // $1 batch, $2 error, $3..$14 the attempt's spending (kSpending).
  std::vector<Param> AttemptParams(const std::string& error, const ExtractionResult& spent,
                                   const Accounting& accounting) const {
    char cost[32];
    snprintf(cost, sizeof cost, "%.6f", accounting.cost_usd);
    return {std::to_string(batch_id_),
            error.substr(0, 2000),
            spent.provider,
            spent.model,
            std::to_string(spent.usage.prompt_tokens),
            std::to_string(spent.usage.completion_tokens),
            std::string(cost),
            std::to_string(spent.llm_calls),
            std::to_string(spent.dropped_by_prefilter),
            std::to_string(spent.rejected_events),
            std::to_string(spent.usage.cached_prompt_tokens),
            std::to_string(spent.usage.cache_write_tokens),
            std::to_string(spent.decided_offline),
            spent.mode};
  }

  Lease lease_;
  int64_t batch_id_;
  std::string company_id_;
  int attempts_;
  int store_attempts_;
  std::optional<ProviderJob> job_;
  const MilestoneRules* rules_;  // the queue's, which outlives its tickets
};

}  // namespace

int64_t BatchLockKey(int64_t batch_id) {
  return (int64_t{0x4D53} << 44) | batch_id;
}

StatusOr<int64_t> RequeueFailedBatches(Connection& conn, int64_t batch_id,
                                       const std::string& company_id) {
  MS_ASSIGN_OR_RETURN(
      Result res,
      conn.Exec("UPDATE batches SET status = 'claimed', last_error = NULL, attempts = 0, "
                "store_attempts = 0, retry_at = NULL, "
                "job_state = CASE WHEN provider_job_id IS NULL THEN NULL ELSE job_state END, "
                "submitted_at = CASE WHEN provider_job_id IS NULL THEN NULL ELSE submitted_at END "
                "WHERE status = 'failed' AND ($1 = 0 OR id = $1) AND ($2 = '' OR company_id = $2)",
                {std::to_string(batch_id), company_id}));
  return res.affected();
}

StatusOr<std::unique_ptr<BatchTicket>> PgBatchQueue::Take() {
  MS_ASSIGN_OR_RETURN(Lease lease, pool_->Acquire());
  // Page by page: batches in another worker's hands (locked) may fill a page, never all pages.
  for (std::string after = "0";;) {
    MS_ASSIGN_OR_RETURN(
        Result candidates,
        lease->ExecPrepared(
            "SELECT id FROM batches WHERE status IN ('claimed', "
            "'extracting', 'submitted') AND (retry_at IS NULL OR retry_at <= now()) "
            "AND id > $1::bigint ORDER BY id LIMIT 32",
            {after}));
    if (candidates.rows() == 0) return std::unique_ptr<BatchTicket>();
    for (int row = 0; row < candidates.rows(); ++row) {
      const int64_t id = candidates.GetInt(row, 0);
      MS_ASSIGN_OR_RETURN(std::optional<Taken> taken, TryTake(*lease, id));
      if (!taken) continue;
      return std::unique_ptr<BatchTicket>(
          new PgBatchTicket(std::move(lease), id, std::move(taken->company_id), taken->attempts,
                            taken->store_attempts, std::move(taken->job), &rules_));
    }
    after = std::string(candidates.Get(candidates.rows() - 1, 0));
  }
}

namespace {

// "a,b,c" (array_to_string of batches.job_request_hashes: hex, no commas) as its elements.
std::vector<std::string> SplitHashes(std::string_view joined) {
  std::vector<std::string> out;
  while (!joined.empty()) {
    const size_t comma = std::min(joined.find(','), joined.size());
    out.emplace_back(joined.substr(0, comma));
    joined.remove_prefix(std::min(comma + 1, joined.size()));
  }
  return out;
}

}  // namespace

StatusOr<std::optional<PgBatchQueue::Taken>> PgBatchQueue::TryTake(Connection& conn,
                                                                   int64_t batch_id) {
  const std::string key = std::to_string(BatchLockKey(batch_id));
  MS_ASSIGN_OR_RETURN(Result locked,
                      conn.ExecPrepared("SELECT pg_try_advisory_lock($1::bigint)", {key}));
  if (locked.Get(0, 0) != "t") return std::optional<Taken>();
  // Locked: re-check under the lock, it may have been finished meanwhile. A submitted batch
  // stays `submitted` while its job is polled.
  MS_ASSIGN_OR_RETURN(
      Result taken,
      conn.ExecPrepared(
          "UPDATE batches SET status = CASE WHEN status = 'submitted' THEN 'submitted' "
          "ELSE 'extracting' END, started_at = now(), attempts = attempts + 1 "
          "WHERE id = $1 AND status IN ('claimed', 'extracting', 'submitted') "
          "RETURNING company_id, attempts, store_attempts, COALESCE(provider_job_id, ''), "
          "COALESCE(job_state, ''), job_requests, COALESCE(job_provider, ''), "
          "array_to_string(job_request_hashes, ',')",
          {std::to_string(batch_id)}));
  if (taken.rows() == 1) {
    Taken out{std::string(taken.Get(0, 0)), static_cast<int>(taken.GetInt(0, 1)),
              static_cast<int>(taken.GetInt(0, 2)), std::nullopt};
    // A job id, or the `submitting` marker of a submission whose outcome is unknown.
    if (!taken.Get(0, 3).empty() || taken.Get(0, 4) == "submitting") {
      out.job = ProviderJob{std::string(taken.Get(0, 3)), std::string(taken.Get(0, 4)),
                            static_cast<int>(taken.GetInt(0, 5)), std::string(taken.Get(0, 6)),
                            SplitHashes(taken.Get(0, 7))};
    }
    return std::optional<Taken>(std::move(out));
  }
  (void)conn.ExecPrepared("SELECT pg_advisory_unlock($1::bigint)", {key});
  return std::optional<Taken>();
}

}  // namespace ms::pg
