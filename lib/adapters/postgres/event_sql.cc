#include "adapters/postgres/event_sql.h"

#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "pipeline/ledger/fingerprint.h"
#include "pipeline/text/amount.h"

namespace ms::pg {
namespace {

using nlohmann::json;

constexpr int32_t kCompanyStoreLockClass = 0x4D53;  // "MS"

// occurred_at: $13 (a series milestone's reading time, Unix seconds) when given, else the
// earliest sent time of the event's source messages ($10: their ids), else now.
constexpr std::string_view kInsertEvent = R"sql(
INSERT INTO events (company_id, type, title, description, impact, metrics, timeline, severity,
                    stakeholders, source_message_ids, fingerprint, origin, occurred_at)
VALUES ($1::text, $2::text, $3::text, $4::text, $5::text, $6::jsonb, $7::text, $8::text,
        $9::jsonb, $10::jsonb, $11::text, $12::text,
        COALESCE(to_timestamp($13::float8),
                 (SELECT min(sent_at) FROM messages
                  WHERE id IN (SELECT jsonb_array_elements_text($10::jsonb)::bigint)),
                 now()))
RETURNING id)sql";

// A sighting. The report is of a later state when its stage ($7: 0 none, 1 term sheet
// received, 2 signed, 3 closed) is later than the stored one's, or equal with a higher
// severity: then its title, description, timeline and metrics describe the event now (a term
// sheet that closed). A report of an earlier state adds only metrics the event lacks and never
// lowers it. Sources are unioned, severity only rises, occurred_at moves to an earlier source,
// and a stale event becomes open again.
constexpr std::string_view kSightEvent = R"sql(
WITH cur AS (
  SELECT id,
         CASE metrics->>'stage' WHEN 'closed' THEN 3 WHEN 'term_sheet_signed' THEN 2
                                WHEN 'term_sheet_received' THEN 1 ELSE 0 END AS stage,
         CASE severity WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END AS rank
  FROM events WHERE id = $1),
rep AS (
  SELECT CASE $5::text WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END AS rank)
UPDATE events e SET
  last_seen = now(),
  title = CASE WHEN $7::int > cur.stage OR ($7::int = cur.stage AND rep.rank > cur.rank)
               THEN $6::text ELSE e.title END,
  timeline = CASE WHEN $7::int > cur.stage OR ($7::int = cur.stage AND rep.rank > cur.rank)
                  THEN $8::text ELSE e.timeline END,
  description = CASE WHEN $7::int > cur.stage OR ($7::int = cur.stage AND rep.rank > cur.rank)
                       OR ($7::int = cur.stage AND length($4::text) > length(e.description))
                     THEN $4::text ELSE e.description END,
  metrics = CASE WHEN $7::int >= cur.stage THEN e.metrics || $2::jsonb
                 ELSE $2::jsonb || e.metrics END,
  occurred_at = LEAST(e.occurred_at,
                      COALESCE((SELECT min(sent_at) FROM messages
                                WHERE id IN (SELECT jsonb_array_elements_text($3::jsonb)::bigint)),
                               e.occurred_at)),
  sightings = e.sightings + 1,
  source_message_ids = (SELECT COALESCE(jsonb_agg(DISTINCT v), '[]'::jsonb)
                        FROM jsonb_array_elements(e.source_message_ids || $3::jsonb) v),
  severity = CASE WHEN $5::text = 'high' OR e.severity = 'high' THEN 'high'
                  WHEN $5::text = 'medium' OR e.severity = 'medium' THEN 'medium' ELSE 'low' END,
  state = 'open'
FROM cur, rep WHERE e.id = cur.id)sql";

// The stage of a funding report, as kSightEvent ranks it.
int StageRank(const ExtractedEvent& e) {
  auto stage = e.metrics.find("stage");
  if (stage == e.metrics.end()) return 0;
  if (stage->second == "closed") return 3;
  if (stage->second == "term_sheet_signed") return 2;
  return stage->second == "term_sheet_received" ? 1 : 0;
}

