#include "pipeline/ledger/record.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "pipeline/ledger/fingerprint.h"
#include "pipeline/text/utf8.h"

namespace ms {
namespace {

int SeverityRank(const std::string& severity) {
  return severity == "high" ? 2 : severity == "medium" ? 1 : 0;
}

void MergeInto(ExtractedEvent& into, ExtractedEvent&& other) {
  for (auto& [k, v] : other.metrics) into.metrics[k] = std::move(v);
  for (int64_t id : other.source_message_ids) {
    if (std::find(into.source_message_ids.begin(), into.source_message_ids.end(), id) ==
        into.source_message_ids.end()) {
      into.source_message_ids.push_back(id);
    }
  }
  for (auto& s : other.stakeholders) {
    if (std::find(into.stakeholders.begin(), into.stakeholders.end(), s) ==
        into.stakeholders.end()) {
      into.stakeholders.push_back(std::move(s));
    }
  }
  if (SeverityRank(other.severity) > SeverityRank(into.severity)) into.severity = other.severity;
  if (other.description.size() > into.description.size()) into.description = other.description;
}

}  // namespace

std::vector<std::string> MergeByFingerprint(const std::string& company_id,
                                            std::vector<ExtractedEvent>* events) {
  std::vector<ExtractedEvent> merged;
  std::vector<std::string> fingerprints;
  std::unordered_map<std::string, size_t> index;
  for (ExtractedEvent& e : *events) {
    std::string fp = EventFingerprint(company_id, e);
    auto [it, inserted] = index.emplace(fp, merged.size());
    if (inserted) {
      merged.push_back(std::move(e));
      fingerprints.push_back(std::move(fp));
    } else {
      MergeInto(merged[it->second], std::move(e));
    }
  }
  *events = std::move(merged);
  return fingerprints;
}

int CleanForStore(ExtractionResult* result) {
  int changed = 0;
  auto clean = [&](std::string& text) {
    std::string cleaned = utf8::Clean(text);
    if (cleaned == text) return;
    text = std::move(cleaned);
    ++changed;
  };
  for (ExtractedEvent& e : result->events) {
    for (std::string* field :
         {&e.company_id, &e.type, &e.title, &e.description, &e.impact, &e.timeline, &e.severity}) {
      clean(*field);
    }
    std::map<std::string, std::string> metrics;
    for (const auto& [stored_key, stored_value] : e.metrics) {
      std::string key = stored_key, value = stored_value;
      clean(key);
      clean(value);
      metrics[std::move(key)] = std::move(value);
    }
    e.metrics = std::move(metrics);
    for (std::string& name : e.stakeholders) clean(name);
  }
  for (ExtractedObservation& o : result->observations) {
    clean(o.metric);
    clean(o.unit);
  }
  for (std::string* field : {&result->provider, &result->model, &result->requested_model}) {
    clean(*field);
  }
  return changed;
}

double EstimateCostUsd(const TokenUsage& usage, double input_per_mtok, double output_per_mtok,
                       double cached_input_per_mtok) {
  const int64_t plain_input = std::max<int64_t>(
      0, usage.prompt_tokens - usage.cached_prompt_tokens - usage.cache_write_tokens);
  return (static_cast<double>(plain_input) * input_per_mtok +
          static_cast<double>(usage.cached_prompt_tokens) * cached_input_per_mtok +
          static_cast<double>(usage.cache_write_tokens) * kCacheWritePriceFactor * input_per_mtok +
          static_cast<double>(usage.completion_tokens) * output_per_mtok) /
         1e6;
}

}  // namespace ms
