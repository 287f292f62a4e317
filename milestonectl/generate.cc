#include <fstream>
#include <iostream>

#include "milestonectl/commands.h"
#include "pipeline/generator/generator.h"

namespace ms::ctl {

void RegisterGenerate(CLI::App& cli, Registry& registry) {
  auto* cmd = cli.add_subcommand(
      "generate",
      "Write a synthetic CSV data set: per company a one-year story (funding rounds, KPI "
      "reports, deals, launches, hires, compliance, ...) amid day-to-day chatter");
  auto opts = std::make_shared<GeneratorOptions>();
  auto out_path = std::make_shared<std::string>();
  cmd->add_option("-n,--rows", opts->rows, "Rows to write")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}));
  cmd->add_option("--companies", opts->companies, "Distinct companies")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--seed", opts->seed, "Random seed (same seed, same file)")
      ->capture_default_str();
  cmd->add_option("--milestone-ratio", opts->milestone_ratio,
                  "Share of story rows (milestones, deal news, KPI reports)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("-o,--out", *out_path, "Output file (default: stdout)");
  registry[cmd] = [opts, out_path](const Config&) {
    std::ofstream file;
    if (!out_path->empty()) {
      file.open(*out_path);
      if (!file) {
        std::cerr << "generate: cannot write " << *out_path << "\n";
        return 1;
      }
    }
    std::ostream& out = out_path->empty() ? std::cout : file;
    GeneratorStats stats;
    int64_t milestones = GenerateCsv(*opts, out, &stats);
    out.flush();
    std::cerr << "generate: " << opts->rows << " rows, " << opts->companies << " companies, "
              << milestones << " milestones, " << stats.kpi_reports << " KPI reports, "
              << stats.deal_news << " deals proposed or lost, " << stats.emails << " e-mails\n";
    return out ? 0 : 1;
  };
}

}  // namespace ms::ctl
