#include <iostream>
#include <nlohmann/json.hpp>

#include "adapters/postgres/ledger_queries.h"
#include "app/options.h"
#include "milestonectl/commands.h"

namespace ms::ctl {
namespace {

nlohmann::json EventJson(const StoredEvent& e) {
  return {{"id", e.event_uid},          {"type", e.type},
          {"title", e.title},           {"description", e.description},
          {"severity", e.severity},     {"state", e.state},
          {"metrics", e.metrics},       {"sightings", e.sightings},
          {"first_seen", e.first_seen}, {"last_seen", e.last_seen}};
}

StatusOr<std::vector<StoredEvent>> Load(const Config& config, const pg::EventFilter& filter) {
  MS_ASSIGN_OR_RETURN(auto conn, pg::Connection::Open(app::PgOptionsFrom(config)));
  return pg::ListEvents(*conn, filter);
}

int PrintEvents(const Config& config, const pg::EventFilter& filter, bool json) {
  auto events = Load(config, filter);
  if (!events.ok()) {
    std::cerr << "events: " << events.status().message() << "\n";
    return 1;
  }
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : *events) out.push_back(EventJson(e));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& e : *events) {
    printf("%-22s %-6s %-6s x%-3d %s\n", e.type.c_str(), e.severity.c_str(), e.state.c_str(),
           e.sightings, e.title.c_str());
  }
  std::cerr << events->size() << " events\n";
  return 0;
}

}  // namespace

void RegisterEvents(CLI::App& cli, Registry& registry) {
  auto* cmd = cli.add_subcommand("events", "List a company's events");
  auto filter = std::make_shared<pg::EventFilter>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("--company", filter->company_id, "Company id")->required();
  cmd->add_option("--since", filter->since, "Only events seen since (e.g. 2026-11-01)");
  cmd->add_option("--type", filter->type, "Only this event type");
  cmd->add_flag("--open", filter->open_only, "Only open events");
  cmd->add_flag("--json", *json, "Print JSON");
  registry[cmd] = [filter, json](const Config& config) {
    return PrintEvents(config, *filter, *json);
  };
}

}  // namespace ms::ctl
