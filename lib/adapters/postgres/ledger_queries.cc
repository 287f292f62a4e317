#include "adapters/postgres/ledger_queries.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "adapters/postgres/event_sql.h"
#include "pipeline/ledger/milestones.h"
#include "pipeline/ledger/significance.h"

namespace ms::pg {
namespace {

#define MS_ISO_UTC(column) \
  "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

constexpr std::string_view kEventsSql =
    "SELECT id, event_uid, company_id, type, title, description, impact, severity, state, "
    "timeline, metrics::text, sightings, " MS_ISO_UTC("occurred_at") ", " MS_ISO_UTC(
        "first_seen") ", " MS_ISO_UTC("last_seen") ", origin, stakeholders::text, "
                                                   "source_message_ids::text "
    "FROM events WHERE company_id = $1 "
    "AND ($2 = '' OR occurred_at >= $2::timestamptz) "
    "AND ($3 = '' OR occurred_at < $3::timestamptz) AND ($4 = '' OR type = $4) "
    "AND (NOT $5::bool OR state = 'open') "
    "AND (CASE severity WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END) >= $6::int "
    "ORDER BY occurred_at DESC, id DESC";

template <typename T>
std::vector<T> JsonArray(std::string_view text) {
  auto parsed = nlohmann::json::parse(text, nullptr, false);
  std::vector<T> out;
  if (!parsed.is_array()) return out;
  for (const auto& item : parsed) {
    if constexpr (std::is_same_v<T, std::string>) {
      if (item.is_string()) out.push_back(item.get<std::string>());
    } else {
      if (item.is_number_integer()) out.push_back(item.get<T>());
    }
  }
  return out;
}

StoredEvent EventRow(const Result& res, int row) {
  StoredEvent e;
  e.id = res.GetInt(row, 0);
  e.event_uid = res.Get(row, 1);
  e.company_id = res.Get(row, 2);
  e.type = res.Get(row, 3);
  e.title = res.Get(row, 4);
  e.description = res.Get(row, 5);
  e.impact = res.Get(row, 6);
  e.severity = res.Get(row, 7);
  e.state = res.Get(row, 8);
  e.timeline = res.Get(row, 9);
  e.metrics = MetricsFromJson(res.Get(row, 10));
  e.sightings = static_cast<int>(res.GetInt(row, 11));
  e.occurred_at = res.Get(row, 12);
  e.first_seen = res.Get(row, 13);
  e.last_seen = res.Get(row, 14);
  e.origin = res.Get(row, 15);
  e.stakeholders = JsonArray<std::string>(res.Get(row, 16));
  e.source_message_ids = JsonArray<int64_t>(res.Get(row, 17));
  return e;
}

std::string TwoDigits(int64_t value) {
  return (value < 10 ? "0" : "") + std::to_string(value);
}

StatusOr<std::string> OptionalText(Connection& conn, std::string_view sql,
                                   const std::string& company_id) {
  MS_ASSIGN_OR_RETURN(Result res, conn.Exec(sql, {company_id}));
  if (res.rows() == 0 || res.IsNull(0, 0)) return std::string();
  return std::string(res.Get(0, 0));
}

std::string IsoTime(int64_t epoch_ms) {
  const int64_t seconds = epoch_ms / 1000;
  return IsoDate(epoch_ms) + "T" + TwoDigits(seconds / 3600 % 24) + ":" +
         TwoDigits(seconds / 60 % 60) + ":" + TwoDigits(seconds % 60) + "Z";
}

}  // namespace

StatusOr<std::vector<StoredEvent>> ListEvents(Connection& conn, const EventFilter& filter) {
  const int min_rank = filter.min_severity.empty() ? 0 : SeverityRank(filter.min_severity);
  MS_ASSIGN_OR_RETURN(
      Result res, conn.Exec(kEventsSql, {filter.company_id, filter.since, filter.until, filter.type,
                                         filter.open_only ? "t" : "f", std::to_string(min_rank)}));
  std::vector<StoredEvent> out;
  for (int row = 0; row < res.rows(); ++row) out.push_back(EventRow(res, row));
  ScoreEvents(&out);
  return out;
}

StatusOr<std::vector<StoredObservation>> ListObservations(Connection& conn,
                                                          const std::string& company_id,
                                                          const std::string& since,
                                                          const std::string& until) {
  MS_ASSIGN_OR_RETURN(
      Result res, conn.Exec("SELECT metric, value, unit, " MS_ISO_UTC(
                                "observed_at") ", source_message_id "
                                               "FROM observations WHERE company_id = $1 "
                                               "AND ($2 = '' OR observed_at >= $2::timestamptz) "
                                               "AND ($3 = '' OR observed_at < $3::timestamptz) "
                                               "ORDER BY metric, observed_at, source_message_id",
                            {company_id, since, until}));
  std::vector<StoredObservation> out;
  for (int row = 0; row < res.rows(); ++row) {
    out.push_back({std::string(res.Get(row, 0)),
                   std::strtod(std::string(res.Get(row, 1)).c_str(), nullptr),
                   std::string(res.Get(row, 2)), std::string(res.Get(row, 3)), res.GetInt(row, 4)});
  }
  return out;
}

StatusOr<std::string> LatestMessageTime(Connection& conn, const std::string& company_id) {
  return OptionalText(conn,
                      "SELECT " MS_ISO_UTC("max(COALESCE(sent_at, created_at))") " FROM messages "
                      "WHERE company_id = $1",
                      company_id);
}

StatusOr<std::string> PreviousUpdateEnd(Connection& conn, const std::string& company_id) {
  return OptionalText(conn,
                      "SELECT " MS_ISO_UTC("max(period_end)") " FROM investor_updates "
                      "WHERE company_id = $1",
                      company_id);
}

StatusOr<DigestPeriod> UpdatePeriod(Connection& conn, const std::string& company_id,
                                    const std::string& since, const std::string& until) {
  MS_ASSIGN_OR_RETURN(std::string latest, LatestMessageTime(conn, company_id));
  MS_ASSIGN_OR_RETURN(std::string previous, PreviousUpdateEnd(conn, company_id));
  DigestPeriod period{since, until};
  if (latest.empty()) return period;
  const int64_t latest_ms = ParseIsoTimeMs(latest);
  if (period.end.empty()) period.end = IsoTime(latest_ms + 1000);
  if (period.start.empty()) {
    const int64_t previous_ms = previous.empty() ? 0 : ParseIsoTimeMs(previous);
    const bool news = previous_ms > 0 && previous_ms <= latest_ms;
    period.start = news ? previous : IsoTime(latest_ms - 30LL * 86400 * 1000);
  }
  return period;
}

StatusOr<UpdateDigest> LoadDigest(Connection& conn, const std::string& company_id,
                                  const DigestPeriod& period, bool redact_pii) {
  EventFilter filter;
  filter.company_id = company_id;
  filter.since = period.start;
  filter.until = period.end;
  MS_ASSIGN_OR_RETURN(std::vector<StoredEvent> events, ListEvents(conn, filter));
  MS_ASSIGN_OR_RETURN(std::vector<StoredObservation> observations,
                      ListObservations(conn, company_id, period.start, period.end));
  return BuildDigest(company_id, std::move(events), observations, period, redact_pii);
}

StatusOr<int64_t> SaveInvestorUpdate(Connection& conn, const InvestorUpdate& update,
                                     const std::string& content_json) {
  auto bound = [](const std::string& value) { return value.empty() ? Param() : Param(value); };
  MS_ASSIGN_OR_RETURN(
      Result res,
      conn.Exec("INSERT INTO investor_updates (company_id, subject, body, content, event_ids, "
                "provider, period_start, period_end) VALUES ($1, $2, $3, $4::jsonb, "
                "$5::bigint[], $6, $7::timestamptz, $8::timestamptz) RETURNING id",
                {update.company_id, update.subject, update.body, content_json,
                 Int64ArrayLiteral(update.event_ids), update.provider, bound(update.period_start),
                 bound(update.period_end)}));
  return res.GetInt(0, 0);
}

#undef MS_ISO_UTC

}  // namespace ms::pg
