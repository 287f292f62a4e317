#include "adapters/postgres/message_store.h"

namespace ms::pg {
namespace {

constexpr std::string_view kUpsertSql = R"sql(
INSERT INTO messages AS m (company_id, source, source_msg_id, sender, subject, text, sent_at,
                           thread_id, kafka_topic, kafka_partition, kafka_offset, edited_at)
SELECT c, s, i, snd, sub, t, to_timestamp(ts / 1000.0), th, kt, kp, ko,
       CASE WHEN e THEN now() END
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
            $7::bigint[], $8::text[], $9::text[], $10::int[], $11::bigint[], $12::bool[])
     AS u(c, s, i, snd, sub, t, ts, th, kt, kp, ko, e)
ON CONFLICT (company_id, source, source_msg_id) DO UPDATE
  SET text = CASE WHEN EXCLUDED.edited_at IS NOT NULL THEN EXCLUDED.text ELSE m.text END,
      edited_at = COALESCE(EXCLUDED.edited_at, m.edited_at)
RETURNING id, company_id, source, batch_id IS NULL)sql";

// Builds the twelve array parameters of kUpsertSql, one literal per column.
std::vector<Param> UpsertParams(std::span<const Message> messages) {
  std::vector<std::string> cols(12, "{");
  auto add = [&](size_t col, std::string_view value) { AppendArrayElement(value, &cols[col]); };
  for (const Message& m : messages) {
    add(0, m.company_id);
    add(1, SourceName(m.source));
    add(2, m.source_msg_id);
    add(3, m.sender);
    add(4, m.subject);
    add(5, m.text);
    add(6, std::to_string(m.sent_at_ms));
    add(7, m.thread_id);
    add(8, m.position.topic);
    add(9, std::to_string(m.position.partition));
    add(10, std::to_string(m.position.offset));
    add(11, m.is_edit ? "t" : "f");
  }
  std::vector<Param> params;
  for (std::string& col : cols) {
    col += '}';
    params.emplace_back(std::move(col));
  }
  return params;
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

void AppendArrayElement(std::string_view value, std::string* literal) {
  if (literal->size() > 1) literal->push_back(',');
  literal->push_back('"');
  for (char c : value) {
    if (c == '"' || c == '\\') literal->push_back('\\');
    literal->push_back(c);
  }
  literal->push_back('"');
}

StatusOr<std::vector<MessageRef>> PgMessageStore::Upsert(std::span<const Message> messages) {
  if (messages.empty()) return std::vector<MessageRef>{};
  MS_ASSIGN_OR_RETURN(Lease conn, pool_->Acquire());
  MS_ASSIGN_OR_RETURN(Result res, conn->Exec(kUpsertSql, UpsertParams(messages)));
  return RefsFrom(res);
}

StatusOr<std::vector<MessageRef>> PgMessageStore::Pending(std::chrono::milliseconds min_age) {
  MS_ASSIGN_OR_RETURN(Lease conn, pool_->Acquire());
  MS_ASSIGN_OR_RETURN(
      Result res,
      conn->Exec("SELECT id, company_id, source, true FROM messages "
                 "WHERE batch_id IS NULL AND created_at <= now() - make_interval(secs => $1) "
                 "ORDER BY id",
                 {std::to_string(static_cast<double>(min_age.count()) / 1000.0)}));
  return RefsFrom(res);
}

StatusOr<ClaimedBatch> PgMessageStore::RecordClaim(const Claim& claim) {
  MS_ASSIGN_OR_RETURN(Lease conn, pool_->Acquire());
  ClaimedBatch out;
  out.company_id = claim.company_id;
  Status st = conn->InTransaction([&](Connection& tx) -> Status {
    MS_ASSIGN_OR_RETURN(
        Result ins, tx.Exec("INSERT INTO batches (company_id, claim_id, message_count, trigger) "
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
    MS_ASSIGN_OR_RETURN(Result upd,
                        tx.Exec("UPDATE messages SET batch_id = $1 "
                                "WHERE id = ANY($2::bigint[]) AND company_id = $3 "
                                "AND batch_id IS NULL",
                                {std::to_string(out.batch_id), Int64ArrayLiteral(claim.message_ids),
                                 claim.company_id}));
    out.message_count = upd.affected();
    if (out.message_count == 0) {
      MS_RETURN_IF_ERROR(
          tx.Exec("DELETE FROM batches WHERE id = $1", {std::to_string(out.batch_id)}).status());
      out.batch_id = 0;
      return Status::Ok();
    }
    return tx
        .Exec("UPDATE batches SET message_count = $2 WHERE id = $1",
              {std::to_string(out.batch_id), std::to_string(out.message_count)})
        .status();
  });
  MS_RETURN_IF_ERROR(st);
  return out;
}

}  // namespace ms::pg
