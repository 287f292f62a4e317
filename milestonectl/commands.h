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
void RegisterEvents(CLI::App& cli, Registry& registry);
void RegisterInvestorEmail(CLI::App& cli, Registry& registry);
void RegisterBatches(CLI::App& cli, Registry& registry);
void RegisterDlq(CLI::App& cli, Registry& registry);
void RegisterReport(CLI::App& cli, Registry& registry);

inline void RegisterAll(CLI::App& cli, Registry& registry) {
  RegisterMigrate(cli, registry);
  RegisterProduce(cli, registry);
  RegisterGenerate(cli, registry);
  RegisterStatus(cli, registry);
  RegisterEvents(cli, registry);
  RegisterInvestorEmail(cli, registry);
  RegisterBatches(cli, registry);
  RegisterDlq(cli, registry);
  RegisterReport(cli, registry);
}

// The registered runner of the deepest chosen subcommand, or null.
inline const Run* Chosen(const CLI::App& app, const Registry& registry) {
  for (const CLI::App* sub : app.get_subcommands()) {
    if (const Run* deeper = Chosen(*sub, registry)) return deeper;
    if (auto it = registry.find(sub); it != registry.end()) return &it->second;
  }
  return nullptr;
}

}  // namespace ms::ctl