constexpr std::string_view kHistory = R"sql(
INSERT INTO event_history (event_id, batch_id, kind, diff) VALUES ($1, $2, $3, $4::jsonb))sql";

// The outbox payload of an event row: the event as it is after the change, plus which change
// (`change`, also the outbox type) and the batch that made it (NULL for lifecycle changes).
// Bounded: `source_message_ids` lists the first kMaxPayloadSourceIds sources (the event keeps
// every one; `source_message_count` says how many), so a fact seen a thousand times still
// fits a Kafka record. The relay adds `delivery_id` (the outbox row's id) when it sends it.
constexpr int kMaxPayloadSourceIds = 100;
std::string OutboxRowSql(std::string_view from, std::string_view type, std::string_view batch) {
  return "INSERT INTO outbox (aggregate, event_id, type, payload)\n"
         "SELECT company_id, id, " +
         std::string(type) +
         ", jsonb_build_object(\n"
         "  'event_id', event_uid, 'company_id', company_id, 'type', type, 'title', title,\n"
         "  'description', description, 'impact', impact, 'metrics', metrics,\n"
         "  'timeline', timeline, 'severity', severity, 'stakeholders', stakeholders,\n"
         "  'source_message_ids', (SELECT COALESCE(jsonb_agg(id ORDER BY n), '[]'::jsonb)\n"
         "    FROM jsonb_array_elements(source_message_ids) WITH ORDINALITY AS s(id, n)\n"
         "    WHERE n <= " +
         std::to_string(kMaxPayloadSourceIds) +
         "),\n"
         "  'source_message_count', jsonb_array_length(source_message_ids),\n"
         "  'occurred_at', occurred_at,\n"
         "  'first_seen', first_seen, 'last_seen', last_seen, 'sightings', sightings,\n"
         "  'state', state, 'origin', origin,\n"
         "  'batch_id', " +
         std::string(batch) + ", 'change', " + std::string(type) + ")\nFROM " + std::string(from);
}

const std::string& OutboxSql() {
  static const std::string sql = OutboxRowSql("events WHERE id = $1", "$2::text", "$3::bigint");
  return sql;
}

// A batch's new events in one statement: $2 is a JSON array of the events, in the batch's
// order, each created with a `created` history row and an `event.created` outbox row, all
// three in that order (ids rise with the array's order). occurred_at as kInsertEvent's.
const std::string& CreateEventsSql() {
  static const std::string sql = R"sql(
WITH input AS (
  SELECT * FROM ROWS FROM (jsonb_to_recordset($2::jsonb)
    AS (type text, title text, description text, impact text, metrics jsonb, timeline text,
        severity text, stakeholders jsonb, sources jsonb, fingerprint text)) WITH ORDINALITY
    AS i(type, title, description, impact, metrics, timeline, severity, stakeholders, sources,
         fingerprint, n)),
ins AS (
  INSERT INTO events (company_id, type, title, description, impact, metrics, timeline, severity,
                      stakeholders, source_message_ids, fingerprint, origin, occurred_at)
  SELECT $1::text, type, title, description, impact, metrics, timeline, severity, stakeholders,
         sources, fingerprint, 'extracted',
         COALESCE((SELECT min(sent_at) FROM messages
                   WHERE id IN (SELECT jsonb_array_elements_text(i.sources)::bigint)), now())
  FROM input i ORDER BY n
  RETURNING *),
history AS (
  INSERT INTO event_history (event_id, batch_id, kind, diff)
  SELECT id, $3::bigint, 'created', '{}'::jsonb FROM ins ORDER BY id)
)sql" + OutboxRowSql("ins ORDER BY id", "'event.created'", "$3::bigint");
  return sql;
}

// Open events unseen for $1 seconds become stale: one state_changed history row and one
// `event.stale` outbox row each, in the same statement.
const std::string& StaleSql() {
  static const std::string sql = R"sql(
WITH gone AS (
  UPDATE events SET state = 'stale'
  WHERE state = 'open' AND last_seen < now() - make_interval(secs => $1::float8)
  RETURNING *),
history AS (
  INSERT INTO event_history (event_id, kind, diff)
  SELECT id, 'state_changed', '{"state": ["open", "stale"]}'::jsonb FROM gone)
)sql" + OutboxRowSql("gone", "'event.stale'", "NULL::bigint");
  return sql;
}

