// ParseAnswer: the model's answer -> validated events and observations with message ids.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "pipeline/extract/prompt.h"
#include "pipeline/extract/prompt_text.h"
#include "pipeline/ledger/metric_vocab.h"
#include "pipeline/text/amount.h"
#include "pipeline/text/ascii.h"
#include "pipeline/text/utf8.h"

namespace ms {
namespace {

using nlohmann::json;

constexpr size_t kMaxTitleBytes = 300;

std::optional<std::string> ScalarText(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_number()) return FormatNumber(value.get<double>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return std::nullopt;
}

// A string field; absent or null reads as "", any other type is a violation.
bool ReadString(const json& event, const char* name, std::string* out) {
  auto found = event.find(name);
  if (found == event.end() || found->is_null()) return true;
  if (!found->is_string()) return false;
  *out = std::string(ascii::Trim(found->get<std::string>()));
  return true;
}

bool IsOneOf(const std::string& value, const auto& allowed) {
  return std::any_of(std::begin(allowed), std::end(allowed),
                     [&](const char* option) { return value == option; });
}

bool ReadMetrics(const json& event, ExtractedEvent* out) {
  auto found = event.find("metrics");
  if (found == event.end() || found->is_null()) return true;
  if (found->is_object()) {
    for (const auto& [name, value] : found->items()) {
      if (auto text = ScalarText(value)) out->metrics[name] = *text;
    }
    return true;
  }
  if (!found->is_array()) return false;
  for (const json& pair : *found) {
    if (!pair.is_object() || !pair.contains("name") || !pair["name"].is_string()) continue;
    auto text = pair.contains("value") ? ScalarText(pair["value"]) : std::nullopt;
    std::string name(ascii::Trim(pair["name"].get<std::string>()));
    if (text && !name.empty()) out->metrics[name] = *text;
  }
  return true;
}

bool ReadStakeholders(const json& event, ExtractedEvent* out) {
  auto found = event.find("stakeholders");
  if (found == event.end() || found->is_null()) return true;
  if (!found->is_array()) return false;
  for (const json& name : *found) {
    if (name.is_string() && !ascii::Trim(name.get<std::string>()).empty()) {
      out->stakeholders.emplace_back(ascii::Trim(name.get<std::string>()));
    }
  }
  return true;
}

// A number, or a string holding one ("12.5", "$262,000", "1.42m"); nullopt otherwise.
std::optional<double> NumberOf(const json& value) {
  if (value.is_number()) return value.get<double>();
  if (value.is_string()) return ParseAmount(value.get<std::string>());
  return std::nullopt;
}

// The message id of a prompt line index, or nullopt when `source` is not a valid index.
std::optional<int64_t> MessageIdOf(const json& source, const PreparedPrompt& prompt) {
  std::optional<double> index = NumberOf(source);
  // Range first: casting an out-of-range double to an integer is undefined.
  if (!index || !(*index >= 0) ||
      *index >= static_cast<double>(prompt.index_to_message_id.size()) ||
      std::floor(*index) != *index) {
    return std::nullopt;
  }
  return prompt.index_to_message_id[static_cast<size_t>(*index)];
}

// Valid indexes mapped to message ids, sorted and unique; false if there are none.
bool ReadSources(const json& event, const PreparedPrompt& prompt, ExtractedEvent* out) {
  auto found = event.find("sources");
  if (found == event.end() || !found->is_array()) return false;
  for (const json& source : *found) {
    if (auto id = MessageIdOf(source, prompt)) out->source_message_ids.push_back(*id);
  }
  auto& ids = out->source_message_ids;
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return !ids.empty();
}

// One element of "events": the event, or nullopt when it must be rejected.
std::optional<ExtractedEvent> ReadEvent(const json& item, const PreparedPrompt& prompt,
                                        const std::string& company_id) {
  ExtractedEvent event;
  bool shaped = ReadString(item, "company_id", &event.company_id) &&
                ReadString(item, "type", &event.type) && ReadString(item, "title", &event.title) &&
                ReadString(item, "description", &event.description) &&
                ReadString(item, "impact", &event.impact) &&
                ReadString(item, "timeline", &event.timeline) &&
                ReadString(item, "severity", &event.severity) && ReadMetrics(item, &event) &&
                ReadStakeholders(item, &event);
  if (!shaped) return std::nullopt;
  event.type = ascii::Lower(event.type);
  event.severity = ascii::Lower(event.severity);
  if (!event.company_id.empty() && event.company_id != company_id) return std::nullopt;
  event.company_id = company_id;
  if (!IsOneOf(event.type, kEventTypes) || !IsOneOf(event.severity, kSeverities)) {
    return std::nullopt;
  }
  if (event.title.empty()) return std::nullopt;
  if (event.title.size() > kMaxTitleBytes) {
    event.title.resize(utf8::Prefix(event.title, kMaxTitleBytes).size());
  }
  if (!ReadSources(item, prompt, &event)) return std::nullopt;
  return event;
}

// One element of "observations": the observation, or nullopt when it must be rejected.
std::optional<ExtractedObservation> ReadObservation(const json& item,
                                                    const PreparedPrompt& prompt) {
  auto metric = item.find("metric");
  if (metric == item.end() || !metric->is_string()) return std::nullopt;
  const KpiMetricSpec* spec = FindMetric(ascii::Lower(ascii::Trim(metric->get<std::string>())));
  if (spec == nullptr) return std::nullopt;
  auto value = item.find("value");
  std::optional<double> number = value == item.end() ? std::nullopt : NumberOf(*value);
  if (!number || !std::isfinite(*number) || *number < 0) return std::nullopt;
  auto source = item.find("source");
  std::optional<int64_t> message_id =
      source == item.end() ? std::nullopt : MessageIdOf(*source, prompt);
  if (!message_id) return std::nullopt;
  auto unit = item.find("unit");
  std::string unit_text = unit != item.end() && unit->is_string() ? unit->get<std::string>() : "";
  return ExtractedObservation{std::string(spec->name), *number, NormalizeUnit(*spec, unit_text),
                              *message_id};
}

Status ParseEventList(const json& list, const PreparedPrompt& prompt, const std::string& company_id,
                      ParsedAnswer* out) {
  for (const json& item : list) {
    if (!item.is_object()) return InvalidArgument("an element of \"events\" is not an object");
    if (auto event = ReadEvent(item, prompt, company_id)) {
      out->events.push_back(std::move(*event));
    } else {
      ++out->rejected_events;
    }
  }
  return Status::Ok();
}

// Keeps the first observation of each (metric, message); a later one is dropped, uncounted.
Status ParseObservationList(const json& list, const PreparedPrompt& prompt, ParsedAnswer* out) {
  std::set<std::pair<std::string, int64_t>> seen;
  for (const json& item : list) {
    if (!item.is_object()) {
      return InvalidArgument("an element of \"observations\" is not an object");
    }
    auto observation = ReadObservation(item, prompt);
    if (!observation) {
      ++out->rejected_observations;
    } else if (seen.emplace(observation->metric, observation->source_message_id).second) {
      out->observations.push_back(std::move(*observation));
    }
  }
  return Status::Ok();
}

}  // namespace

StatusOr<ParsedAnswer> ParseAnswer(std::string_view answer, const PreparedPrompt& prompt,
                                   const std::string& company_id) {
  std::string_view body = prompt_text::StripFence(answer);
  json document = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) {
    return InvalidArgument("answer is not valid JSON (malformed or truncated)");
  }
  if (!document.is_object() || !document.contains("events") || !document["events"].is_array()) {
    return InvalidArgument("answer is not an object with an \"events\" array");
  }
  ParsedAnswer parsed;
  MS_RETURN_IF_ERROR(ParseEventList(document["events"], prompt, company_id, &parsed));
  auto observations = document.find("observations");
  if (observations == document.end() || observations->is_null()) return parsed;
  if (!observations->is_array()) {
    return InvalidArgument("\"observations\" in the answer is not an array");
  }
  MS_RETURN_IF_ERROR(ParseObservationList(*observations, prompt, &parsed));
  return parsed;
}

}  // namespace ms
