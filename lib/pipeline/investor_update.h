// Investor updates from a company's open events (design §5): subject, body, highlights and a
// metrics summary. The offline template below is used when the provider is `rules`, and as the
// fallback of the LLM-written update (investor_update_llm.h).
#pragma once

#include <string>
#include <vector>

#include "ports/ledger.h"

namespace ms {

struct InvestorUpdate {
  std::string company_id;
  std::string subject;
  std::string body;  // markdown
  std::vector<std::string> highlights;
  std::vector<std::pair<std::string, std::string>> metrics;  // label, value
  std::vector<int64_t> event_ids;     // the events the update was written from
  std::string provider = "template";  // "template", or the LLM provider that wrote it
  std::string model;                  // the LLM's model; empty for the template
  // Why the template was used although an LLM provider is configured (the provider failed or
  // answered unusably); empty otherwise.
  std::string fallback_reason;
};

// The events most relevant to investors first: by severity (high, medium, low), then most
// recently seen; stable otherwise. Pointers into `events`.
std::vector<const StoredEvent*> OrderForUpdate(const std::vector<StoredEvent>& events);

// Orders events with OrderForUpdate; highlights are the high-severity ones (at most 5,
// else the top 3).
//
// Metrics summary: one row per event type, taken from the most recently seen event of that
// type that carries metrics, each labelled "<Type>: <metric>" ("Funding: amount_usd",
// "Enterprise deal: acv_usd"). A row never mixes events: the same metric name in two event
// types stays two rows, and a type's rows all come from one event (a Series A's amount never
// sits next to the seed round's lead investor).
//
// With `redact_pii` (llm.redact_pii, on by default) every title, description and metric value
// (except plain numbers such as "2500000000", which are figures) passes through Redact() first,
// as it would on the way to an LLM: the update goes to people outside the company, and the rules
// extractor copies message text into events verbatim.
InvestorUpdate BuildInvestorUpdateOffline(const std::string& company_id,
                                          const std::vector<StoredEvent>& events,
                                          bool redact_pii = true);

std::string InvestorUpdateMarkdown(const InvestorUpdate& update);
// {company_id, subject, body, highlights, metrics: {label: value}, event_ids, provider, model,
// fallback_reason}; what investor_updates.content stores.
std::string InvestorUpdateJson(const InvestorUpdate& update);

}  // namespace ms
