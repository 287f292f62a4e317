// milestonectl investor-email: an investor update from a company's open events (design §5),
// written by the configured LLM provider, or by the offline template when the provider is
// `rules`, --offline is given, or the provider cannot deliver (a warning on stderr names the
// reason). The update is stored in investor_updates with the ids of the events it used and
// the provider that wrote it, then printed.
#include <iostream>
#include <utility>

#include "adapters/llm/llm_client_factory.h"
#include "adapters/postgres/ledger_queries.h"
#include "app/options.h"
#include "core/clock.h"
#include "milestonectl/commands.h"
#include "pipeline/investor_update_llm.h"
#include "pipeline/sleeper.h"

namespace ms::ctl {
namespace {

InvestorUpdate WithLlm(const Config& config, const std::string& company,
                       const std::vector<StoredEvent>& events) {
  auto client = llm::MakeLlmClient(app::LlmClientOptionsFrom(config));
  if (!client.ok()) {
    InvestorUpdate update = BuildInvestorUpdateOffline(company, events, config.llm.redact_pii);
    update.fallback_reason =
        std::string(LlmProviderName(config.llm.provider)) + ": " + client.status().message();
    return update;
  }
  SystemClock clock;
  InterruptibleSleeper sleeper;
  LlmCallDeps deps;
  deps.clock = &clock;
  deps.sleeper = &sleeper;
  LlmCallPolicy policy(client->get(), app::LlmCallOptionsFrom(config), std::move(deps));
  InvestorUpdateLlmOptions options;
  options.redact_pii = config.llm.redact_pii;
  options.max_retries = config.llm.max_retries;
  InvestorUpdateRun run = WriteInvestorUpdate(company, events, policy, options);
  if (run.llm_calls > 0) {
    std::cerr << "investor-email: " << run.llm_calls << " " << (*client)->provider() << " call(s), "
              << run.usage.prompt_tokens << " prompt + " << run.usage.completion_tokens
              << " completion tokens\n";
  }
  return run.update;
}

int InvestorEmail(const Config& config, const std::string& company, const std::string& format,
                  bool offline) {
  auto conn = pg::Connection::Open(app::PgOptionsFrom(config));
  if (!conn.ok()) {
    std::cerr << "investor-email: " << conn.status().message() << "\n";
    return 1;
  }
  auto events = pg::ListEvents(**conn, {company, "", "", /*open_only=*/true});
  if (!events.ok()) {
    std::cerr << "investor-email: " << events.status().message() << "\n";
    return 1;
  }
  bool llm = !offline && config.llm.provider != LlmProvider::kRules;
  InvestorUpdate update = llm ? WithLlm(config, company, *events)
                              : BuildInvestorUpdateOffline(company, *events, config.llm.redact_pii);
  if (!update.fallback_reason.empty()) {
    std::cerr << "investor-email: warning: the LLM could not write the update, used the offline "
                 "template instead: "
              << update.fallback_reason << "\n";
  }
  std::cerr << "investor-email: written by " << update.provider
            << (update.model.empty() ? "" : " (" + update.model + ")") << " from "
            << update.event_ids.size() << " of " << events->size() << " open events\n";
  std::string json = InvestorUpdateJson(update);
  auto saved = pg::SaveInvestorUpdate(**conn, update, json);
  if (!saved.ok()) {
    std::cerr << "investor-email: " << saved.status().message() << "\n";
    return 1;
  }
  std::cout << (format == "json" ? json : InvestorUpdateMarkdown(update)) << "\n";
  return 0;
}

}  // namespace

void RegisterInvestorEmail(CLI::App& cli, Registry& registry) {
  auto* mail = cli.add_subcommand(
      "investor-email",
      "Draft an investor update from open events (with the configured LLM provider)");
  auto company = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>("md");
  auto offline = std::make_shared<bool>(false);
  mail->add_option("--company", *company, "Company id")->required();
  mail->add_option("--format", *format, "md or json")
      ->check(CLI::IsMember({"md", "json"}))
      ->capture_default_str();
  mail->add_flag("--offline", *offline, "Use the offline template whatever llm.provider says");
  registry[mail] = [company, format, offline](const Config& config) {
    return InvestorEmail(config, *company, *format, *offline);
  };
}

}  // namespace ms::ctl
