// What the LLM-written investor update costs in prompt tokens: the period's digest as its input
// (what milestoned sends) against the period's events as JSON lines (an event-dump input: every
// event of the period, most significant first, with its description and metrics), tokens
// estimated as bytes / 4, system prompt and schema included. The ledger is built offline: the
// rules extractor over the data set in batches of 200 per company, events merged by
// fingerprint, their time the earliest source message's; the period is the 30 days up to each
// company's latest message, as milestonectl investor-email picks by default.
//
//   build/bench/update_bench [csv]      (default: ../shared/data/scaleflow_full.csv)
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "pipeline/extract/rules_extractor.h"
#include "pipeline/generator/producer_payload.h"
#include "pipeline/investor/investor_update_llm.h"
#include "pipeline/ledger/fingerprint.h"
#include "pipeline/ledger/milestones.h"
#include "pipeline/ledger/significance.h"

namespace ms {
namespace {

struct Company {
  std::vector<BatchMessage> messages;
  std::vector<StoredEvent> events;
  std::vector<StoredObservation> observations;
};

std::map<std::string, Company> Load(const std::string& path) {
  std::ifstream in(path);
  std::map<std::string, Company> out;
  int64_t id = 0;
  for (const CsvRow& row : ReadCsvRows(in)) {
    const std::string company = row.company_id.empty() ? "scaleflow" : row.company_id;
    out[company].messages.push_back(ToBatchMessage(row, ++id));
  }
  return out;
}

std::string IsoTime(int64_t ms) {
  return IsoDate(ms) + "T00:00:00Z";
}

// The company's ledger as the store would hold it (fingerprint merge, earliest time).
void BuildLedger(const std::string& name, Company* company) {
  std::map<int64_t, int64_t> sent;
  for (const BatchMessage& m : company->messages) sent[m.id] = m.sent_at_ms;
  std::map<std::string, size_t> by_fingerprint;
  for (size_t at = 0; at < company->messages.size(); at += 200) {
    ExtractionRequest request{static_cast<int64_t>(at), name, {}};
    request.messages.assign(company->messages.begin() + static_cast<long>(at),
                            company->messages.begin() +
                                static_cast<long>(std::min(company->messages.size(), at + 200)));
    auto result = RulesExtractor().Extract(request);
    if (!result.ok()) continue;
    for (const ExtractedObservation& o : result->observations) {
      company->observations.push_back(
          {o.metric, o.value, o.unit, IsoTime(sent[o.source_message_id]), o.source_message_id});
    }
    for (const ExtractedEvent& e : result->events) {
      auto [slot, fresh] =
          by_fingerprint.emplace(EventFingerprint(name, e), company->events.size());
      if (!fresh) {
        company->events[slot->second].sightings++;
        continue;
      }
      StoredEvent stored;
      stored.id = static_cast<int64_t>(company->events.size() + 1);
      stored.company_id = name;
      stored.type = e.type;
      stored.title = e.title;
      stored.description = e.description;
      stored.severity = e.severity;
      stored.state = "open";
      stored.timeline = e.timeline;
      stored.metrics = e.metrics;
      stored.occurred_at = IsoTime(sent[e.source_message_ids.front()]);
      company->events.push_back(std::move(stored));
    }
  }
  ScoreEvents(&company->events);
}

// The event-dump input: the system prompt and schema, then one JSON line per event.
size_t EventDumpBytes(const std::vector<StoredEvent>& events, const DigestPeriod& period) {
  size_t bytes = InvestorUpdateSystemPrompt().size() + InvestorUpdateSchemaJson().size();
  std::vector<const StoredEvent*> sorted;
  for (const StoredEvent& e : events) {
    if (e.occurred_at >= period.start && e.occurred_at < period.end) sorted.push_back(&e);
  }
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const StoredEvent* a, const StoredEvent* b) { return a->score > b->score; });
  for (const StoredEvent* e : sorted) {
    nlohmann::json line = {{"type", e->type},
                           {"severity", e->severity},
                           {"occurred_at", e->occurred_at.substr(0, 10)},
                           {"title", e->title},
                           {"description", e->description},
                           {"metrics", e->metrics}};
    bytes += line.dump().size() + 1;
  }
  return bytes;
}

}  // namespace
}  // namespace ms

int main(int argc, char** argv) {
  using namespace ms;
  std::string path =
      argc > 1 ? argv[1] : std::string(MS_SOURCE_DIR) + "/../shared/data/scaleflow_full.csv";
  auto companies = Load(path);
  if (companies.empty()) {
    fprintf(stderr, "update_bench: no messages read from %s\n", path.c_str());
    return 1;
  }
  printf("update_bench: %s, %zu companies\n", path.c_str(), companies.size());
  for (auto& [name, company] : companies) {
    BuildLedger(name, &company);
    int64_t latest = 0;
    for (const BatchMessage& m : company.messages) latest = std::max(latest, m.sent_at_ms);
    const DigestPeriod period{IsoTime(latest - 29LL * 86400 * 1000), IsoTime(latest + 86400000)};
    UpdateDigest digest = BuildDigest(name, company.events, company.observations, period);
    InvestorUpdatePrompt prompt = BuildInvestorUpdatePrompt(digest, {});
    const size_t digest_bytes = prompt.request.system.size() + prompt.request.user.size() +
                                prompt.request.schema_json.size();
    const size_t dump_bytes = EventDumpBytes(company.events, period);
    printf(
        "  %-10s %4zu messages, %3zu events, %4zu observations: digest %6zu tokens, "
        "event dump %6zu tokens (%.2fx); template %d words\n",
        name.c_str(), company.messages.size(), company.events.size(), company.observations.size(),
        digest_bytes / 4, dump_bytes / 4,
        static_cast<double>(digest_bytes) / static_cast<double>(dump_bytes),
        CountWords(BuildInvestorUpdateOffline(digest).body));
  }
  return 0;
}