constexpr std::string_view kBatchDone = R"sql(
UPDATE batches SET status = 'done', finished_at = now(), last_error = NULL, retry_at = NULL,
  answer = NULL,
  provider = $2, model = $3, prompt_tokens = prompt_tokens + $4,
  completion_tokens = completion_tokens + $5, cost_usd = cost_usd + $6, llm_calls = llm_calls + $7,
  dropped_messages = dropped_messages + $8, rejected_events = rejected_events + $9,
  cached_prompt_tokens = cached_prompt_tokens + $10,
  cache_write_tokens = cache_write_tokens + $11, decided_offline = decided_offline + $12,
  llm_mode = COALESCE(NULLIF($13, ''), llm_mode)
WHERE id = $1)sql";

json MetricsJson(const ExtractedEvent& e) {
  json m = json::object();
  for (const auto& [k, v] : e.metrics) m[k] = v;
  return m;
}

// {"metrics": {"mrr_usd": ["180000", "192400"]}} for keys whose value changed or appeared.
json MetricsDiff(const json& before, const json& added) {
  json diff = json::object();
  for (auto it = added.begin(); it != added.end(); ++it) {
    auto old = before.find(it.key());
    if (old == before.end() || *old != *it) {
      diff[it.key()] = {old == before.end() ? json() : *old, *it};
    }
  }
  return diff;
}

struct Ids {
  std::string event;
  std::string batch;
};

Status Append(Connection& tx, const Ids& ids, const char* kind, const json& diff,
              const char* outbox_type) {
  MS_RETURN_IF_ERROR(
      tx.ExecPrepared(kHistory, {ids.event, ids.batch, std::string(kind), diff.dump()}).status());
  if (outbox_type == nullptr) return Status::Ok();
  return tx.ExecPrepared(OutboxSql(), {ids.event, std::string(outbox_type), ids.batch}).status();
}

// The stored event `e` reports, as one row (id, metrics) or none: by fingerprint, else the
// first of the company's extracted, not closed events of its type that SameFact matches.
StatusOr<Result> FindStored(Connection& tx, const std::string& company, const ExtractedEvent& e,
                            const std::string& fingerprint) {
  MS_ASSIGN_OR_RETURN(Result found,
                      tx.ExecPrepared("SELECT id, metrics::text FROM events WHERE "
                                      "company_id = $1 AND fingerprint = $2 FOR UPDATE",
                                      {company, fingerprint}));
  // An event SameFact can match at all matches itself (a named round, lead or counterparty).
  const FactView view{e.metrics, e.title};
  if (found.rows() > 0 || !SameFact(e.type, view, view)) return found;
  MS_ASSIGN_OR_RETURN(
      Result candidates,
      tx.ExecPrepared("SELECT id, metrics::text, title FROM events WHERE company_id = $1 AND "
                      "type = $2 AND origin = 'extracted' AND state <> 'closed' "
                      "ORDER BY id",
                      {company, e.type}));
  for (int row = 0; row < candidates.rows(); ++row) {
    if (!SameFact(e.type, view,
                  {MetricsFromJson(candidates.Get(row, 1)), candidates.Get(row, 2)})) {
      continue;
    }
    return tx.ExecPrepared("SELECT id, metrics::text FROM events WHERE id = $1 FOR UPDATE",
                           {std::string(candidates.Get(row, 0))});
  }
  return found;
}

