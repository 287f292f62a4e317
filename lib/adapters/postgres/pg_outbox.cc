#include "adapters/postgres/pg_outbox.h"

#include <libpq-fe.h>
#include <sys/select.h>

#include <cstdlib>

#include "adapters/postgres/event_sql.h"

namespace ms::pg {
namespace {

constexpr std::string_view kRelayLockKey = "4242770002";

// A company whose earliest unpublished row is not due yet (next_attempt_at in the future) is
// skipped entirely, so none of its later rows overtakes the one that failed. Rows are read in
// id order from outbox_due_idx; the hold is looked up in outbox_held_idx (migration 14), whose
// predicate the `IS NOT NULL` matches.
constexpr std::string_view kDueSql = R"sql(
SELECT o.id, o.aggregate, o.type,
       (o.payload || jsonb_build_object('delivery_id', o.id))::text, e.event_uid,
       o.kafka_published_at IS NOT NULL
FROM outbox o JOIN events e ON e.id = o.event_id
WHERE o.published_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM outbox held
                  WHERE held.aggregate = o.aggregate AND held.published_at IS NULL
                    AND held.id <= o.id AND held.next_attempt_at IS NOT NULL
                    AND held.next_attempt_at > now())
ORDER BY o.id LIMIT )sql";

// $2: whether Kafka is a sink (then the row is on the topic too).
constexpr std::string_view kMarkPublishedSql = R"sql(
UPDATE outbox SET published_at = now(), attempts = attempts + 1,
  kafka_published_at = CASE WHEN $2::boolean THEN COALESCE(kafka_published_at, now())
                            ELSE kafka_published_at END
WHERE id = ANY($1::bigint[])
RETURNING extract(epoch FROM published_at - created_at)::float8)sql";

constexpr std::string_view kMarkOnKafkaSql = R"sql(
UPDATE outbox SET kafka_published_at = now()
WHERE id = ANY($1::bigint[]) AND kafka_published_at IS NULL)sql";

constexpr std::string_view kMarkFailedSql = R"sql(
UPDATE outbox SET attempts = attempts + 1, last_error = $2,
  next_attempt_at = now() + make_interval(
      secs => least($3::float8 * power(2::float8, least(attempts, 30)), $4::float8))
WHERE id = ANY($1::bigint[]))sql";

constexpr std::string_view kNoteWaitingSql = R"sql(
UPDATE outbox SET last_error = $2 WHERE id = ANY($1::bigint[]))sql";

std::string Seconds(std::chrono::milliseconds value) {
  return std::to_string(static_cast<double>(value.count()) / 1000.0);
}

Status FencedError(int64_t epoch, std::string_view current) {
  return FailedPrecondition("relay: fenced, epoch " + std::to_string(epoch) +
                            " no longer leads (current epoch " + std::string(current) + ")");
}

}  // namespace

StatusOr<Connection*> PgOutbox::Conn() {
  if (conn_ && conn_->healthy()) return conn_.get();
  holds_lock_ = false;  // a new session holds no lock
  conn_.reset();
  MS_ASSIGN_OR_RETURN(conn_, Connection::Open(options_));
  return conn_.get();
}

StatusOr<std::optional<Leadership>> PgOutbox::TryLead() {
  MS_ASSIGN_OR_RETURN(Connection * conn, Conn());
  if (!holds_lock_) {
    MS_ASSIGN_OR_RETURN(Result got, conn->Exec("SELECT pg_try_advisory_lock($1::bigint)",
                                               {std::string(kRelayLockKey)}));
    if (got.Get(0, 0) != "t") return std::optional<Leadership>();
    holds_lock_ = true;
    MS_RETURN_IF_ERROR(conn->Exec("LISTEN milestoned_outbox").status());
  }
  MS_ASSIGN_OR_RETURN(
      Result taken,
      conn->Exec("UPDATE relay_leader SET epoch = epoch + 1 WHERE id = 1 RETURNING epoch, "
                 "CASE WHEN lease_until > now() THEN "
                 "(extract(epoch FROM lease_until - now()) * 1000)::bigint ELSE 0 END"));
  if (taken.rows() != 1) return FailedPrecondition("relay_leader has no row (migration 6)");
  return std::optional<Leadership>(
      Leadership{taken.GetInt(0, 0), std::chrono::milliseconds(taken.GetInt(0, 1))});
}

Status PgOutbox::Renew(int64_t epoch, std::chrono::milliseconds lease) {
  MS_ASSIGN_OR_RETURN(Connection * conn, Conn());
  if (!holds_lock_) return FailedPrecondition("relay: the session that held the lead is gone");
  auto renewed = conn->Exec(
      "UPDATE relay_leader SET lease_until = now() + make_interval(secs => $2::float8) "
      "WHERE id = 1 AND epoch = $1 RETURNING epoch",
      {std::to_string(epoch), Seconds(lease)});
  if (!renewed.ok() && !conn->healthy()) {
    holds_lock_ = false;  // the lock went with the session
    return FailedPrecondition("relay: the session that held the lead is gone: " +
                              renewed.status().message());
  }
  MS_RETURN_IF_ERROR(renewed.status());
  if (renewed->rows() == 0) return FencedError(epoch, "newer");
  return Status::Ok();
}

