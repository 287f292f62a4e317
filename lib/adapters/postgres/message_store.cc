#include "adapters/postgres/message_store.h"

namespace ms::pg {
namespace {

// Per poll: COPY the rows into a session-local staging table, then one INSERT … SELECT … ON
// CONFLICT from it, in one transaction. Measured against one INSERT … SELECT FROM unnest(12
// array parameters) by bench/ingest_bench: COPY parses rows faster than array literals.
constexpr std::string_view kStagingName = "messages_in";
constexpr std::string_view kCreateStagingSql = R"sql(
CREATE TEMP TABLE messages_in (
  company_id text, source text, source_msg_id text, sender text, subject text, text text,
  sent_ms bigint, thread_id text, kafka_topic text, kafka_partition int, kafka_offset bigint,
  is_edit bool
) ON COMMIT DELETE ROWS)sql";

constexpr std::string_view kCopySql = "COPY messages_in FROM STDIN WITH (FORMAT text)";

// A new message's id goes into pending_messages in the same statement; a message seen before
// (a redelivery or an edit) is pending while its id is still there.
constexpr std::string_view kUpsertSql = R"sql(
WITH up AS (
INSERT INTO messages AS m (company_id, source, source_msg_id, sender, subject, text, sent_at,
                           thread_id, kafka_topic, kafka_partition, kafka_offset, edited_at)
SELECT company_id, source, source_msg_id, sender, subject, text, to_timestamp(sent_ms::float8 / 1000),
       thread_id, kafka_topic, kafka_partition, kafka_offset, CASE WHEN is_edit THEN now() END
FROM messages_in
ON CONFLICT (company_id, source, source_msg_id) DO UPDATE
  SET text = CASE WHEN EXCLUDED.edited_at IS NOT NULL THEN EXCLUDED.text ELSE m.text END,
      edited_at = COALESCE(EXCLUDED.edited_at, m.edited_at)
RETURNING id, company_id, source, xmax = 0 AS inserted),
added AS (
INSERT INTO pending_messages (id, company_id, source)
SELECT id, company_id, source FROM up WHERE inserted)
SELECT id, company_id, source,
       inserted OR EXISTS (SELECT 1 FROM pending_messages p WHERE p.id = up.id) FROM up)sql";

// The COPY text-format rows of kCreateStagingSql's columns, one line per message.
std::string CopyRows(std::span<const Message> messages) {
  std::string data;
  data.reserve(messages.size() * 256);
  auto field = [&](std::string_view value) {
    CopyEscape(value, &data);
    data += '\t';
  };
  for (const Message& m : messages) {
    field(m.company_id);
    field(SourceName(m.source));
    field(m.source_msg_id);
    field(m.sender);
    field(m.subject);
    field(m.text);
    field(std::to_string(m.sent_at_ms));
    field(m.thread_id);
    field(m.position.topic);
    field(std::to_string(m.position.partition));
    field(std::to_string(m.position.offset));
    data += m.is_edit ? "t\n" : "f\n";
  }
  return data;
}

std::vector<MessageRef> RefsFrom(const Result& res) {
  std::vector<MessageRef> refs;
  refs.reserve(res.rows());
  for (int row = 0; row < res.rows(); ++row) {
    refs.push_back({res.GetInt(row, 0), std::string(res.Get(row, 1)),
                    res.Get(row, 2) == "gmail" ? Source::kGmail : Source::kSlack,
                    res.Get(row, 3) == "t"});
  }
  return refs;
}

}  // namespace

StatusOr<std::vector<MessageRef>> PgMessageStore::Upsert(std::span<const Message> messages) {
  if (messages.empty()) return std::vector<MessageRef>{};
  std::string rows = CopyRows(messages);
  MS_ASSIGN_OR_RETURN(Lease conn, pool_->Acquire());
  MS_RETURN_IF_ERROR(conn->OncePerSession(kStagingName, kCreateStagingSql));
  std::vector<MessageRef> refs;
  MS_RETURN_IF_ERROR(conn->InTransaction([&](Connection& tx) -> Status {
    MS_RETURN_IF_ERROR(tx.CopyIn(kCopySql, rows));
    MS_ASSIGN_OR_RETURN(Result res, tx.ExecPrepared(kUpsertSql));
    refs = RefsFrom(res);
    return Status::Ok();
  }));
  return refs;
}

StatusOr<std::vector<MessageRef>> PgMessageStore::Pending(std::chrono::milliseconds min_age,
                                                          int64_t after_id, int limit) {
  MS_ASSIGN_OR_RETURN(Lease conn, pool_->Acquire());
  MS_ASSIGN_OR_RETURN(
      Result res,
      conn->Exec("SELECT id, company_id, source, true FROM pending_messages "
                 "WHERE id > $2 "
                 "AND created_at <= now() - make_interval(secs => $1) ORDER BY id LIMIT $3",
                 {std::to_string(static_cast<double>(min_age.count()) / 1000.0),
                  std::to_string(after_id), std::to_string(limit)}));
  return RefsFrom(res);
}

StatusOr<ClaimedBatch> PgMessageStore::RecordClaim(const Claim& claim) {
  MS_ASSIGN_OR_RETURN(Lease conn, pool_->Acquire());
  ClaimedBatch out;
  out.company_id = claim.company_id;
  Status st = conn->InTransaction([&](Connection& tx) -> Status {
    MS_ASSIGN_OR_RETURN(
        Result ins,
        tx.ExecPrepared("INSERT INTO batches (company_id, claim_id, message_count, trigger) "
                        "VALUES ($1, $2, 0, $3) ON CONFLICT (claim_id) DO NOTHING RETURNING id",
                        {claim.company_id, claim.claim_id, claim.trigger}));
    if (ins.rows() == 0) {  // recorded before: report what was recorded
      MS_ASSIGN_OR_RETURN(Result prev, tx.Exec("SELECT id, message_count FROM batches "
                                               "WHERE claim_id = $1",
                                               {claim.claim_id}));
      out.batch_id = prev.GetInt(0, 0);
      out.message_count = prev.GetInt(0, 1);
      return Status::Ok();
    }
    out.batch_id = ins.GetInt(0, 0);
    // Each pending id is deleted by one claim only: a concurrent claim of the same id waits for
    // this transaction and then finds it gone.
    MS_ASSIGN_OR_RETURN(
        Result taken,
        tx.ExecPrepared(
            "WITH taken AS (DELETE FROM pending_messages WHERE id = ANY($2::bigint[]) "
            "AND company_id = $3 RETURNING id) "
            "UPDATE batches SET message_ids = (SELECT COALESCE(array_agg(id ORDER BY id), "
            "'{}') FROM taken), message_count = (SELECT count(*) FROM taken) "
            "WHERE id = $1 RETURNING message_count",
            {std::to_string(out.batch_id), Int64ArrayLiteral(claim.message_ids),
             claim.company_id}));
    out.message_count = taken.GetInt(0, 0);
    if (out.message_count == 0) {
      MS_RETURN_IF_ERROR(
          tx.Exec("DELETE FROM batches WHERE id = $1", {std::to_string(out.batch_id)}).status());
      out.batch_id = 0;
    }
    return Status::Ok();
  });
  MS_RETURN_IF_ERROR(st);
  return out;
}

}  // namespace ms::pg