Status UpsertEvent(Connection& tx, const std::string& batch, const std::string& company,
                   const ExtractedEvent& e, const std::string& fingerprint,
                   BatchTicket::StoreOutcome* outcome) {
  json metrics = MetricsJson(e);
  json sources = e.source_message_ids;
  MS_ASSIGN_OR_RETURN(Result found, FindStored(tx, company, e, fingerprint));
  if (found.rows() == 0) {
    json stakeholders = e.stakeholders;
    MS_ASSIGN_OR_RETURN(
        Result ins, tx.ExecPrepared(kInsertEvent, {company, e.type, e.title, e.description,
                                                   e.impact, metrics.dump(), e.timeline, e.severity,
                                                   stakeholders.dump(), sources.dump(), fingerprint,
                                                   std::string("extracted"), std::nullopt}));
    outcome->created++;
    return Append(tx, {std::string(ins.Get(0, 0)), batch}, "created", json::object(),
                  "event.created");
  }
  Ids ids{std::string(found.Get(0, 0)), batch};
  json before = json::parse(found.Get(0, 1), nullptr, false);
  MS_RETURN_IF_ERROR(
      tx.ExecPrepared(kSightEvent, {ids.event, metrics.dump(), sources.dump(), e.description,
                                    e.severity, e.title, std::to_string(StageRank(e)), e.timeline})
          .status());
  outcome->sighted++;
  json diff = before.is_object() ? MetricsDiff(before, metrics) : json::object();
  if (diff.empty()) return Append(tx, ids, "sighted", json::object(), "event.sighted");
  outcome->changed++;
  MS_RETURN_IF_ERROR(Append(tx, ids, "sighted", json::object(), nullptr));
  return Append(tx, ids, "changed", json{{"metrics", diff}}, "event.changed");
}

// Observations whose source message is the company's; a reading already stored for the same
// (company, metric, message) is left as it is. One statement for the batch's readings. Returns
// the metrics that gained a reading.
StatusOr<std::set<std::string>> InsertObservations(Connection& tx, const std::string& batch,
                                                   const std::string& company,
                                                   const ExtractionResult& result,
                                                   BatchTicket::StoreOutcome* outcome) {
  std::vector<std::string> metrics, values, units;
  std::vector<int64_t> messages;
  for (const ExtractedObservation& o : result.observations) {
    if (!std::isfinite(o.value)) continue;
    metrics.push_back(o.metric);
    values.push_back(FormatNumber(o.value));
    units.push_back(o.unit);
    messages.push_back(o.source_message_id);
  }
  std::set<std::string> touched;
  if (metrics.empty()) return touched;
  MS_ASSIGN_OR_RETURN(
      Result res,
      tx.ExecPrepared(
          "INSERT INTO observations (company_id, metric, value, unit, observed_at, "
          "source_message_id, batch_id) SELECT $1::text, o.metric, o.value, o.unit, "
          "COALESCE(m.sent_at, m.created_at), m.id, $2::bigint "
          "FROM unnest($3::text[], $4::float8[], $5::text[], $6::bigint[]) "
          "AS o(metric, value, unit, message_id) "
          "JOIN messages m ON m.id = o.message_id AND m.company_id = $1::text "
          "ON CONFLICT (company_id, metric, source_message_id) DO NOTHING RETURNING metric",
          {company, batch, QuotedArrayLiteral(metrics), QuotedArrayLiteral(values),
           QuotedArrayLiteral(units), Int64ArrayLiteral(messages)}));
  for (int row = 0; row < res.rows(); ++row) touched.insert(std::string(res.Get(row, 0)));
  outcome->observations += res.rows();
  return touched;
}

StatusOr<std::vector<SeriesPoint>> LoadSeries(Connection& tx, const std::string& company,
                                              const std::string& metric) {
  MS_ASSIGN_OR_RETURN(
      Result res,
      tx.ExecPrepared("SELECT value, unit, (extract(epoch FROM observed_at) * 1000)::bigint,"
                      " source_message_id FROM observations WHERE company_id = $1 AND "
                      "metric = $2 ORDER BY observed_at, source_message_id",
                      {company, metric}));
  std::vector<SeriesPoint> series;
  for (int row = 0; row < res.rows(); ++row) {
    series.push_back({std::strtod(std::string(res.Get(row, 0)).c_str(), nullptr),
                      std::string(res.Get(row, 1)), res.GetInt(row, 2), res.GetInt(row, 3)});
  }
  return series;
}

