#include "adapters/postgres/ledger_queries.h"

#include <nlohmann/json.hpp>

#include "pipeline/investor_update.h"

namespace ms::pg {

StatusOr<std::vector<StoredEvent>> ListEvents(Connection& conn, const EventFilter& filter) {
  MS_ASSIGN_OR_RETURN(
      Result res,
      conn.Exec("SELECT id, event_uid, company_id, type, title, description, impact, severity, "
                "state, timeline, metrics::text, sightings, "
                "to_char(first_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
                "to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                "FROM events WHERE company_id = $1 "
                "AND ($2 = '' OR last_seen >= $2::timestamptz) AND ($3 = '' OR type = $3) "
                "AND (NOT $4::bool OR state = 'open') ORDER BY last_seen DESC, id",
                {filter.company_id, filter.since, filter.type, filter.open_only ? "t" : "f"}));
  std::vector<StoredEvent> out;
  for (int row = 0; row < res.rows(); ++row) {
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
    auto metrics = nlohmann::json::parse(res.Get(row, 10), nullptr, false);
    if (metrics.is_object()) {
      for (auto it = metrics.begin(); it != metrics.end(); ++it) {
        e.metrics[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
      }
    }
    e.sightings = static_cast<int>(res.GetInt(row, 11));
    e.first_seen = res.Get(row, 12);
    e.last_seen = res.Get(row, 13);
    out.push_back(std::move(e));
  }
  return out;
}

StatusOr<int64_t> SaveInvestorUpdate(Connection& conn, const InvestorUpdate& update,
                                     const std::string& content_json) {
  MS_ASSIGN_OR_RETURN(Result res,
                      conn.Exec("INSERT INTO investor_updates (company_id, subject, "
                                "body, content, event_ids, provider) VALUES ($1, $2, "
                                "$3, $4::jsonb, $5::bigint[], $6) RETURNING id",
                                {update.company_id, update.subject, update.body, content_json,
                                 Int64ArrayLiteral(update.event_ids), update.provider}));
  return res.GetInt(0, 0);
}

}  // namespace ms::pg
