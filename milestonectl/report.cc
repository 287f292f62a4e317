// milestonectl report: a summary of the pipeline's work, like a pipeline run report —
// messages, events, batches with their LLM spend, duration, and the errors an operator must
// look at (failed batches, failing outbox rows, the dead-letter topic). Markdown, or --json
// with the same sections. Fast on a large database: aggregates and short lists only; the
// dead letters are counted from the DLQ topic's watermarks, not read.
#include <iostream>
#include <nlohmann/json.hpp>

#include "adapters/kafka/admin.h"
#include "app/options.h"
#include "milestonectl/commands.h"

namespace ms::ctl {
namespace {

enum class Kind { kText, kInt, kNumber };

struct Column {
  const char* key;     // JSON key
  const char* header;  // Markdown header
  Kind kind;
};

// One query, rendered as one Markdown table and one JSON array of row objects. Every query
// takes $1 = the company, or '' for all.
struct Section {
  const char* key;
  const char* title;
  const char* sql;
  std::vector<Column> columns;
};

const std::vector<Section>& Sections() {
  static const std::vector<Section> kSections = {
      {"messages",
       "Messages by source",
       "SELECT m.source, count(*), count(p.id), count(DISTINCT m.company_id) FROM messages m "
       "LEFT JOIN pending_messages p ON p.id = m.id WHERE ($1 = '' OR m.company_id = $1) "
       "GROUP BY m.source ORDER BY m.source",
       {{"source", "source", Kind::kText},
        {"messages", "messages", Kind::kInt},
        {"pending", "pending", Kind::kInt},
        {"companies", "companies", Kind::kInt}}},
      {"events",
       "Events by type and severity",
       "SELECT type, count(*) FILTER (WHERE severity = 'high'), count(*) FILTER (WHERE severity "
       "= 'medium'), count(*) FILTER (WHERE severity = 'low'), sum(sightings) FROM events "
       "WHERE ($1 = '' OR company_id = $1) GROUP BY type ORDER BY count(*) DESC, type",
       {{"type", "type", Kind::kText},
        {"high", "high", Kind::kInt},
        {"medium", "medium", Kind::kInt},
        {"low", "low", Kind::kInt},
        {"sightings", "sightings", Kind::kInt}}},
      {"batches",
       "Batches, LLM calls, tokens and cost",
       "SELECT status, count(*), sum(message_count), "
       "string_agg(DISTINCT COALESCE(provider, '-'), ','), sum(llm_calls), sum(prompt_tokens), "
       "sum(cached_prompt_tokens), sum(cache_write_tokens), sum(completion_tokens), "
       "sum(cost_usd), sum(dropped_messages), sum(rejected_events) FROM batches WHERE ($1 = '' OR "
       "company_id = $1) GROUP BY status ORDER BY status",
       {{"status", "status", Kind::kText},
        {"batches", "batches", Kind::kInt},
        {"messages", "messages", Kind::kInt},
        {"providers", "provider", Kind::kText},
        {"llm_calls", "LLM calls", Kind::kInt},
        {"prompt_tokens", "prompt tokens", Kind::kInt},
        {"cached_prompt_tokens", "of which cached", Kind::kInt},
        {"cache_write_tokens", "of which cache writes", Kind::kInt},
        {"completion_tokens", "completion tokens", Kind::kInt},
        {"cost_usd", "cost USD", Kind::kNumber},
        {"dropped_messages", "dropped by prefilter", Kind::kInt},
        {"rejected_events", "rejected events", Kind::kInt}}},
      {"economy",
       "LLM spend per 1,000 messages by mode (done batches)",
       "SELECT COALESCE(llm_mode, '-'), COALESCE(provider, '-'), COALESCE(model, '-'), "
       "sum(message_count), sum(dropped_messages), sum(decided_offline), sum(llm_calls), "
       "round(1000.0 * sum(llm_calls) / NULLIF(sum(message_count), 0), 2), "
       "round(sum(prompt_tokens)::numeric / NULLIF(sum(message_count), 0), 1), "
       "round(1000 * sum(cost_usd)::numeric / NULLIF(sum(message_count), 0), 4) "
       "FROM batches WHERE status = 'done' AND ($1 = '' OR company_id = $1) "
       "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
       {{"mode", "mode", Kind::kText},
        {"provider", "provider", Kind::kText},
        {"model", "model", Kind::kText},
        {"messages", "messages", Kind::kInt},
        {"dropped_messages", "dropped by prefilter", Kind::kInt},
        {"decided_offline", "decided offline", Kind::kInt},
        {"llm_calls", "LLM calls", Kind::kInt},
        {"calls_per_1k", "calls per 1k", Kind::kNumber},
        {"prompt_tokens_per_message", "prompt tokens per message", Kind::kNumber},
        {"cost_usd_per_1k", "cost USD per 1k", Kind::kNumber}}},
      {"batch_jobs",
       "Provider batch jobs (llm.submit: batch)",
       "SELECT job_state, COALESCE(provider, '-'), count(*), sum(job_requests), "
       "sum(job_fallbacks), sum(message_count), "
       "round(avg(extract(epoch FROM COALESCE(job_ended_at, now()) - submitted_at))::numeric, 0) "
       "FROM batches WHERE provider_job_id IS NOT NULL AND ($1 = '' OR company_id = $1) "
       "GROUP BY 1, 2 ORDER BY 1, 2",
       {{"state", "job state", Kind::kText},
        {"provider", "provider", Kind::kText},
        {"jobs", "jobs", Kind::kInt},
        {"requests", "requests", Kind::kInt},
        {"fallbacks", "re-sent synchronously", Kind::kInt},
        {"messages", "messages", Kind::kInt},
        {"seconds", "seconds submitted (mean)", Kind::kNumber}}},
      {"duration",
       "Duration",
       "WITH f AS (SELECT max(finished_at) AS last FROM batches WHERE ($1 = '' OR company_id = "
       "$1)) SELECT to_char(min(m.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
       "to_char((SELECT last FROM f) AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), "
       "round(extract(epoch FROM (SELECT last FROM f) - min(m.created_at))::numeric, 1) "
       "FROM messages m WHERE ($1 = '' OR m.company_id = $1)",
       {{"first_message_stored", "first message stored (UTC)", Kind::kText},
        {"last_batch_finished", "last batch finished (UTC)", Kind::kText},
        {"seconds", "seconds", Kind::kNumber}}},
      {"failed_batches",
       "Failed batches",
       "SELECT id, company_id, attempts, left(last_error, 160) FROM batches "
       "WHERE status = 'failed' AND ($1 = '' OR company_id = $1) ORDER BY id LIMIT 20",
       {{"id", "batch", Kind::kInt},
        {"company", "company", Kind::kText},
        {"attempts", "attempts", Kind::kInt},
        {"last_error", "last error", Kind::kText}}},
      {"failing_outbox",
       "Outbox rows failing to publish",
       "SELECT id, aggregate, type, attempts, left(last_error, 160) FROM outbox "
       "WHERE published_at IS NULL AND (attempts > 0 OR last_error IS NOT NULL) "
       "AND ($1 = '' OR aggregate = $1) ORDER BY id LIMIT 20",
       {{"id", "outbox row", Kind::kInt},
        {"company", "company", Kind::kText},
        {"type", "type", Kind::kText},
        {"attempts", "attempts", Kind::kInt},
        {"last_error", "last error", Kind::kText}}},
  };
  return kSections;
}

// Totals behind the two error lists (which show at most 20 rows each).
constexpr const char* kErrorTotalsSql =
    "SELECT (SELECT count(*) FROM batches WHERE status = 'failed' AND ($1 = '' OR company_id = "
    "$1)), (SELECT count(*) FROM outbox WHERE published_at IS NULL AND (attempts > 0 OR "
    "last_error IS NOT NULL) AND ($1 = '' OR aggregate = $1))";

nlohmann::json Value(const pg::Result& res, int row, int col, Kind kind) {
  if (res.IsNull(row, col)) return nullptr;
  switch (kind) {
    case Kind::kInt:
      return res.GetInt(row, col);
    case Kind::kNumber:
      return std::stod(std::string(res.Get(row, col)));
    case Kind::kText:
      break;
  }
  return std::string(res.Get(row, col));
}

StatusOr<nlohmann::json> Rows(pg::Connection& conn, const Section& section,
                              const std::vector<pg::Param>& params) {
  MS_ASSIGN_OR_RETURN(pg::Result res, conn.Exec(section.sql, params));
  nlohmann::json rows = nlohmann::json::array();
  for (int row = 0; row < res.rows(); ++row) {
    nlohmann::json obj = nlohmann::json::object();
    for (size_t col = 0; col < section.columns.size(); ++col) {
      const Column& c = section.columns[col];
      obj[c.key] = Value(res, row, static_cast<int>(col), c.kind);
    }
    rows.push_back(std::move(obj));
  }
  return rows;
}

// The DLQ topic's retained records (high - low watermark) and how many of them lie past the
// replay group's committed offset. Kafka unreachable is reported in place, not a failure.
nlohmann::json DeadLetters(const Config& config) {
  const std::string group = config.kafka.group_id + "-dlq-replay";
  nlohmann::json out = {{"topic", config.kafka.dlq_topic}, {"replay_group", group}};
  auto lags = kafka::GroupLags(config.kafka.brokers, app::ConsumerPropertiesFrom(config), group,
                               {config.kafka.dlq_topic}, std::chrono::seconds(5));
  if (!lags.ok()) {
    out["error"] = lags.status().ToString();
    return out;
  }
  int64_t records = 0;
  int64_t not_replayed = 0;
  for (const kafka::PartitionLag& lag : *lags) {
    records += lag.high_watermark - lag.low_watermark;
    not_replayed += lag.lag();
  }
  out["records"] = records;
  out["not_replayed"] = not_replayed;
  return out;
}

StatusOr<nlohmann::json> Collect(const Config& config, const std::string& company) {
  MS_ASSIGN_OR_RETURN(auto conn, pg::Connection::Open(app::PgOptionsFrom(config)));
  std::vector<pg::Param> params = {company};
  nlohmann::json out = {{"company", company}};
  for (const Section& section : Sections()) {
    MS_ASSIGN_OR_RETURN(out[section.key], Rows(*conn, section, params));
  }
  out["duration"] = out["duration"].empty() ? nlohmann::json::object() : out["duration"][0];
  MS_ASSIGN_OR_RETURN(pg::Result totals, conn->Exec(kErrorTotalsSql, params));
  out["failed_batches_total"] = totals.GetInt(0, 0);
  out["failing_outbox_total"] = totals.GetInt(0, 1);
  out["dead_letters"] = DeadLetters(config);
  return out;
}

std::string Cell(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  for (char& ch : s) {
    if (ch == '|' || ch == '\n' || ch == '\r') ch = ' ';  // keep the table a table
  }
  return s;
}

void Table(const Section& section, const nlohmann::json& rows, std::string* out) {
  *out += "|";
  for (const Column& c : section.columns) *out += std::string(" ") + c.header + " |";
  *out += "\n|";
  for (size_t idx = 0; idx < section.columns.size(); ++idx) *out += "---|";
  *out += "\n";
  const nlohmann::json list = rows.is_array() ? rows : nlohmann::json::array({rows});
  for (const auto& row : list) {
    *out += "|";
    for (const Column& c : section.columns)
      *out += " " + Cell(row.value(c.key, nlohmann::json())) + " |";
    *out += "\n";
  }
  if (list.empty()) *out += "| (none) |\n";
  *out += "\n";
}

std::string Markdown(const nlohmann::json& r) {
  const std::string company = r["company"].get<std::string>();
  std::string out =
      "# milestoned pipeline report" + (company.empty() ? "" : " — " + company) + "\n\n";
  for (const Section& section : Sections()) {
    const std::string key = section.key;
    if (key == "failed_batches") {
      out += "## Errors\n\n";
      out += "### Failed batches (" + std::to_string(r["failed_batches_total"].get<int64_t>()) +
             "; retry with `milestonectl batches retry`)\n\n";
    } else if (key == "failing_outbox") {
      out += "### Outbox rows failing to publish (" +
             std::to_string(r["failing_outbox_total"].get<int64_t>()) + ")\n\n";
    } else {
      out += std::string("## ") + section.title + "\n\n";
    }
    Table(section, r[key], &out);
  }
  const nlohmann::json& dlq = r["dead_letters"];
  out += "### Dead letters (topic " + dlq["topic"].get<std::string>() + ", all companies)\n\n";
  if (dlq.contains("error")) {
    out += "unavailable: " + dlq["error"].get<std::string>() + "\n";
  } else {
    out += std::to_string(dlq["records"].get<int64_t>()) + " record(s), " +
           std::to_string(dlq["not_replayed"].get<int64_t>()) +
           " past the replay group's offset; by reason: `milestonectl dlq list`\n";
  }
  return out;
}

}  // namespace

void RegisterReport(CLI::App& cli, Registry& registry) {
  auto* cmd = cli.add_subcommand(
      "report",
      "Markdown summary of the pipeline's work: messages, events, batches with LLM "
      "calls and spend, duration, errors (failed batches, outbox, dead letters)");
  auto company = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--company", *company, "Only this company (dead letters: all companies)");
  cmd->add_flag("--json", *json, "Print JSON with the same sections");
  registry[cmd] = [company, json](const Config& config) {
    auto report = Collect(config, *company);
    if (!report.ok()) {
      std::cerr << "report: " << report.status().message() << "\n";
      return kExitFailed;
    }
    std::cout << (*json ? report->dump(2) + "\n" : Markdown(*report));
    return kExitOk;
  };
}

}  // namespace ms::ctl