// A series milestone is created once; derived again with other figures (a reading arrived
// late), it is changed in place; derived again unchanged, it is left alone (no sighting: the
// series was re-read, the fact was not reported again).
Status UpsertSeriesMilestone(Connection& tx, const std::string& batch, const std::string& company,
                             const DerivedMilestone& m, BatchTicket::StoreOutcome* outcome) {
  const std::string fingerprint = SeriesMilestoneFingerprint(company, m.key);
  const ExtractedEvent& e = m.event;
  json metrics = MetricsJson(e);
  json sources = e.source_message_ids;
  MS_ASSIGN_OR_RETURN(Result found,
                      tx.ExecPrepared("SELECT id, metrics::text FROM events WHERE "
                                      "company_id = $1 AND fingerprint = $2 FOR UPDATE",
                                      {company, fingerprint}));
  if (found.rows() == 0) {
    MS_ASSIGN_OR_RETURN(
        Result ins,
        tx.ExecPrepared(
            kInsertEvent,
            {company, e.type, e.title, e.description, e.impact, metrics.dump(), e.timeline,
             e.severity, std::string("[]"), sources.dump(), fingerprint, std::string("series"),
             std::to_string(static_cast<double>(m.occurred_at_ms) / 1000.0)}));
    outcome->created++;
    return Append(tx, {std::string(ins.Get(0, 0)), batch}, "created", json::object(),
                  "event.created");
  }
  Ids ids{std::string(found.Get(0, 0)), batch};
  json before = json::parse(found.Get(0, 1), nullptr, false);
  json diff = before.is_object() ? MetricsDiff(before, metrics) : json::object();
  if (diff.empty()) return Status::Ok();
  MS_RETURN_IF_ERROR(
      tx.ExecPrepared("UPDATE events SET title = $2, description = $3, metrics = $4::jsonb, "
                      "source_message_ids = $5::jsonb, timeline = $6, "
                      "occurred_at = to_timestamp($7::float8), last_seen = now() WHERE id = $1",
                      {ids.event, e.title, e.description, metrics.dump(), sources.dump(),
                       e.timeline, std::to_string(static_cast<double>(m.occurred_at_ms) / 1000.0)})
          .status());
  outcome->changed++;
  return Append(tx, ids, "changed", json{{"metrics", diff}}, "event.changed");
}

Status StoreSeries(Connection& tx, const std::string& batch, const std::string& company,
                   const ExtractionResult& result, const MilestoneRules& rules,
                   BatchTicket::StoreOutcome* outcome) {
  MS_ASSIGN_OR_RETURN(std::set<std::string> touched,
                      InsertObservations(tx, batch, company, result, outcome));
  for (const std::string& metric : touched) {
    MS_ASSIGN_OR_RETURN(std::vector<SeriesPoint> series, LoadSeries(tx, company, metric));
    for (const DerivedMilestone& m : DeriveMilestones(metric, std::move(series), rules)) {
      MS_RETURN_IF_ERROR(UpsertSeriesMilestone(tx, batch, company, m, outcome));
    }
  }
  return Status::Ok();
}

// UpsertEvent inside a savepoint: an event the database refuses as data (SQLSTATE class 22 or
// 23, e.g. a value out of range) is rolled back alone and counted as rejected, so one bad event
// never keeps the rest of the batch from being stored.
Status UpsertEventOrReject(Connection& tx, const std::string& batch, const std::string& company_id,
                           const ExtractedEvent& e, const std::string& fingerprint,
                           BatchTicket::StoreOutcome* outcome) {
  MS_RETURN_IF_ERROR(tx.Exec("SAVEPOINT store_event").status());
  const BatchTicket::StoreOutcome before = *outcome;
  Status st = UpsertEvent(tx, batch, company_id, e, fingerprint, outcome);
  if (st.code() == StatusCode::kInvalidArgument) {
    MS_RETURN_IF_ERROR(tx.Exec("ROLLBACK TO SAVEPOINT store_event").status());
    *outcome = before;
    outcome->rejected += 1;
    outcome->refusals.push_back("\"" + e.title.substr(0, 80) + "\": " + st.message());
    return Status::Ok();
  }
  MS_RETURN_IF_ERROR(st);
  return tx.Exec("RELEASE SAVEPOINT store_event").status();
}

