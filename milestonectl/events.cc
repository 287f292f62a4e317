// milestonectl events: a company's ledger, most significant first. By default the top --top
// events by significance score (pipeline/ledger/significance.h), shown in occurred_at order, newest
// first; --all lists every matching event.
#include <iostream>
#include <nlohmann/json.hpp>

#include "adapters/postgres/ledger_queries.h"
#include "app/options.h"
#include "milestonectl/commands.h"
#include "pipeline/ledger/significance.h"

namespace ms::ctl {
namespace {

struct EventsRequest {
  pg::EventFilter filter;
  int top = 20;
  bool all = false;
  bool json = false;
};

nlohmann::json EventJson(const StoredEvent& e) {
  return {{"id", e.event_uid},
          {"type", e.type},
          {"title", e.title},
          {"description", e.description},
          {"severity", e.severity},
          {"state", e.state},
          {"origin", e.origin},
          {"score", e.score},
          {"metrics", e.metrics},
          {"sightings", e.sightings},
          {"source_message_ids", e.source_message_ids},
          {"occurred_at", e.occurred_at},
          {"first_seen", e.first_seen},
          {"last_seen", e.last_seen}};
}

int PrintEvents(const Config& config, const EventsRequest& req) {
  auto conn = pg::Connection::Open(app::PgOptionsFrom(config));
  auto events = conn.ok() ? pg::ListEvents(**conn, req.filter)
                          : StatusOr<std::vector<StoredEvent>>(conn.status());
  if (!events.ok()) {
    std::cerr << "events: " << events.status().message() << "\n";
    return kExitFailed;
  }
  const size_t matching = events->size();
  if (!req.all) KeepMostSignificant(&*events, static_cast<size_t>(req.top));
  if (req.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& e : *events) out.push_back(EventJson(e));
    std::cout << out.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& e : *events) {
    printf("%-10s %5.1f %-21s %-6s %-6s x%-3d %s\n", e.occurred_at.substr(0, 10).c_str(), e.score,
           e.type.c_str(), e.severity.c_str(), e.state.c_str(), e.sightings, e.title.c_str());
  }
  std::cerr << events->size() << " of " << matching << " events"
            << (events->size() < matching ? " (the most significant; --all for every one)" : "")
            << "\n";
  return kExitOk;
}

}  // namespace

void RegisterEvents(CLI::App& cli, Registry& registry) {
  auto* cmd = cli.add_subcommand(
      "events",
      "List a company's events: the most significant, newest first (--all for every one)");
  auto req = std::make_shared<EventsRequest>();
  pg::EventFilter& filter = req->filter;
  cmd->add_option("--company", filter.company_id, "Company id")->required();
  cmd->add_option("--since", filter.since, "Only events that occurred since (e.g. 2025-11-01)");
  cmd->add_option("--until", filter.until, "Only events that occurred before (e.g. 2025-12-01)");
  cmd->add_option("--type", filter.type, "Only this event type");
  cmd->add_option("--min-severity", filter.min_severity, "Only events of at least this severity")
      ->check(CLI::IsMember({"low", "medium", "high"}));
  cmd->add_option("--top", req->top, "How many of the most significant events to show")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_flag("--all", req->all, "Every matching event, not only the most significant");
  cmd->add_flag("--open", filter.open_only, "Only open events");
  cmd->add_flag("--json", req->json, "Print JSON");
  registry[cmd] = [req](const Config& config) { return PrintEvents(config, *req); };
}

}  // namespace ms::ctl
