// milestonectl's subcommands. Each Register* adds a CLI11 subcommand and records the function
// that runs it once the configuration is loaded.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <map>
#include <string_view>

#include "config/config.h"

namespace ms::ctl {

// Exit codes, the same for every subcommand (shown in the top-level --help and in
// docs/operations.md).
inline constexpr int kExitOk = 0;
// The operation failed: a dependency (Kafka, Postgres, a file) could not be reached or
// refused the work; the reason is on stderr.
inline constexpr int kExitFailed = 1;
// Bad usage (unknown option, missing argument, invalid value) or an invalid configuration;
// nothing was done.
inline constexpr int kExitUsage = 2;
// The object the command names does not exist (`batches show ID`, `batches retry ID`).
inline constexpr int kExitNotFound = 3;

inline constexpr std::string_view kExitCodesHelp =
    "Exit codes:\n"
    "  0  success\n"
    "  1  the operation failed (a dependency unreachable, a query or send refused); see stderr\n"
    "  2  bad usage or invalid configuration; nothing was done\n"
    "  3  not found: the batch named by `batches show|retry ID` does not exist";

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
