// Quality of the offline rules extractor and the prefilter on the labelled development set
// (shared/data/realistic_dev): per-message signal precision and recall, type accuracy on true
// positives, no output from hard negatives, and a prefilter that keeps every signal row. Also
// prints what the extractor finds in the reference set (scaleflow_full.csv, unlabelled).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "pipeline/extract/prefilter.h"
#include "pipeline/extract/rules_extractor.h"
#include "pipeline/extract/tiered_extractor.h"
#include "pipeline/generator/producer_payload.h"
#include "pipeline/ledger/metric_vocab.h"

namespace ms {
namespace {

const std::string kDevDir = std::string(MS_SHARED_DATA_DIR) + "/realistic_dev";

struct LabelledMessage {
  BatchMessage message;
  std::string company_id;
  bool signal = false;
  std::set<std::string> types;
  std::string note;
};

// messages.csv joined with gold.jsonl by row order; empty when the files are absent.
std::vector<LabelledMessage> LoadDevSet() {
  std::ifstream csv(kDevDir + "/messages.csv");
  std::ifstream gold(kDevDir + "/gold.jsonl");
  std::vector<LabelledMessage> out;
  if (!csv || !gold) return out;
  std::vector<CsvRow> rows = ReadCsvRows(csv);
  std::string line;
  for (const CsvRow& row : rows) {
    if (!std::getline(gold, line)) break;
    nlohmann::json label = nlohmann::json::parse(line);
    LabelledMessage labelled;
    labelled.message = ToBatchMessage(row, std::stoll(row.id));
    labelled.company_id = row.company_id;
    labelled.signal = label.at("signal").get<bool>();
    if (label["types"].is_array()) {
      for (const auto& type : label["types"]) labelled.types.insert(type.get<std::string>());
    }
    if (label["note"].is_string()) labelled.note = label["note"].get<std::string>();
    out.push_back(std::move(labelled));
  }
  return out;
}

// Types the extractor assigned to each message id: event types, and for observations the event
// type of their metric's series.
using Predictions = std::map<int64_t, std::set<std::string>>;

void Collect(const ExtractionResult& result, Predictions* predictions) {
  for (const ExtractedEvent& event : result.events) {
    for (int64_t id : event.source_message_ids) (*predictions)[id].insert(event.type);
  }
  for (const ExtractedObservation& observation : result.observations) {
    const KpiMetricSpec* spec = FindMetric(observation.metric);
    (*predictions)[observation.source_message_id].insert(
        spec ? std::string(spec->event_type) : "observation:" + observation.metric);
  }
}

// With MS_RULES_QUALITY_VERBOSE set, every event and observation is printed.
void PrintResult(const ExtractionResult& result) {
  if (std::getenv("MS_RULES_QUALITY_VERBOSE") == nullptr) return;
  for (const ExtractedEvent& event : result.events) {
    std::string ids;
    for (int64_t id : event.source_message_ids) ids += std::to_string(id) + " ";
    std::string metrics;
    for (const auto& [name, value] : event.metrics) metrics += name + "=" + value + " ";
    std::printf("    event [%s] %s %s | %s | %s\n", ids.c_str(), event.type.c_str(),
                event.severity.c_str(), event.title.c_str(), metrics.c_str());
  }
  for (const ExtractedObservation& observation : result.observations) {
    std::printf("    observation [%lld] %s = %.2f %s\n", (long long)observation.source_message_id,
                observation.metric.c_str(), observation.value, observation.unit.c_str());
  }
}

// One batch per company, as the daemon would claim them, with the prefilter on.
Predictions RunPerCompany(const std::vector<LabelledMessage>& messages) {
  std::map<std::string, ExtractionRequest> requests;
  for (const LabelledMessage& labelled : messages) {
    ExtractionRequest& request = requests[labelled.company_id];
    request.company_id = labelled.company_id;
    request.messages.push_back(labelled.message);
  }
  Predictions predictions;
  RulesExtractor extractor;
  for (const auto& [company, request] : requests) {
    auto result = extractor.Extract(request);
    EXPECT_TRUE(result.ok()) << company;
    if (!result.ok()) continue;
    PrintResult(*result);
    Collect(*result, &predictions);
  }
  return predictions;
}

std::string Join(const std::set<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ",") + item;
  return out.empty() ? "-" : out;
}

struct Scores {
  int tp = 0, fp = 0, fn = 0, tn = 0;
  int type_overlap = 0, type_exact = 0;
  double precision() const { return tp + fp == 0 ? 1.0 : double(tp) / (tp + fp); }
  double recall() const { return tp + fn == 0 ? 1.0 : double(tp) / (tp + fn); }
};

Scores Score(const std::vector<LabelledMessage>& messages, const Predictions& predictions) {
  Scores scores;
  for (const LabelledMessage& labelled : messages) {
    auto found = predictions.find(labelled.message.id);
    bool predicted = found != predictions.end() && !found->second.empty();
    std::set<std::string> types = predicted ? found->second : std::set<std::string>{};
    if (predicted && labelled.signal) {
      ++scores.tp;
      bool overlap = false;
      for (const std::string& type : types) overlap = overlap || labelled.types.count(type);
      scores.type_overlap += overlap ? 1 : 0;
      scores.type_exact += types == labelled.types ? 1 : 0;
      if (!overlap) {
        std::printf("  type  id %-4lld gold %-30s got %s\n", (long long)labelled.message.id,
                    Join(labelled.types).c_str(), Join(types).c_str());
      }
    } else if (predicted) {
      ++scores.fp;
      std::printf("  FP    id %-4lld got %-32s | %.90s\n", (long long)labelled.message.id,
                  Join(types).c_str(), labelled.message.text.c_str());
    } else if (labelled.signal) {
      ++scores.fn;
      std::printf("  FN    id %-4lld gold %-31s | %.90s\n", (long long)labelled.message.id,
                  Join(labelled.types).c_str(), labelled.message.text.c_str());
    } else {
      ++scores.tn;
    }
  }
  return scores;
}

TEST(RulesQuality, SignalPrecisionRecallOnRealisticDev) {
  std::vector<LabelledMessage> messages = LoadDevSet();
  if (messages.empty()) GTEST_SKIP() << "realistic_dev not present in " << kDevDir;
  ASSERT_EQ(messages.size(), 219u);
  Scores scores = Score(messages, RunPerCompany(messages));
  std::printf(
      "realistic_dev: precision %.3f recall %.3f (tp %d fp %d fn %d tn %d); type accuracy on "
      "true positives: %.3f any-overlap, %.3f exact set\n",
      scores.precision(), scores.recall(), scores.tp, scores.fp, scores.fn, scores.tn,
      scores.tp ? double(scores.type_overlap) / scores.tp : 0.0,
      scores.tp ? double(scores.type_exact) / scores.tp : 0.0);
  EXPECT_GE(scores.precision(), 0.90);
  EXPECT_GE(scores.recall(), 0.75);
}

// Negations, hypotheticals, drafts and mock figures, forecasts and plans, stale figures,
// rumours, jokes, lost deals, approvals and verbal yeses before signature, conditional offers,
// indicative terms, closing timetables, certification recommendations, and prompt injections
// with the chat about them.
constexpr int64_t kHardNegatives[] = {
    6,   7,   10,  24,  28,  30,  35,  42,  45,  49,  50,  59,  60,  61,  62,  69,  72,
    76,  81,  83,  85,  86,  87,  89,  91,  92,  97,  110, 112, 113, 118, 121, 124, 130,
    136, 143, 147, 150, 160, 164, 174, 179, 181, 196, 197, 198, 202, 208, 211, 212};

TEST(RulesQuality, HardNegativesYieldNothing) {
  std::vector<LabelledMessage> messages = LoadDevSet();
  if (messages.empty()) GTEST_SKIP() << "realistic_dev not present in " << kDevDir;
  std::map<int64_t, const LabelledMessage*> by_id;
  for (const LabelledMessage& labelled : messages) by_id[labelled.message.id] = &labelled;
  Predictions predictions = RunPerCompany(messages);
  for (int64_t id : kHardNegatives) {
    ASSERT_TRUE(by_id.count(id));
    EXPECT_FALSE(by_id[id]->signal) << id;
    auto found = predictions.find(id);
    EXPECT_TRUE(found == predictions.end() || found->second.empty())
        << "id " << id << " yields " << Join(found->second) << ": " << by_id[id]->note;
  }
}

struct PrefilterStats {
  int kept_signal = 0, signal = 0, dropped = 0, dropped_negative = 0, total = 0;
};

PrefilterStats RunPrefilter(const std::vector<LabelledMessage>& messages) {
  PrefilterStats stats;
  for (const LabelledMessage& labelled : messages) {
    bool kept = PrefilterKeeps(labelled.message);
    if (kept && !labelled.signal && std::getenv("MS_RULES_QUALITY_VERBOSE") != nullptr) {
      std::printf(
          "  kept negative id %-4lld %s | %.90s\n", (long long)labelled.message.id,
          Keeps(ClassifyMessage("", labelled.message.text)) && HasSignal(labelled.message.text)
              ? "signal"
              : "unsure",
          labelled.message.text.c_str());
    }
    ++stats.total;
    stats.dropped += kept ? 0 : 1;
    stats.dropped_negative += !kept && !labelled.signal ? 1 : 0;
    if (!labelled.signal) continue;
    if (std::getenv("MS_RULES_QUALITY_VERBOSE") != nullptr &&
        ClassifyMessage("", labelled.message.text) != PrefilterVerdict::kKeepSignal) {
      std::printf("  signal kept only as unsure: id %lld\n", (long long)labelled.message.id);
    }
    ++stats.signal;
    stats.kept_signal += kept ? 1 : 0;
    EXPECT_TRUE(kept) << "prefilter drops signal id " << labelled.message.id << ": "
                      << labelled.message.text;
  }
  return stats;
}

TEST(PrefilterQuality, KeepsEverySignalRowAndDropsChatter) {
  std::vector<LabelledMessage> messages = LoadDevSet();
  if (messages.empty()) GTEST_SKIP() << "realistic_dev not present in " << kDevDir;
  PrefilterStats dev = RunPrefilter(messages);
  const int negatives = dev.total - dev.signal;
  std::printf(
      "realistic_dev prefilter: recall %d/%d, dropped %d of %d non-significant messages "
      "(%.1f%%), %d of %d in all\n",
      dev.kept_signal, dev.signal, dev.dropped_negative, negatives,
      100.0 * dev.dropped_negative / negatives, dev.dropped, dev.total);
  EXPECT_EQ(dev.kept_signal, dev.signal);
  EXPECT_GE(dev.dropped_negative * 2, negatives) << "drops at least half of the rest";

  std::ifstream file(std::string(MS_SHARED_DATA_DIR) + "/scaleflow_full.csv");
  if (!file) return;
  std::vector<CsvRow> rows = ReadCsvRows(file);
  int dropped = 0;
  for (size_t idx = 0; idx < rows.size(); ++idx) {
    dropped += PrefilterKeeps(ToBatchMessage(rows[idx], static_cast<int64_t>(idx + 1))) ? 0 : 1;
  }
  std::printf("scaleflow prefilter: dropped %d of %zu (%.1f%%)\n", dropped, rows.size(),
              100.0 * dropped / static_cast<double>(rows.size()));
  EXPECT_GE(dropped * 4, static_cast<int>(rows.size()));
}

// llm.mode tiered: the messages the rules decide (never sent) must be at least 0.95 precise per
// message; what is left for the model is every kept message that is not decided.
struct TierCounts {
  int decided = 0, decided_signal = 0, sent = 0, total = 0;
};

TierCounts RunTiers(const std::map<std::string, ExtractionRequest>& requests,
                    const std::map<int64_t, bool>& signal) {
  TierCounts counts;
  for (const auto& [company, request] : requests) {
    TierSplit split = SplitByConfidence(request);
    counts.decided += split.decided_messages;
    if (std::getenv("MS_RULES_QUALITY_VERBOSE") != nullptr) {
      for (const BatchMessage& message : request.messages) {
        if (std::find(split.decided_ids.begin(), split.decided_ids.end(), message.id) ==
            split.decided_ids.end()) {
          continue;
        }
        auto label = signal.find(message.id);
        std::printf("  decided %s id %-4lld | %.100s\n",
                    label != signal.end() && label->second ? "signal" : "NEGATIVE",
                    (long long)message.id, message.text.c_str());
      }
    }
    for (int64_t id : split.decided_ids) {
      auto label = signal.find(id);
      counts.decided_signal += label != signal.end() && label->second ? 1 : 0;
    }
    for (const BatchMessage& message : split.to_model) counts.sent += PrefilterKeeps(message);
    counts.total += static_cast<int>(request.messages.size());
  }
  return counts;
}

TEST(TieredQuality, TheConfidentTierIsPreciseAndSavesModelInput) {
  std::vector<LabelledMessage> messages = LoadDevSet();
  if (messages.empty()) GTEST_SKIP() << "realistic_dev not present in " << kDevDir;
  std::map<std::string, ExtractionRequest> requests;
  std::map<int64_t, bool> signal;
  int kept = 0;
  for (const LabelledMessage& labelled : messages) {
    ExtractionRequest& request = requests[labelled.company_id];
    request.company_id = labelled.company_id;
    request.messages.push_back(labelled.message);
    signal[labelled.message.id] = labelled.signal;
    kept += PrefilterKeeps(labelled.message);
  }
  TierCounts dev = RunTiers(requests, signal);
  const double precision = dev.decided == 0 ? 1.0 : double(dev.decided_signal) / dev.decided;
  std::printf(
      "realistic_dev tiered: %d messages decided offline (precision %.3f), %d of %d sent to the "
      "model (model-only mode sends %d)\n",
      dev.decided, precision, dev.sent, dev.total, kept);
  EXPECT_GE(precision, 0.95);
  EXPECT_EQ(dev.sent + dev.decided, kept) << "every kept message is decided or sent";

  std::ifstream file(std::string(MS_SHARED_DATA_DIR) + "/scaleflow_full.csv");
  if (!file) return;
  std::vector<CsvRow> rows = ReadCsvRows(file);
  std::map<std::string, ExtractionRequest> scaleflow;
  scaleflow["scaleflow"].company_id = "scaleflow";
  for (size_t idx = 0; idx < rows.size(); ++idx) {
    scaleflow["scaleflow"].messages.push_back(
        ToBatchMessage(rows[idx], static_cast<int64_t>(idx + 1)));
  }
  TierCounts ref = RunTiers(scaleflow, {});
  std::printf("scaleflow tiered: %d messages decided offline, %d of %d sent to the model\n",
              ref.decided, ref.sent, ref.total);
}

TEST(RulesQuality, ScaleflowCounts) {
  std::ifstream file(std::string(MS_SHARED_DATA_DIR) + "/scaleflow_full.csv");
  if (!file) GTEST_SKIP() << "scaleflow_full.csv not present";
  std::vector<CsvRow> rows = ReadCsvRows(file);
  ExtractionRequest request{1, "scaleflow", {}};
  for (size_t idx = 0; idx < rows.size(); ++idx) {
    request.messages.push_back(ToBatchMessage(rows[idx], static_cast<int64_t>(idx + 1)));
  }
  auto result = RulesExtractor().Extract(request);
  ASSERT_TRUE(result.ok());
  std::map<std::string, int> by_type;
  for (const ExtractedEvent& event : result->events) ++by_type[event.type];
  std::map<std::string, int> by_metric;
  for (const ExtractedObservation& observation : result->observations) {
    ++by_metric[observation.metric];
  }
  std::printf("scaleflow: %zu messages, %d dropped by prefilter, %zu events, %zu observations\n",
              rows.size(), result->dropped_by_prefilter, result->events.size(),
              result->observations.size());
  for (const auto& [type, count] : by_type) std::printf("  event %-22s %d\n", type.c_str(), count);
  for (const auto& [metric, count] : by_metric) {
    std::printf("  observation %-16s %d\n", metric.c_str(), count);
  }
  EXPECT_FALSE(result->events.empty());
}

}  // namespace
}  // namespace ms
