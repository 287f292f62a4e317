// milestonectl's subcommands. Each Register* adds a CLI11 subcommand and records the function
// that runs it once the configuration is loaded.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <map>

#include "config/config.h"

namespace ms::ctl {

using Run = std::function<int(const Config&)>;
using Registry = std::map<const CLI::App*, Run>;

void RegisterMigrate(CLI::App& cli, Registry& registry);
void RegisterProduce(CLI::App& cli, Registry& registry);
void RegisterGenerate(CLI::App& cli, Registry& registry);
void RegisterStatus(CLI::App& cli, Registry& registry);

inline void RegisterAll(CLI::App& cli, Registry& registry) {
  RegisterMigrate(cli, registry);
  RegisterProduce(cli, registry);
  RegisterGenerate(cli, registry);
  RegisterStatus(cli, registry);
}

}  // namespace ms::ctl
