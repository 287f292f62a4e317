#include <iostream>

#include "adapters/postgres/migrations.h"
#include "app/options.h"
#include "milestonectl/commands.h"

namespace ms::ctl {

void RegisterMigrate(CLI::App& cli, Registry& registry) {
  auto* cmd = cli.add_subcommand("migrate", "Apply pending schema migrations (idempotent)");
  registry[cmd] = [](const Config& config) {
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
    std::cout << "schema at version " << report->current_version << "; applied "
              << report->applied.size() << " migration(s) now\n";
    return 0;
  };
}

}  // namespace ms::ctl
