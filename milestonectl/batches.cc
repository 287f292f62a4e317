#include <iostream>
#include <nlohmann/json.hpp>

#include "adapters/postgres/batch_queue.h"
#include "app/options.h"
#include "milestonectl/commands.h"

namespace ms::ctl {
namespace {

constexpr std::string_view kColumns =
    "SELECT id, company_id, status, message_count, trigger, attempts, COALESCE(last_error, ''), "
    "COALESCE(provider, ''), COALESCE(model, ''), prompt_tokens, completion_tokens, cost_usd, "
    "to_char(claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), cached_prompt_tokens, "
    "cache_write_tokens, COALESCE(provider_job_id, ''), COALESCE(job_state, ''), "
    "COALESCE(job_provider_state, ''), job_requests, job_fallbacks, COALESCE(llm_mode, '') "
    "FROM batches ";

nlohmann::json Row(const pg::Result& r, int row) {
  return {{"id", r.GetInt(row, 0)},
          {"company", r.Get(row, 1)},
          {"status", r.Get(row, 2)},
          {"messages", r.GetInt(row, 3)},
          {"trigger", r.Get(row, 4)},
          {"attempts", r.GetInt(row, 5)},
          {"last_error", r.Get(row, 6)},
          {"provider", r.Get(row, 7)},
          {"model", r.Get(row, 8)},
          {"prompt_tokens", r.GetInt(row, 9)},
          {"completion_tokens", r.GetInt(row, 10)},
          {"cost_usd", std::string(r.Get(row, 11))},
          {"claimed_at", r.Get(row, 12)},
          {"cached_prompt_tokens", r.GetInt(row, 13)},
          {"cache_write_tokens", r.GetInt(row, 14)},
          {"provider_job_id", r.Get(row, 15)},
          {"job_state", r.Get(row, 16)},
          {"job_provider_state", r.Get(row, 17)},
          {"job_requests", r.GetInt(row, 18)},
          {"job_fallbacks", r.GetInt(row, 19)},
          {"mode", r.Get(row, 20)}};
}

int Fail(const Status& st) {
  std::cerr << "batches: " << st.message() << "\n";
  return st.code() == StatusCode::kNotFound ? kExitNotFound : kExitFailed;
}

struct Args {
  std::string status;
  std::string company;
  int64_t id = 0;
  int limit = 50;
  bool failed = false;
  bool json = false;
};

int List(const Config& config, const Args& a) {
  auto conn = pg::Connection::Open(app::PgOptionsFrom(config));
  if (!conn.ok()) return Fail(conn.status());
  auto res = (*conn)->Exec(std::string(kColumns) +
                               "WHERE ($1 = '' OR status = $1) AND ($2 = '' OR company_id = $2) "
                               "ORDER BY id DESC LIMIT $3",
                           {a.status, a.company, std::to_string(a.limit)});
  if (!res.ok()) return Fail(res.status());
  nlohmann::json out = nlohmann::json::array();
  for (int row = 0; row < res->rows(); ++row) out.push_back(Row(*res, row));
  if (a.json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  printf("%8s %-24s %-10s %6s %-9s %4s %-10s %s\n", "id", "company", "status", "msgs", "trigger",
         "try", "job", "error");
  for (const auto& b : out) {
    printf(
        "%8lld %-24s %-10s %6lld %-9s %4lld %-10s %s\n", b["id"].get<long long>(),
        b["company"].get<std::string>().c_str(), b["status"].get<std::string>().c_str(),
        b["messages"].get<long long>(), b["trigger"].get<std::string>().c_str(),
        b["attempts"].get<long long>(),
        b["job_state"].get<std::string>().empty() ? "-" : b["job_state"].get<std::string>().c_str(),
        b["last_error"].get<std::string>().substr(0, 60).c_str());
  }
  return 0;
}

int Show(const Config& config, const Args& a) {
  auto conn = pg::Connection::Open(app::PgOptionsFrom(config));
  if (!conn.ok()) return Fail(conn.status());
  auto res = (*conn)->Exec(std::string(kColumns) + "WHERE id = $1", {std::to_string(a.id)});
  if (!res.ok()) return Fail(res.status());
  if (res->rows() == 0) return Fail(NotFound("no batch " + std::to_string(a.id)));
  std::cout << Row(*res, 0).dump(2) << "\n";
  return 0;
}

int Retry(const Config& config, const Args& a) {
  if (a.id == 0 && !a.failed) {
    std::cerr << "batches retry: give a batch ID or --failed\n";
    return kExitUsage;
  }
  auto conn = pg::Connection::Open(app::PgOptionsFrom(config));
  if (!conn.ok()) return Fail(conn.status());
  auto requeued = pg::RequeueFailedBatches(**conn, a.id, a.company);
  if (!requeued.ok()) return Fail(requeued.status());
  if (*requeued == 0 && a.id != 0) {
    auto exists = (*conn)->Exec("SELECT status FROM batches WHERE id = $1", {std::to_string(a.id)});
    if (!exists.ok()) return Fail(exists.status());
    if (exists->rows() == 0) return Fail(NotFound("no batch " + std::to_string(a.id)));
    std::cerr << "batches retry: batch " << a.id << " is " << exists->Get(0, 0) << ", not failed\n";
  }
  if (a.json) {
    std::cout << nlohmann::json({{"requeued", *requeued}}).dump(2) << "\n";
  } else {
    std::cout << *requeued << " batch(es) queued for extraction again\n";
  }
  return kExitOk;
}

}  // namespace

void RegisterBatches(CLI::App& cli, Registry& registry) {
  auto* cmd = cli.add_subcommand("batches", "List, show and retry batches");
  cmd->require_subcommand(1);
  auto args = std::make_shared<Args>();
  auto* list = cmd->add_subcommand("list", "Recent batches");
  list->add_option("--status", args->status, "claimed|extracting|submitted|done|failed");
  list->add_option("--company", args->company, "Only this company");
  list->add_option("--limit", args->limit, "Rows")->capture_default_str();
  list->add_flag("--json", args->json, "Print JSON");
  registry[list] = [args](const Config& c) { return List(c, *args); };
  auto* show = cmd->add_subcommand("show", "One batch (always JSON)");
  show->add_option("id", args->id, "Batch id")->required();
  show->add_flag("--json", args->json, "Accepted for uniformity: the output is always JSON");
  registry[show] = [args](const Config& c) { return Show(c, *args); };
  auto* retry = cmd->add_subcommand(
      "retry", "Queue failed batches for extraction again, with a fresh llm.batch_attempts");
  retry->add_option("id", args->id, "Batch id");
  retry->add_flag("--failed", args->failed, "Every failed batch");
  retry->add_option("--company", args->company, "Only this company");
  retry->add_flag("--json", args->json, "Print JSON: {\"requeued\": N}");
  registry[retry] = [args](const Config& c) { return Retry(c, *args); };
}

}  // namespace ms::ctl
