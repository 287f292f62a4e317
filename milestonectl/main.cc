// milestonectl: the operator's command-line companion to milestoned.
//
// Exit codes: 0 success; 1 the operation failed (the reason is printed); 2 bad usage or
// configuration.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "config/config.h"
#include "milestonectl/commands.h"

int main(int argc, char** argv) {
  CLI::App cli{"milestonectl: operate milestoned"};
  cli.require_subcommand(1);
  std::string config_path;
  if (const char* env = std::getenv("MILESTONE_CONFIG")) config_path = env;
  cli.add_option("-c,--config", config_path,
                 "Configuration file (env MILESTONE_CONFIG; default: built-in defaults + env)");
  cli.set_version_flag("--version", std::string("milestonectl ") + MS_VERSION);

  ms::ctl::Registry registry;
  ms::ctl::RegisterAll(cli, registry);
  CLI11_PARSE(cli, argc, argv);

  auto config = ms::Config::Load(config_path, ms::Environment::Process());
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 2;
  }
  const ms::ctl::Run* run = ms::ctl::Chosen(cli, registry);
  return run ? (*run)(*config) : 2;
}