// The batch's events stored together when each of them is new: nothing stored has its
// fingerprint or is the same fact (SameFact), and no earlier event of the batch is either.
// Then the per-event path would insert each in turn, and one statement does the same. Returns
// false, having written nothing, when some event is not new (a sighting; the caller takes the
// per-event path). A refused value fails the statement (the caller rolls it back).
StatusOr<bool> CreateAllIfNew(Connection& tx, const std::string& batch, const std::string& company,
                              const std::vector<ExtractedEvent>& events,
                              const std::vector<std::string>& fingerprints,
                              BatchTicket::StoreOutcome* outcome) {
  MS_ASSIGN_OR_RETURN(Result by_fingerprint,
                      tx.ExecPrepared("SELECT 1 FROM events WHERE company_id = $1 AND "
                                      "fingerprint = ANY($2::text[]) LIMIT 1",
                                      {company, QuotedArrayLiteral(fingerprints)}));
  if (by_fingerprint.rows() > 0) return false;
  std::vector<std::string> types;  // of the events SameFact can match at all
  for (const ExtractedEvent& e : events) {
    const FactView view{e.metrics, e.title};
    if (SameFact(e.type, view, view)) types.push_back(e.type);
  }
  // The facts an event could be the same as: the stored ones, then the batch's earlier events.
  struct Fact {
    std::string type, title;
    std::map<std::string, std::string> metrics;
  };
  std::vector<Fact> facts;
  if (!types.empty()) {
    MS_ASSIGN_OR_RETURN(
        Result stored,
        tx.ExecPrepared("SELECT type, metrics::text, title FROM events WHERE company_id = $1 AND "
                        "type = ANY($2::text[]) AND origin = 'extracted' AND state <> 'closed'",
                        {company, QuotedArrayLiteral(types)}));
    for (int row = 0; row < stored.rows(); ++row) {
      facts.push_back({std::string(stored.Get(row, 0)), std::string(stored.Get(row, 2)),
                       MetricsFromJson(stored.Get(row, 1))});
    }
  }
  std::set<std::string> seen_fingerprints;
  nlohmann::json rows = nlohmann::json::array();
  for (size_t idx = 0; idx < events.size(); ++idx) {
    const ExtractedEvent& e = events[idx];
    if (!seen_fingerprints.insert(fingerprints.at(idx)).second) return false;
    const FactView view{e.metrics, e.title};
    if (SameFact(e.type, view, view)) {
      for (const Fact& fact : facts) {
        if (fact.type == e.type && SameFact(e.type, view, {fact.metrics, fact.title})) {
          return false;
        }
      }
    }
    facts.push_back({e.type, e.title, e.metrics});
    rows.push_back({{"type", e.type},
                    {"title", e.title},
                    {"description", e.description},
                    {"impact", e.impact},
                    {"metrics", MetricsJson(e)},
                    {"timeline", e.timeline},
                    {"severity", e.severity},
                    {"stakeholders", e.stakeholders},
                    {"sources", e.source_message_ids},
                    {"fingerprint", fingerprints[idx]}});
  }
  std::string text;
  try {
    text = rows.dump();
  } catch (const nlohmann::json::type_error&) {
    return false;  // a string that is not UTF-8: the per-event path has the database refuse it
  }
  MS_RETURN_IF_ERROR(tx.ExecPrepared(CreateEventsSql(), {company, text, batch}).status());
  outcome->created += static_cast<int>(events.size());
  return true;
}

