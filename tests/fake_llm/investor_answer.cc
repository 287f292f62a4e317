#include "tests/fake_llm/investor_answer.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "pipeline/investor_update.h"

namespace ms::test {
namespace {

using nlohmann::json;

constexpr std::string_view kOpen = "<events>\n";
constexpr std::string_view kClose = "</events>";

StoredEvent FromLine(const json& line) {
  StoredEvent event;
  event.id = line.value("i", 0);
  event.type = line.value("type", "other");
  event.severity = line.value("severity", "low");
  event.last_seen = line.value("last_seen", "");
  event.sightings = line.value("sightings", 1);
  event.title = line.value("title", "");
  event.description = line.value("description", "");
  event.impact = line.value("impact", "");
  event.timeline = line.value("timeline", "");
  auto metrics = line.find("metrics");
  if (metrics != line.end() && metrics->is_object()) {
    for (const auto& [name, value] : metrics->items()) {
      if (value.is_string()) event.metrics[name] = value.get<std::string>();
    }
  }
  return event;
}

}  // namespace

bool IsInvestorUpdatePrompt(std::string_view user_prompt) {
  return user_prompt.find(kOpen) != std::string_view::npos;
}

std::string InvestorUpdateAnswer(std::string_view user_prompt) {
  std::string text(user_prompt);
  std::string company;
  if (size_t at = text.find("Company: "); at != std::string::npos) {
    company = text.substr(at + 9, text.find('\n', at) - at - 9);
  }
  std::vector<StoredEvent> events;
  size_t open = text.find(kOpen);
  size_t close = open == std::string::npos ? open : text.find(kClose, open);
  for (size_t pos = open + kOpen.size(); open != std::string::npos && pos < close;) {
    size_t eol = std::min(text.find('\n', pos), close);
    json line = json::parse(text.substr(pos, eol - pos), nullptr, /*allow_exceptions=*/false);
    if (line.is_object()) events.push_back(FromLine(line));
    pos = eol + 1;
  }
  InvestorUpdate update = BuildInvestorUpdateOffline(company, events);
  json metrics = json::array();
  for (const auto& [label, value] : update.metrics) {
    metrics.push_back({{"label", label}, {"value", value}});
  }
  return json{{"subject", update.subject},
              {"body", update.body},
              {"highlights", update.highlights},
              {"metrics", metrics}}
      .dump();
}

}  // namespace ms::test
