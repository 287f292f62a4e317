// milestonectl: the operator's command-line companion to milestoned.
//
// Exit codes: see kExitCodesHelp in commands.h. CLI11's own codes for a parse error (105-114)
// are folded into 2, so a script needs to know one code for "bad usage".
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
  cli.footer(std::string(ms::ctl::kExitCodesHelp));  // after the subcommands: top level only
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with exit code 0; everything else is bad usage.
    return cli.exit(e) == 0 ? ms::ctl::kExitOk : ms::ctl::kExitUsage;
  }

  auto config = ms::Config::Load(config_path, ms::Environment::Process());
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return ms::ctl::kExitUsage;
  }
  const ms::ctl::Run* run = ms::ctl::Chosen(cli, registry);
  return run ? (*run)(*config) : ms::ctl::kExitUsage;
}
