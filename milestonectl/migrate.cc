#include <iostream>
#include <nlohmann/json.hpp>

#include "adapters/postgres/migrations.h"
#include "app/options.h"
#include "milestonectl/commands.h"

namespace ms::ctl {

void RegisterMigrate(CLI::App& cli, Registry& registry) {
  auto* cmd = cli.add_subcommand("migrate", "Apply pending schema migrations (idempotent)");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print JSON: {\"version\": N, \"applied\": [versions]}");
  registry[cmd] = [json](const Config& config) {
    auto conn = pg::Connection::Open(app::PgOptionsFrom(config));
    if (!conn.ok()) {
      std::cerr << "migrate: " << conn.status().message() << "\n";
      return 1;
    }
    auto report = pg::Migrate(**conn);
    if (!report.ok()) {
      std::cerr << "migrate: " << report.status().message() << "\n";
      return 1;
    }
    if (*json) {
      nlohmann::json out = {{"version", report->current_version}, {"applied", report->applied}};
      std::cout << out.dump(2) << "\n";
      return kExitOk;
    }
    std::cout << "schema at version " << report->current_version << "; applied "
              << report->applied.size() << " migration(s) now\n";
    return kExitOk;
  };
}

}  // namespace ms::ctl
