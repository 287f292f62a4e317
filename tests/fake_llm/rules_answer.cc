#include "tests/fake_llm/rules_answer.h"

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "pipeline/extract/rules_extractor.h"

namespace ms::test {
namespace {

using nlohmann::json;

std::string Field(const json& node, std::initializer_list<json::json_pointer> paths) {
  for (const auto& path : paths) {
    if (node.contains(path) && node[path].is_string()) return node[path].get<std::string>();
  }
  return "";
}

// "YYYY-MM-DD", optionally followed by " HH:MM".
int64_t ParseUtcTime(const std::string& text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0;
  const int read = std::sscanf(text.c_str(), "%d-%d-%d %d:%d", &year, &month, &day, &hour, &minute);
  if (read != 3 && read != 5) return 0;
  using namespace std::chrono;
  year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                      std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return 0;
  auto at = sys_days(date) + hours(hour) + minutes(minute);
  return duration_cast<milliseconds>(at.time_since_epoch()).count();
}

// "3|s|ana|2024-05-01|We closed the round" → message id 3.
bool ParseLine(const std::string& line, BatchMessage* message) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (int field = 0; field < 4; ++field) {
    size_t bar = line.find('|', start);
    if (bar == std::string::npos) return false;
    fields.push_back(line.substr(start, bar - start));
    start = bar + 1;
  }
  char* end = nullptr;
  message->id = std::strtoll(fields[0].c_str(), &end, 10);
  if (fields[0].empty() || *end != '\0') return false;
  message->source = fields[1] == "g" ? Source::kGmail : Source::kSlack;
  message->sender = fields[2];
  message->sent_at_ms = ParseUtcTime(fields[3]);
  message->text = line.substr(start);
  return true;
}

ExtractionRequest ParsePrompt(std::string_view prompt) {
  ExtractionRequest request;
  std::string text(prompt);
  size_t company = text.find("Company: ");
  if (company != std::string::npos) {
    size_t eol = text.find('\n', company);
    request.company_id = text.substr(company + 9, eol - company - 9);
  }
  size_t open = text.find("<messages>\n");
  size_t close = text.find("</messages>", open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return request;
  size_t pos = open + 11;
  while (pos < close) {
    size_t eol = std::min(text.find('\n', pos), close);
    BatchMessage message;
    if (ParseLine(text.substr(pos, eol - pos), &message)) request.messages.push_back(message);
    pos = eol + 1;
  }
  return request;
}

json ToJson(const ExtractedEvent& event) {
  json metrics = json::array();
  for (const auto& [name, value] : event.metrics)
    metrics.push_back({{"name", name}, {"value", value}});
  return {{"company_id", event.company_id},
          {"type", event.type},
          {"title", event.title},
          {"description", event.description},
          {"impact", event.impact},
          {"metrics", metrics},
          {"timeline", event.timeline},
          {"severity", event.severity},
          {"stakeholders", event.stakeholders},
          {"sources", event.source_message_ids}};
}

// Sources are the prompt's line indexes: ParsePrompt numbers the messages by them.
json ToJson(const ExtractedObservation& observation) {
  return {{"metric", observation.metric},
          {"value", observation.value},
          {"unit", observation.unit},
          {"source", observation.source_message_id}};
}

}  // namespace

std::string UserPrompt(const RecordedRequest& request) {
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object()) return "";
  switch (request.wire) {
    case Wire::kOpenAi:
      return Field(body, {json::json_pointer("/messages/1/content"),
                          json::json_pointer("/messages/0/content")});
    case Wire::kGemini:
      return Field(body, {json::json_pointer("/contents/0/parts/0/text")});
    case Wire::kAnthropic:
      return Field(body, {json::json_pointer("/messages/0/content")});
  }
  return "";
}

std::string RulesAnswer(std::string_view user_prompt) {
  ExtractionRequest request = ParsePrompt(user_prompt);
  json events = json::array();
  json observations = json::array();
  if (!request.messages.empty()) {
    auto result = RulesExtractor(RulesExtractorOptions{/*prefilter=*/false}).Extract(request);
    if (result.ok()) {
      for (const ExtractedEvent& event : result->events) events.push_back(ToJson(event));
      for (const ExtractedObservation& observation : result->observations)
        observations.push_back(ToJson(observation));
    }
  }
  return json{{"events", events}, {"observations", observations}}.dump();
}

}  // namespace ms::test
