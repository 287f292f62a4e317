#include <iostream>

#include "app/options.h"
#include "milestonectl/commands.h"

namespace ms::ctl {
namespace {

// Renders a two-or-more column query as a markdown table.
Status Table(pg::Connection& conn, std::string_view sql, const std::vector<std::string>& header,
             const std::vector<pg::Param>& params, std::string* out) {
  MS_ASSIGN_OR_RETURN(pg::Result res, conn.Exec(sql, params));
  *out += "|";
  for (const auto& h : header) *out += " " + h + " |";
  *out += "\n|";
  for (size_t idx = 0; idx < header.size(); ++idx) *out += "---|";
  *out += "\n";
  for (int row = 0; row < res.rows(); ++row) {
    *out += "|";
    for (int col = 0; col < res.cols(); ++col) *out += " " + std::string(res.Get(row, col)) + " |";
    *out += "\n";
  }
  if (res.rows() == 0) *out += "| (none) |\n";
  *out += "\n";
  return Status::Ok();
}

Status Render(pg::Connection& conn, const std::string& company, std::string* out) {
  std::vector<pg::Param> p = {company};
  *out += "# milestoned pipeline report" + (company.empty() ? "" : " — " + company) + "\n\n";
  *out += "## Messages by source\n\n";
  MS_RETURN_IF_ERROR(Table(conn,
                           "SELECT source, count(*), count(*) FILTER (WHERE batch_id IS NULL), "
                           "count(DISTINCT company_id) FROM messages WHERE ($1 = '' OR company_id "
                           "= $1) GROUP BY source ORDER BY source",
                           {"source", "messages", "pending", "companies"}, p, out));
  *out += "## Events by type and severity\n\n";
  MS_RETURN_IF_ERROR(Table(conn,
                           "SELECT type, count(*) FILTER (WHERE severity = 'high'), count(*) "
                           "FILTER (WHERE severity = 'medium'), count(*) FILTER (WHERE severity = "
                           "'low'), sum(sightings) FROM events WHERE ($1 = '' OR company_id = $1) "
                           "GROUP BY type ORDER BY count(*) DESC, type",
                           {"type", "high", "medium", "low", "sightings"}, p, out));
  *out += "## Batches, LLM tokens and cost\n\n";
  MS_RETURN_IF_ERROR(Table(conn,
                           "SELECT status, count(*), sum(message_count), "
                           "string_agg(DISTINCT COALESCE(provider, '-'), ','), sum(prompt_tokens), "
                           "sum(completion_tokens), sum(cost_usd) FROM batches WHERE ($1 = '' OR "
                           "company_id = $1) GROUP BY status ORDER BY status",
                           {"status", "batches", "messages", "provider", "prompt tokens",
                            "completion tokens", "cost USD"},
                           p, out));
  *out += "## Duration\n\n";
  MS_RETURN_IF_ERROR(
      Table(conn,
            "SELECT min(created_at)::timestamp(0), "
            "(SELECT max(finished_at)::timestamp(0) FROM batches WHERE ($1 = '' OR "
            "company_id = $1)), "
            "COALESCE(round(extract(epoch FROM (SELECT max(finished_at) FROM "
            "batches WHERE ($1 = '' OR company_id = $1)) - min(created_at))::numeric, "
            "1)::text, '-') FROM messages WHERE ($1 = '' OR company_id = $1)",
            {"first message stored", "last batch finished", "seconds"}, p, out));
  *out += "## Errors\n\n";
  return Table(conn,
               "SELECT id, company_id, attempts, left(last_error, 120) FROM batches "
               "WHERE status = 'failed' AND ($1 = '' OR company_id = $1) ORDER BY id LIMIT 20",
               {"batch", "company", "attempts", "last error"}, p, out);
}

}  // namespace

void RegisterReport(CLI::App& cli, Registry& registry) {
  auto* cmd = cli.add_subcommand("report", "Markdown summary of the pipeline's work");
  auto company = std::make_shared<std::string>();
  cmd->add_option("--company", *company, "Only this company");
  registry[cmd] = [company](const Config& config) {
    auto conn = pg::Connection::Open(app::PgOptionsFrom(config));
    std::string out;
    Status st = conn.ok() ? Render(**conn, *company, &out) : conn.status();
    if (!st.ok()) {
      std::cerr << "report: " << st.message() << "\n";
      return 1;
    }
    std::cout << out;
    return 0;
  };
}

}  // namespace ms::ctl
