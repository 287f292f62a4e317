// Investor updates from a company's open events (design §5): subject, body, highlights and a
// metrics summary. The offline template is used when the provider is `rules`.
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
  std::vector<int64_t> event_ids;
  std::string provider = "template";
};

// Orders events by severity then recency; highlights are the high-severity ones (at most 5,
// else the top 3), metrics are the latest value of each metric across events.
InvestorUpdate BuildInvestorUpdateOffline(const std::string& company_id,
                                          const std::vector<StoredEvent>& events);

std::string InvestorUpdateMarkdown(const InvestorUpdate& update);
std::string InvestorUpdateJson(const InvestorUpdate& update);

}  // namespace ms
