#include "pipeline/extract/rules_extractor.h"

#include <algorithm>
#include <exception>
#include <iterator>
#include <map>
#include <string_view>

#include "pipeline/extract/prefilter.h"
#include "pipeline/extract/rules_detectors.h"
#include "pipeline/ledger/fingerprint.h"

namespace ms {
namespace {

using rules::Detection;
using rules::MessageView;

// Funding precedes investor_interest: a message that closes a round is not also "interest".
constexpr Detection (*kDetectors[])(const MessageView&) = {
    rules::DetectFunding,         rules::DetectInvestorInterest,
    rules::DetectEnterpriseDeal,  rules::DetectHiring,
    rules::DetectCompliance,      rules::DetectProductLaunch,
    rules::DetectPartnership,     rules::DetectMediaCoverage,
    rules::DetectMarketExpansion, rules::DetectTechnicalAchievement,
    rules::DetectCustomerSuccess, rules::DetectOther};

int SeverityRank(const std::string& severity) {
  return severity == "high" ? 2 : (severity == "medium" ? 1 : 0);
}

template <typename T>
void UnionInto(std::vector<T>* into, const std::vector<T>& from) {
  into->insert(into->end(), from.begin(), from.end());
  std::sort(into->begin(), into->end());
  into->erase(std::unique(into->begin(), into->end()), into->end());
}

// A round's stages in order: a later stage seen in the same batch describes the round now.
int StageRank(const ExtractedEvent& event) {
  auto stage = event.metrics.find("stage");
  if (stage == event.metrics.end()) return 0;
  constexpr std::string_view kStages[] = {"term_sheet_received", "term_sheet_signed", "closed"};
  for (size_t idx = 0; idx < std::size(kStages); ++idx) {
    if (stage->second == kStages[idx]) return static_cast<int>(idx) + 1;
  }
  return 0;
}

void Merge(ExtractedEvent* into, ExtractedEvent&& from) {
  const bool later = StageRank(from) > StageRank(*into) ||
                     (StageRank(from) == StageRank(*into) &&
                      SeverityRank(from.severity) > SeverityRank(into->severity));
  if (later) {
    std::swap(into->title, from.title);
    std::swap(into->description, from.description);
    std::swap(into->timeline, from.timeline);
    for (auto& [name, value] : from.metrics) into->metrics[name].swap(value);
  }
  UnionInto(&into->source_message_ids, from.source_message_ids);
  for (std::string& name : from.stakeholders) {
    if (std::find(into->stakeholders.begin(), into->stakeholders.end(), name) ==
        into->stakeholders.end()) {
      into->stakeholders.push_back(std::move(name));
    }
  }
  if (SeverityRank(from.severity) > SeverityRank(into->severity)) into->severity = from.severity;
  for (auto& [name, value] : from.metrics) into->metrics.emplace(name, std::move(value));
}

// The slot of an event already found that reports the same fact as `event` (SameFact), or end.
std::map<std::string, size_t>::iterator FindSameFact(const std::vector<ExtractedEvent>& found,
                                                     const ExtractedEvent& event,
                                                     std::map<std::string, size_t>* slots) {
  for (auto it = slots->begin(); it != slots->end(); ++it) {
    const ExtractedEvent& other = found[it->second];
    if (other.type == event.type &&
        SameFact(event.type, {other.metrics, other.title}, {event.metrics, event.title})) {
      return it;
    }
  }
  return slots->end();
}

ExtractionResult RunRules(const ExtractionRequest& request, bool prefilter) {
  ExtractionResult result;
  result.provider = "rules";
  result.mode = "rules";
  result.model = "rules-v1";
  std::map<std::string, size_t> by_fingerprint;
  for (const BatchMessage& message : request.messages) {
    if (prefilter && !PrefilterKeeps(message)) {
      ++result.dropped_by_prefilter;
      continue;
    }
    for (ExtractedObservation& observation : ExtractMessageObservations(message)) {
      result.observations.push_back(std::move(observation));
    }
    for (ExtractedEvent& event : ExtractMessageEvents(request.company_id, message)) {
      std::string fingerprint = EventFingerprint(request.company_id, event);
      auto slot = by_fingerprint.find(fingerprint);
      if (slot == by_fingerprint.end()) slot = FindSameFact(result.events, event, &by_fingerprint);
      if (slot == by_fingerprint.end()) {
        by_fingerprint.emplace(fingerprint, result.events.size());
        result.events.push_back(std::move(event));
      } else {
        by_fingerprint.emplace(fingerprint, slot->second);
        Merge(&result.events[slot->second], std::move(event));
      }
    }
  }
  return result;
}

}  // namespace

std::vector<ExtractedEvent> ExtractMessageEvents(const std::string& company_id,
                                                 const BatchMessage& message) {
  MessageView view = rules::MakeView(message);
  view.company_key = rules::NameKey(company_id);
  std::vector<ExtractedEvent> events;
  if (rules::IsInjection(view) || rules::IsUnreal(view)) return events;
  bool funding = false;
  for (auto* detect : kDetectors) {
    Detection event = detect(view);
    if (!event || (funding && event->type == "investor_interest")) continue;
    funding = funding || event->type == "funding";
    event->company_id = company_id;
    event->source_message_ids = {message.id};
    events.push_back(std::move(*event));
  }
  return events;
}

std::vector<ExtractedObservation> ExtractMessageObservations(const BatchMessage& message) {
  std::vector<ExtractedObservation> observations =
      rules::DetectObservations(rules::MakeView(message));
  for (ExtractedObservation& observation : observations) observation.source_message_id = message.id;
  return observations;
}

Status RulesExtractor::ExtractInto(const ExtractionRequest& request, ExtractionResult* out) {
  try {
    *out = RunRules(request, options_.prefilter);
    return Status::Ok();
  } catch (const std::exception& error) {
    out->provider = "rules";
    out->mode = "rules";
    return Internal(std::string("rules extractor: ") + error.what());
  }
}

}  // namespace ms