// The batch's events: together when all are new (CreateAllIfNew), else one by one, each in a
// savepoint of its own so a refused one is left out alone (UpsertEventOrReject).
Status StoreEvents(Connection& tx, const std::string& batch, const std::string& company,
                   const ExtractionResult& result, const std::vector<std::string>& fingerprints,
                   BatchTicket::StoreOutcome* outcome) {
  if (result.events.empty()) return Status::Ok();
  MS_RETURN_IF_ERROR(tx.Exec("SAVEPOINT store_events").status());
  StatusOr<bool> together =
      CreateAllIfNew(tx, batch, company, result.events, fingerprints, outcome);
  if (together.ok() && *together) return tx.Exec("RELEASE SAVEPOINT store_events").status();
  if (!together.ok() && together.status().code() != StatusCode::kInvalidArgument) {
    return together.status();
  }
  MS_RETURN_IF_ERROR(tx.Exec("ROLLBACK TO SAVEPOINT store_events").status());
  for (size_t idx = 0; idx < result.events.size(); ++idx) {
    MS_RETURN_IF_ERROR(
        UpsertEventOrReject(tx, batch, company, result.events[idx], fingerprints.at(idx), outcome));
  }
  return tx.Exec("RELEASE SAVEPOINT store_events").status();
}

}  // namespace

std::map<std::string, std::string> MetricsFromJson(std::string_view text) {
  std::map<std::string, std::string> metrics;
  json parsed = json::parse(text, nullptr, false);
  if (!parsed.is_object()) return metrics;
  for (auto it = parsed.begin(); it != parsed.end(); ++it) {
    metrics[it.key()] = it->is_string() ? it->get<std::string>() : it->dump();
  }
  return metrics;
}

Status StoreBatchEvents(Connection& tx, int64_t batch_id, const std::string& company_id,
                        const ExtractionResult& result,
                        const std::vector<std::string>& fingerprints, double cost_usd,
                        const MilestoneRules& rules, BatchTicket::StoreOutcome* outcome) {
  std::string batch = std::to_string(batch_id);
  // One store per company at a time: two batches of a company stored at once would both insert
  // a fingerprint new to them (a unique violation) or lock shared events in different orders
  // (a deadlock), and either failure costs the batch its extraction. Other companies' stores
  // go on. Held until commit; the two-int4 key space is apart from the bigint batch locks.
  MS_RETURN_IF_ERROR(tx.ExecPrepared("SELECT pg_advisory_xact_lock($1::int4, hashtext($2::text))",
                                     {std::to_string(kCompanyStoreLockClass), company_id})
                         .status());
  MS_ASSIGN_OR_RETURN(
      Result status,
      tx.ExecPrepared("SELECT status FROM batches WHERE id = $1 FOR UPDATE", {batch}));
  if (status.rows() == 0) return NotFound("batch " + batch + " does not exist");
  if (status.Get(0, 0) == "done") {
    outcome->already_done = true;
    return Status::Ok();
  }
  MS_RETURN_IF_ERROR(StoreEvents(tx, batch, company_id, result, fingerprints, outcome));
  const int before = outcome->created + outcome->changed;
  MS_RETURN_IF_ERROR(StoreSeries(tx, batch, company_id, result, rules, outcome));
  if (!result.events.empty() || outcome->created + outcome->changed > before) {
    MS_RETURN_IF_ERROR(tx.ExecPrepared("SELECT pg_notify($1::text, $2::text)",
                                       {std::string(kOutboxChannel), company_id})
                           .status());
  }
  char cost[32];
  snprintf(cost, sizeof cost, "%.6f", cost_usd);
  return tx
      .ExecPrepared(
          kBatchDone,
          {batch, result.provider, result.model, std::to_string(result.usage.prompt_tokens),
           std::to_string(result.usage.completion_tokens), std::string(cost),
           std::to_string(result.llm_calls), std::to_string(result.dropped_by_prefilter),
           std::to_string(result.rejected_events + outcome->rejected),
           std::to_string(result.usage.cached_prompt_tokens),
           std::to_string(result.usage.cache_write_tokens), std::to_string(result.decided_offline),
           result.mode})
      .status();
}

StatusOr<int64_t> MarkStaleEvents(Connection& conn, std::chrono::milliseconds stale_after) {
  const double seconds = static_cast<double>(stale_after.count()) / 1000.0;
  MS_ASSIGN_OR_RETURN(Result res, conn.Exec(StaleSql(), {std::to_string(seconds)}));
  return res.affected();
}

}  // namespace ms::pg
