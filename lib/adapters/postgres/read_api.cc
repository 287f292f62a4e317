#include "adapters/postgres/read_api.h"

#include <nlohmann/json.hpp>
#include <string_view>

#include "adapters/postgres/ledger_queries.h"
#include "pipeline/decode/decode.h"
#include "pipeline/ledger/significance.h"

namespace ms::pg {
namespace {

constexpr int kMaxEvents = 500;

constexpr std::string_view kBatchSql = R"sql(
SELECT row_to_json(r)::text FROM (
  SELECT b.id, b.company_id, b.claim_id, b.message_count, b.trigger, b.status, b.attempts,
         b.last_error, b.provider, b.model, b.prompt_tokens, b.completion_tokens, b.cost_usd,
         b.cached_prompt_tokens, b.cache_write_tokens, b.llm_mode AS mode,
         b.provider_job_id, b.job_state, b.job_provider_state, b.job_requests, b.job_fallbacks,
         b.submitted_at, b.job_ended_at,
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

Status CheckFilter(const ms::EventFilter& filter) {
  auto time_char = [](char c) {
    return (c >= '0' && c <= '9') || c == '-' || c == ':' || c == '.' || c == '+' || c == 'T' ||
           c == 'Z' || c == 't' || c == 'z' || c == ' ';
  };
  for (auto [name, value] : {std::pair{"since", &filter.since}, {"until", &filter.until}}) {
    if (value->size() > 40 || !AllOf(*value, time_char)) {
      return InvalidArgument(std::string("invalid '") + name + "' (want an RFC 3339 timestamp)");
    }
  }
  const std::string& severity = filter.min_severity;
  if (!severity.empty() && severity != "low" && severity != "medium" && severity != "high") {
    return InvalidArgument("invalid 'min_severity' (want low, medium or high)");
  }
  if (filter.top < 0) return InvalidArgument("invalid 'top' (want a positive integer)");
  auto type_char = [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; };
  if (filter.type.size() > 40 || !AllOf(filter.type, type_char)) {
    return InvalidArgument("invalid 'type' (want an event type such as 'funding')");
  }
  return Status::Ok();
}

nlohmann::json EventJson(const StoredEvent& e) {
  return {{"id", e.id},
          {"event_uid", e.event_uid},
          {"type", e.type},
          {"title", e.title},
          {"description", e.description},
          {"impact", e.impact},
          {"metrics", e.metrics},
          {"timeline", e.timeline},
          {"severity", e.severity},
          {"stakeholders", e.stakeholders},
          {"source_message_ids", e.source_message_ids},
          {"occurred_at", e.occurred_at},
          {"first_seen", e.first_seen},
          {"last_seen", e.last_seen},
          {"sightings", e.sightings},
          {"state", e.state},
          {"origin", e.origin},
          {"score", e.score}};
}

}  // namespace

StatusOr<Lease> PgReadApi::Acquire() {
  MS_ASSIGN_OR_RETURN(Lease lease, pool_->Acquire(options_.acquire_wait));
  MS_RETURN_IF_ERROR(lease
                         ->Exec("SELECT set_config('statement_timeout', $1, false)",
                                {std::to_string(options_.statement_timeout.count())})
                         .status());
  return lease;
}

Status PgReadApi::Busy(const Status& status) const {
  // 57014 query_canceled: the statement timeout fired; the database is busy, try later.
  if (status.message().find("[57014]") != std::string::npos) {
    return Unavailable("read query exceeded " + std::to_string(options_.statement_timeout.count()) +
                       " ms");
  }
  return status;
}

StatusOr<std::string> PgReadApi::QueryOne(std::string_view sql, const std::vector<Param>& params,
                                          std::string_view what) {
  MS_ASSIGN_OR_RETURN(Lease lease, Acquire());
  auto result = lease->Exec(sql, params);
  if (!result.ok()) return Busy(result.status());
  if (result->rows() == 0 || result->IsNull(0, 0)) return NotFound(std::string(what));
  return std::string(result->Get(0, 0));
}

StatusOr<std::string> PgReadApi::CompanyEvents(const std::string& company_id,
                                               const ms::EventFilter& filter) {
  MS_RETURN_IF_ERROR(CheckCompanyId(company_id));
  MS_RETURN_IF_ERROR(CheckFilter(filter));
  MS_ASSIGN_OR_RETURN(Lease lease, Acquire());
  pg::EventFilter query{company_id,  filter.since,        filter.until,
                        filter.type, filter.min_severity, false};
  auto events = ListEvents(*lease, query);
  // The only values Postgres can reject here are the times (well-formed but impossible dates).
  if (!events.ok() && events.status().code() == StatusCode::kInvalidArgument) {
    return InvalidArgument("invalid 'since' or 'until' (want an RFC 3339 timestamp)");
  }
  if (!events.ok()) return Busy(events.status());
  KeepMostSignificant(&*events, filter.top > 0 ? static_cast<size_t>(filter.top) : kMaxEvents);
  nlohmann::json list = nlohmann::json::array();
  for (const StoredEvent& e : *events) list.push_back(EventJson(e));
  return nlohmann::json{{"company_id", company_id}, {"events", std::move(list)}}.dump();
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
