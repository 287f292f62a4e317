// milestoned: the daemon's entry point. Parses the command line, loads and validates the
// configuration, then hands over to app::RunDaemon, which wires the adapters together.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "app/daemon.h"
#include "config/config.h"

namespace {

std::string DefaultConfigPath() {
  const char* env = std::getenv("MILESTONE_CONFIG");
  return env ? env : "/etc/milestoned/config.yaml";
}

int CheckConfig(const std::string& path) {
  auto config = ms::Config::Load(path, ms::Environment::Process());
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 1;
  }
  std::cout << "config OK: " << path
            << " (llm.provider=" << ms::LlmProviderName(config->llm.provider) << ")\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"milestoned: turns Slack and Gmail traffic into a ledger of business events"};
  std::string config_path = DefaultConfigPath();
  std::string check_path;
  bool print_config = false;
  cli.add_option("-c,--config", config_path, "Configuration file (env MILESTONE_CONFIG)")
      ->capture_default_str();
  cli.add_option("--check-config", check_path,
                 "Validate FILE (with the environment's overrides) and exit 0 if valid, 1 if not");
  cli.add_flag("--print-config", print_config,
               "Print the effective configuration (secrets masked) and exit");
  cli.set_version_flag("--version", std::string("milestoned ") + MS_VERSION);
  CLI11_PARSE(cli, argc, argv);

  if (!check_path.empty()) return CheckConfig(check_path);
  auto config = ms::Config::Load(config_path, ms::Environment::Process());
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 1;
  }
  if (print_config) {
    std::cout << config->Describe();
    return 0;
  }
  return ms::app::RunDaemon(*config);
}
