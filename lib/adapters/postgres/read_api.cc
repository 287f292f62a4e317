#include "adapters/postgres/read_api.h"

#include <string_view>

#include "pipeline/decode.h"

namespace ms::pg {
namespace {

constexpr int kMaxEvents = 500;

constexpr std::string_view kEventsSql = R"sql(
SELECT json_build_object('company_id', $1::text, 'events', coalesce(json_agg(e), '[]'::json))::text
FROM (
  SELECT id, event_uid, type, title, description, impact, metrics, timeline, severity,
         stakeholders, source_message_ids, first_seen, last_seen, sightings, state
  FROM events
  WHERE company_id = $1::text
    AND ($2::timestamptz IS NULL OR last_seen >= $2::timestamptz)
    AND ($3::text IS NULL OR type = $3::text)
  ORDER BY last_seen DESC, id DESC
  LIMIT $4::int
) e
)sql";

constexpr std::string_view kBatchSql = R"sql(
SELECT row_to_json(r)::text FROM (
  SELECT b.id, b.company_id, b.claim_id, b.message_count, b.trigger, b.status, b.attempts,
         b.last_error, b.provider, b.model, b.prompt_tokens, b.completion_tokens, b.cost_usd,
         b.claimed_at, b.started_at, b.finished_at,
         coalesce((SELECT json_agg(DISTINCT h.event_id ORDER BY h.event_id)
                   FROM event_history h WHERE h.batch_id = b.id), '[]'::json) AS event_ids
  FROM batches b WHERE b.id = $1::bigint
) r
)sql";

constexpr std::string_view kInvestorEmailSql = R"sql(
SELECT row_to_json(u)::text FROM (
  SELECT id, company_id, subject, body, content, event_ids, provider, created_at
  FROM investor_updates WHERE company_id = $1::text
  ORDER BY created_at DESC, id DESC LIMIT 1
) u
)sql";

bool AllOf(std::string_view text, bool (*allowed)(char)) {
  for (char c : text) {
    if (!allowed(c)) return false;
  }
  return true;
}

Status CheckCompanyId(std::string_view id) {
  if (!IsValidCompanyId(id)) {
    return InvalidArgument("invalid company id (want 1-128 of [A-Za-z0-9._:-])");
  }
  return Status::Ok();
}

Status CheckFilter(const EventFilter& filter) {
  auto time_char = [](char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == ':' || c == '.' || c == '+' || c == 'T' ||
           c == 'Z' || c == 't' || c == 'z' || c == ' ';
  };
  if (filter.since.size() > 40 || !AllOf(filter.since, time_char)) {
    return InvalidArgument("invalid 'since' (want an RFC 3339 timestamp)");
  }
  auto type_char = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  if (filter.type.size() > 40 || !AllOf(filter.type, type_char)) {
    return InvalidArgument("invalid 'type' (want an event type such as 'funding')");
  }
  return Status::Ok();
}

Param OptionalParam(const std::string& value) {
  return value.empty() ? Param() : Param(value);
}

}  // namespace

StatusOr<std::string> PgReadApi::QueryOne(std::string_view sql, const std::vector<Param>& params,
                                          std::string_view what) {
  MS_ASSIGN_OR_RETURN(Lease lease, pool_->Acquire(options_.acquire_wait));
  MS_RETURN_IF_ERROR(lease
                         ->Exec("SELECT set_config('statement_timeout', $1, false)",
                                {std::to_string(options_.statement_timeout.count())})
                         .status());
  auto result = lease->Exec(sql, params);
  // 57014 query_canceled: the statement timeout fired; the database is busy, try later.
  if (!result.ok() && result.status().message().find("[57014]") != std::string::npos) {
    return Unavailable("read query exceeded " + std::to_string(options_.statement_timeout.count()) +
                       " ms");
  }
  if (!result.ok()) return result.status();
  if (result->rows() == 0 || result->IsNull(0, 0)) return NotFound(std::string(what));
  return std::string(result->Get(0, 0));
}

StatusOr<std::string> PgReadApi::CompanyEvents(const std::string& company_id,
                                               const EventFilter& filter) {
  MS_RETURN_IF_ERROR(CheckCompanyId(company_id));
  MS_RETURN_IF_ERROR(CheckFilter(filter));
  auto json = QueryOne(kEventsSql,
                       {company_id, OptionalParam(filter.since), OptionalParam(filter.type),
                        std::to_string(kMaxEvents)},
                       "no events");
  // The only value Postgres can reject here is `since` (a well-formed but impossible date).
  if (json.status().code() == StatusCode::kInvalidArgument) {
    return InvalidArgument("invalid 'since' (want an RFC 3339 timestamp)");
  }
  return json;
}

StatusOr<std::string> PgReadApi::Batch(int64_t batch_id) {
  if (batch_id <= 0) return InvalidArgument("invalid batch id (want a positive integer)");
  return QueryOne(kBatchSql, {std::to_string(batch_id)}, "no batch " + std::to_string(batch_id));
}

StatusOr<std::string> PgReadApi::InvestorEmail(const std::string& company_id) {
  MS_RETURN_IF_ERROR(CheckCompanyId(company_id));
  return QueryOne(kInvestorEmailSql, {company_id}, "no investor update for " + company_id);
}

}  // namespace ms::pg