void PgOutbox::Resign(int64_t epoch) {
  if (!conn_ || !conn_->healthy() || !holds_lock_) return;
  (void)conn_->Exec("UPDATE relay_leader SET lease_until = now() WHERE id = 1 AND epoch = $1",
                    {std::to_string(epoch)});
  (void)conn_->Exec("SELECT pg_advisory_unlock($1::bigint)", {std::string(kRelayLockKey)});
  holds_lock_ = false;
}

StatusOr<std::vector<OutboxRow>> PgOutbox::Due(int limit) {
  MS_ASSIGN_OR_RETURN(Connection * conn, Conn());
  // The limit is written into the text, so that the generic plan of the prepared statement
  // knows it (a `LIMIT $1` is planned as a tenth of the rows).
  MS_ASSIGN_OR_RETURN(Result res, conn->ExecPrepared(std::string(kDueSql) + std::to_string(limit)));
  std::vector<OutboxRow> rows;
  rows.reserve(static_cast<size_t>(res.rows()));
  for (int row = 0; row < res.rows(); ++row) {
    rows.push_back({res.GetInt(row, 0), std::string(res.Get(row, 1)), std::string(res.Get(row, 2)),
                    std::string(res.Get(row, 3)), std::string(res.Get(row, 4)),
                    res.Get(row, 5) == "t"});
  }
  return rows;
}

StatusOr<Result> PgOutbox::Fenced(int64_t epoch, std::string_view sql,
                                  const std::vector<Param>& params) {
  MS_ASSIGN_OR_RETURN(Connection * conn, Conn());
  std::optional<Result> out;
  Status st = conn->InTransaction([&](Connection& tx) -> Status {
    MS_ASSIGN_OR_RETURN(Result current,
                        tx.ExecPrepared("SELECT epoch FROM relay_leader WHERE id = 1 FOR SHARE"));
    if (current.rows() != 1 || current.GetInt(0, 0) != epoch) {
      return FencedError(epoch, current.rows() == 1 ? current.Get(0, 0) : "none");
    }
    MS_ASSIGN_OR_RETURN(Result marked, tx.ExecPrepared(sql, params));
    out = std::move(marked);
    return Status::Ok();
  });
  MS_RETURN_IF_ERROR(st);
  return std::move(*out);
}

StatusOr<std::vector<double>> PgOutbox::MarkPublished(int64_t epoch,
                                                      const std::vector<int64_t>& ids,
                                                      bool on_kafka) {
  MS_ASSIGN_OR_RETURN(Result res, Fenced(epoch, kMarkPublishedSql,
                                         {Int64ArrayLiteral(ids), on_kafka ? "true" : "false"}));
  std::vector<double> latencies;
  for (int row = 0; row < res.rows(); ++row) {
    latencies.push_back(std::strtod(std::string(res.Get(row, 0)).c_str(), nullptr));
  }
  return latencies;
}

Status PgOutbox::MarkOnKafka(int64_t epoch, const std::vector<int64_t>& ids) {
  return Fenced(epoch, kMarkOnKafkaSql, {Int64ArrayLiteral(ids)}).status();
}

Status PgOutbox::MarkFailed(int64_t epoch, const std::vector<int64_t>& ids,
                            const std::string& error, std::chrono::milliseconds base,
                            std::chrono::milliseconds cap) {
  return Fenced(epoch, kMarkFailedSql,
                {Int64ArrayLiteral(ids), error.substr(0, 2000), Seconds(base), Seconds(cap)})
      .status();
}

Status PgOutbox::NoteWaiting(int64_t epoch, const std::vector<int64_t>& ids,
                             const std::string& why) {
  return Fenced(epoch, kNoteWaitingSql, {Int64ArrayLiteral(ids), why.substr(0, 2000)}).status();
}

bool PgOutbox::WaitForRows(std::chrono::milliseconds wait) {
  if (!conn_ || !conn_->healthy() || !holds_lock_) return false;
  const int fd = PQsocket(conn_->raw());
  if (fd < 0) return false;
  fd_set set;
  FD_ZERO(&set);
  FD_SET(fd, &set);
  timeval tv{static_cast<time_t>(wait.count() / 1000),
             static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
  select(fd + 1, &set, nullptr, nullptr, &tv);
  PQconsumeInput(conn_->raw());
  while (PGnotify* note = PQnotifies(conn_->raw())) PQfreemem(note);
  return true;
}

StatusOr<int64_t> PgOutbox::PrunePublished(std::chrono::milliseconds retention) {
  MS_ASSIGN_OR_RETURN(Connection * conn, Conn());
  MS_ASSIGN_OR_RETURN(Result res, conn->Exec("DELETE FROM outbox WHERE published_at < now() - "
                                             "make_interval(secs => $1::float8)",
                                             {Seconds(retention)}));
  return res.affected();
}

StatusOr<int64_t> CountUnpublished(Connection& conn) {
  MS_ASSIGN_OR_RETURN(Result res,
                      conn.Exec("SELECT count(*) FROM outbox WHERE published_at IS NULL"));
  return res.GetInt(0, 0);
}

}  // namespace ms::pg
