// The prefilter: chatter out, signal in, and never a message the rules extractor would use.
#include "pipeline/extract/prefilter.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/extract/rules_extractor.h"
#include "pipeline/generator/generator.h"
#include "pipeline/generator/producer_payload.h"

namespace ms {
namespace {

PrefilterVerdict Classify(std::string_view text) {
  return ClassifyMessage("", text);
}

TEST(Prefilter, DropsChatter) {
  for (const char* text :
       {"Morning all, standup in 10 minutes.", "Lunch order going out at 12, reply with your pick.",
        "Thanks for the quick turnaround on the design review!",
        "I'm out this afternoon for a dentist appointment.", "OOO until Monday",
        "Reminder: retro on Friday, please add your notes to the board.",
        "Coffee machine on the 3rd floor is broken again.",
        "Let's move the sync to Thursday, too many conflicts today.",
        "PR #658 for Sandbox Mode is merged! Deploying to staging now.",
        "Sentry alert: NullPointerException on the Causal Engine module. Maya, taking a look?",
        "+1"}) {
    EXPECT_EQ(Classify(text), PrefilterVerdict::kDropChatter) << text;
  }
}

TEST(Prefilter, DropsShortMessagesWithoutNumbers) {
  for (const char* text : {"ok", "lol", "sounds good to me", "\xf0\x9f\x91\x8d", ""}) {
    EXPECT_EQ(Classify(text), PrefilterVerdict::kDropShort) << text;
  }
  EXPECT_EQ(Classify("we need 3 more"), PrefilterVerdict::kKeepUnsure) << "digits keep it";
}

TEST(Prefilter, KeepsSignal) {
  for (const char* text :
       {"Huge news: we closed our $12.4M Series A led by Blue Chip Ventures!",
        "MRR just crossed $420,300, up +17.5% MoM.", "ARR 2.5M", "We raised", "Signed!",
        "We launched Orchestrate 2.0 today.", "We hired a VP of Sales.",
        "SOC 2 Type II report issued.", "We now have 10,000 weekly active users.",
        "Partnership with AWS is official.", "TechCrunch press piece", "An investor called",
        "Database is hitting 93% CPU",
        "\xe2\x82\xac"
        "500 bonus",
        "won 12 percent",
        "Thanks team, we signed the contract!"}) {  // signal beats the chatter word
    EXPECT_EQ(Classify(text), PrefilterVerdict::kKeepSignal) << text;
  }
  EXPECT_TRUE(HasSignal("The recent jump to $412k MRR"));
  EXPECT_FALSE(HasSignal("The staging deploy is flaky again."));
  EXPECT_FALSE(HasSignal("crypto, debug, retroactive"));
}

TEST(Prefilter, SubjectCountsAndUnsureIsKept) {
  EXPECT_EQ(ClassifyMessage("Series A term sheet", "see attached"), PrefilterVerdict::kKeepSignal);
  EXPECT_EQ(
      Classify("The migration for the search index finished and the database is breathing easier"),
      PrefilterVerdict::kKeepUnsure);
  BatchMessage message;
  message.text = "thanks!";
  EXPECT_FALSE(PrefilterKeeps(message));
  message.subject = "Contract signed";
  EXPECT_TRUE(PrefilterKeeps(message));
}

// ---- The contract with the rules extractor, over generated and real data -------------------

std::vector<BatchMessage> ReadCsvMessages(std::istream& in) {
  size_t skipped = 0;
  std::vector<BatchMessage> messages;
  for (const CsvRow& row : ReadCsvRows(in, &skipped)) {
    messages.push_back(ToBatchMessage(row, static_cast<int64_t>(messages.size() + 1)));
  }
  EXPECT_EQ(skipped, 0u);
  return messages;
}

struct ContractStats {
  size_t messages = 0;
  size_t dropped = 0;
  size_t used_by_rules = 0;
};

ContractStats CheckNeverDropsRuleMessages(const std::vector<BatchMessage>& messages) {
  ContractStats stats;
  for (const BatchMessage& message : messages) {
    ++stats.messages;
    bool kept = PrefilterKeeps(message);
    stats.dropped += kept ? 0 : 1;
    std::vector<ExtractedEvent> events = ExtractMessageEvents("acme", message);
    std::vector<ExtractedObservation> observations = ExtractMessageObservations(message);
    if (events.empty() && observations.empty()) continue;
    ++stats.used_by_rules;
    EXPECT_TRUE(kept) << "prefilter drops a message the rules extractor turns into "
                      << (events.empty() ? "observation " + observations.front().metric
                                         : events.front().type)
                      << ": " << message.text;
  }
  return stats;
}

TEST(PrefilterContract, NeverDropsWhatTheRulesExtractorUsesInGeneratedData) {
  for (uint64_t seed : {1u, 42u, 7777u}) {
    GeneratorOptions options;
    options.rows = 3000;
    options.seed = seed;
    options.milestone_ratio = 0.3;
    std::stringstream csv;
    int64_t milestones = GenerateCsv(options, csv);
    ContractStats stats = CheckNeverDropsRuleMessages(ReadCsvMessages(csv));
    EXPECT_EQ(stats.messages, 3000u);
    // Routine (non-key) hires and KPI templates the generator words as events are not all
    // used; most milestones are.
    EXPECT_GE(static_cast<int64_t>(stats.used_by_rules) * 4, milestones * 3);
    EXPECT_GE(stats.dropped, stats.messages / 2) << "the generated chatter is mostly dropped";
  }
}

// Milestones wrapped in chatter: the chatter words must not win over the milestone.
TEST(PrefilterContract, NeverDropsMilestonesWrappedInChatter) {
  const char* kChatter[] = {"Thanks! ", "Morning all, ", "Lunch? ", "PR #12 merged. ", "OOO: ", ""};
  const char* kMilestones[] = {"Globex agreed to a subscription for 3 years.",
                               "We raised a seed round.",
                               "Blue Chip Ventures reached out about our data room.",
                               "Revenue hit $1.1M.",
                               "Please welcome Dana, our new Head of Sales.",
                               "We are now SOC 2 certified.",
                               "We just hit 1,000 signups.",
                               "We launched Orchestrate to everyone.",
                               "Partnership with Stripe is official.",
                               "Forbes will publish an article on us.",
                               "Opened our Berlin office.",
                               "P99 latency dropped from 900ms to 120ms.",
                               "Customer story: Initech cut costs by 30% with our product.",
                               "We won an award.",
                               "Initech renewed their license.",
                               "Priya joined as our VP of Engineering."};
  size_t used = 0;
  for (const char* chatter : kChatter) {
    for (const char* milestone : kMilestones) {
      BatchMessage message;
      message.text = std::string(chatter) + milestone;
      if (ExtractMessageEvents("acme", message).empty() &&
          ExtractMessageObservations(message).empty()) {
        continue;
      }
      ++used;
      EXPECT_TRUE(PrefilterKeeps(message)) << message.text;
    }
  }
  EXPECT_GE(used, std::size(kChatter) * (std::size(kMilestones) - 1));
}

TEST(PrefilterContract, NeverDropsWhatTheRulesExtractorUsesInScaleflowData) {
  std::ifstream file(std::string(MS_SHARED_DATA_DIR) + "/scaleflow_full.csv");
  if (!file) GTEST_SKIP() << "scaleflow_full.csv not present";
  ContractStats stats = CheckNeverDropsRuleMessages(ReadCsvMessages(file));
  EXPECT_GT(stats.messages, 1000u);
  EXPECT_GT(stats.used_by_rules, 100u);
  EXPECT_GE(stats.dropped * 4, stats.messages) << "at least a quarter of it is chatter";
}

}  // namespace
}  // namespace ms
