// milestonectl investor-email: a one-page investor update for a period (design §5) — by
// default from the end of the company's previous update (else 30 days before its latest
// message) to its latest message — from the period's digest (pipeline/investor/investor_update.h),
// written by the configured LLM provider, or by the offline template when the provider is
// `rules`, --offline is given, or the provider cannot deliver (a warning on stderr names the
// reason). The update is stored in investor_updates with the ids of the events it used, its
// period and the provider that wrote it, then printed as Markdown, text, HTML or JSON.
#include <iostream>
#include <utility>

#include "adapters/llm/llm_client_factory.h"
#include "adapters/postgres/ledger_queries.h"
#include "app/options.h"
#include "core/clock.h"
#include "core/sleeper.h"
#include "milestonectl/commands.h"
#include "pipeline/investor/investor_update_llm.h"

namespace ms::ctl {
namespace {

InvestorUpdate WithLlm(const Config& config, const UpdateDigest& digest) {
  auto client = llm::MakeLlmClient(app::LlmClientOptionsFrom(config));
  if (!client.ok()) {
    InvestorUpdate update = BuildInvestorUpdateOffline(digest);
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
  InvestorUpdateRun run = WriteInvestorUpdate(digest, policy, options);
  if (run.llm_calls > 0) {
    std::cerr << "investor-email: " << run.llm_calls << " " << (*client)->provider() << " call(s), "
              << run.usage.prompt_tokens << " prompt + " << run.usage.completion_tokens
              << " completion tokens\n";
  }
  return run.update;
}

struct EmailRequest {
  std::string company;
  std::string format = "md";
  std::string since;
  std::string until;
  bool offline = false;
};

std::string Render(const InvestorUpdate& update, const std::string& format,
                   const std::string& json) {
  if (format == "json") return json;
  if (format == "text") return InvestorUpdateText(update);
  if (format == "html") return InvestorUpdateHtml(update);
  return InvestorUpdateMarkdown(update);
}

int Fail(const Status& status) {
  std::cerr << "investor-email: " << status.message() << "\n";
  return kExitFailed;
}

int InvestorEmail(const Config& config, const EmailRequest& req) {
  auto conn = pg::Connection::Open(app::PgOptionsFrom(config));
  if (!conn.ok()) return Fail(conn.status());
  auto period = pg::UpdatePeriod(**conn, req.company, req.since, req.until);
  if (!period.ok()) return Fail(period.status());
  auto digest = pg::LoadDigest(**conn, req.company, *period, config.llm.redact_pii);
  if (!digest.ok()) return Fail(digest.status());
  bool llm = !req.offline && config.llm.provider != LlmProvider::kRules;
  InvestorUpdate update = llm ? WithLlm(config, *digest) : BuildInvestorUpdateOffline(*digest);
  if (!update.fallback_reason.empty()) {
    std::cerr << "investor-email: warning: the LLM could not write the update, used the offline "
                 "template instead: "
              << update.fallback_reason << "\n";
  }
  std::cerr << "investor-email: " << req.company << " from " << period->start << " to "
            << period->end << ", written by " << update.provider
            << (update.model.empty() ? "" : " (" + update.model + ")") << " from "
            << update.event_ids.size() << " events, " << CountWords(update.body) << " words\n";
  std::string json = InvestorUpdateJson(update);
  auto saved = pg::SaveInvestorUpdate(**conn, update, json);
  if (!saved.ok()) return Fail(saved.status());
  std::cout << Render(update, req.format, json) << "\n";
  return kExitOk;
}

}  // namespace

void RegisterInvestorEmail(CLI::App& cli, Registry& registry) {
  auto* mail = cli.add_subcommand(
      "investor-email",
      "Draft a one-page investor update for a period (with the configured LLM provider)");
  auto req = std::make_shared<EmailRequest>();
  mail->add_option("--company", req->company, "Company id")->required();
  mail->add_option("--format", req->format, "md, text, html or json")
      ->check(CLI::IsMember({"md", "text", "html", "json"}))
      ->capture_default_str();
  mail->add_option("--since", req->since,
                   "Period start (e.g. 2025-11-01; default: the end of the previous update, "
                   "else 30 days before the latest message)");
  mail->add_option("--until", req->until,
                   "Period end, excluded (default: just after the latest message)");
  mail->add_flag("--offline", req->offline, "Use the offline template whatever llm.provider says");
  registry[mail] = [req](const Config& config) { return InvestorEmail(config, *req); };
}

}  // namespace ms::ctl
