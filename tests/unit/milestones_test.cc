// Milestones from KPI series (pipeline/ledger/milestones.h) and significance
// (pipeline/ledger/significance.h).
#include "pipeline/ledger/milestones.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "pipeline/ledger/significance.h"

namespace ms {
namespace {

constexpr int64_t kDay = 86400000;
constexpr int64_t kJun1 = 1748736000000;  // 2025-06-01T00:00:00Z

std::vector<SeriesPoint> Series(std::initializer_list<double> values, const char* unit = "USD",
                                int64_t step_days = 30) {
  std::vector<SeriesPoint> series;
  int64_t id = 1;
  for (double value : values) {
    series.push_back({value, unit, kJun1 + (id - 1) * step_days * kDay, id});
    ++id;
  }
  return series;
}

std::vector<std::string> Keys(const std::vector<DerivedMilestone>& milestones) {
  std::vector<std::string> keys;
  for (const auto& m : milestones) keys.push_back(m.key);
  return keys;
}

MilestoneRules OnlyLadders() {
  MilestoneRules rules = MilestoneRules::Defaults();
  rules.high_after = 0;
  rules.growth_pct = 0;
  return rules;
}

TEST(Milestones, ALadderRungCrossedOnceStatesItsFigures) {
  auto out = DeriveMilestones("arr", Series({1.42e6, 1.51e6, 1.93e6, 2.02e6, 2.07e6}, "GBP", 15),
                              OnlyLadders());
  ASSERT_EQ(Keys(out), std::vector<std::string>{"ladder|arr|2000000"});
  const DerivedMilestone& m = out[0];
  EXPECT_EQ(m.event.type, "revenue_milestone");
  EXPECT_EQ(m.event.severity, "high");
  EXPECT_EQ(m.event.title, "ARR crossed \u00a32M");
  EXPECT_EQ(m.event.description,
            "ARR crossed \u00a32M: \u00a32.02M on 2025-07-16, up from \u00a31.93M on 2025-07-01.");
  EXPECT_EQ(m.event.source_message_ids, (std::vector<int64_t>{3, 4})) << "cites both readings";
  EXPECT_EQ(m.occurred_at_ms, kJun1 + 45 * kDay);
  EXPECT_EQ(m.event.metrics.at("rung"), "2000000");
  EXPECT_EQ(m.event.metrics.at("unit"), "GBP");
}

TEST(Milestones, ASeriesThatStartsAboveARungNeverCrossedIt) {
  EXPECT_TRUE(DeriveMilestones("mrr", Series({413e3, 151e3, 360e3, 447e3}), OnlyLadders()).empty())
      << "413k first: 250k was never crossed in the data, and dips do not re-cross";
}

TEST(Milestones, OneReadingOverSeveralRungsIsOneMilestoneAtTheHighest) {
  auto out = DeriveMilestones("dau", Series({24e3, 68e3}), OnlyLadders());
  EXPECT_EQ(Keys(out), std::vector<std::string>{"ladder|dau|50000"});
  EXPECT_EQ(out[0].event.type, "user_growth");
  EXPECT_EQ(out[0].event.severity, "medium");
}

TEST(Milestones, OrderOfArrivalDoesNotMatter) {
  auto series = Series({0.9e6, 1.1e6, 1.6e6, 2.4e6});
  auto reversed = series;
  std::reverse(reversed.begin(), reversed.end());
  auto a = DeriveMilestones("arr", series, MilestoneRules::Defaults());
  auto b = DeriveMilestones("arr", reversed, MilestoneRules::Defaults());
  EXPECT_EQ(Keys(a), Keys(b));
  EXPECT_EQ(Keys(a), (std::vector<std::string>{"ladder|arr|1000000", "ladder|arr|2000000",
                                               "growth|arr|2025q3"}));
}

TEST(Milestones, ANewHighCountsOnlyAfterARunBelowTheOldOne) {
  MilestoneRules rules = MilestoneRules::Defaults();
  rules.ladders.clear();
  rules.growth_pct = 0;
  // A steady climb is no "new high" (the ladder reports it); a recovery after 3 readings is.
  EXPECT_TRUE(DeriveMilestones("mrr", Series({100, 110, 120, 130}, "USD", 7), rules).empty());
  auto out = DeriveMilestones("mrr", Series({300, 250, 260, 280, 330}, "USD", 7), rules);
  EXPECT_EQ(Keys(out), std::vector<std::string>{"high|mrr|2025-06-29"});
  EXPECT_TRUE(DeriveMilestones("mrr", Series({300, 250, 260, 280, 305}, "USD", 7), rules).empty())
      << "1.7% above the old high is noise, not a milestone";
}

TEST(Milestones, GrowthOverTheWindowOncePerQuarter) {
  MilestoneRules rules = MilestoneRules::Defaults();
  rules.ladders.clear();
  rules.high_after = 0;
  auto out = DeriveMilestones("gmv", Series({100, 130, 160, 170, 180}, "USD", 20), rules);
  ASSERT_EQ(Keys(out), std::vector<std::string>{"growth|gmv|2025q3"});
  EXPECT_EQ(out[0].event.title, "GMV (month) up 60% in 40 days");
  rules.growth_pct = 100;
  EXPECT_TRUE(DeriveMilestones("gmv", Series({100, 130, 160, 170, 180}, "USD", 20), rules).empty());
}

TEST(Milestones, ChurnSpikesAgainstItsRecentMedian) {
  MilestoneRules rules = MilestoneRules::Defaults();
  auto out = DeriveMilestones("churn", Series({2.0, 2.2, 1.9, 2.1, 4.6}, "pct", 7), rules);
  ASSERT_EQ(Keys(out), std::vector<std::string>{"spike|churn|2025-06-29"});
  EXPECT_EQ(out[0].event.title, "Churn spiked to 4.6%");
  EXPECT_TRUE(DeriveMilestones("churn", Series({2.0, 2.2, 1.9, 2.1, 3.5}, "pct", 7), rules).empty())
      << "3.5% against a 2.05% median is under 2x";
  EXPECT_TRUE(
      DeriveMilestones("churn", Series({0.2, 0.3, 0.2, 0.25, 0.9}, "pct", 7), rules).empty())
      << "under one point above the median is noise";
}

TEST(Milestones, UnknownMetricsAndMixedUnits) {
  EXPECT_TRUE(DeriveMilestones("vibes", Series({1, 1e9}), MilestoneRules::Defaults()).empty());
  auto series = Series({0.5e6, 2.5e6});
  series[1].unit = "EUR";  // a lone reading in another currency is no crossing
  EXPECT_TRUE(DeriveMilestones("arr", series, OnlyLadders()).empty());
}

TEST(Milestones, LaddersParseAndNameTheBadItem) {
  auto rungs = ParseLadder("2M, 1M,250k,1M");
  ASSERT_TRUE(rungs.ok());
  EXPECT_EQ(*rungs, (std::vector<double>{250e3, 1e6, 2e6}));
  auto bad = ParseLadder("1M,lots");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("\"lots\""), std::string::npos) << bad.status().message();
  EXPECT_FALSE(ParseLadder("-5").ok());
  EXPECT_EQ(IsoDate(kJun1), "2025-06-01");
}

StoredEvent Scored(std::string type, std::string severity, std::string occurred_at,
                   std::map<std::string, std::string> metrics = {}, int sightings = 1) {
  StoredEvent e;
  e.type = std::move(type);
  e.severity = std::move(severity);
  e.occurred_at = std::move(occurred_at);
  e.metrics = std::move(metrics);
  e.sightings = sightings;
  return e;
}

TEST(Significance, TypeSeverityAmountSightingsAndRecency) {
  const int64_t now = ParseIsoTimeMs("2025-11-27T00:00:00Z");
  StoredEvent round = Scored("funding", "high", "2025-11-05T11:45:00Z", {{"amount", "15000000"}});
  // 30 + 30 + 5*log10(150) + 0 + 10*(1 - 22/90)
  EXPECT_NEAR(SignificanceScore(round, now), 30 + 30 + 10.88 + 7.56, 0.1);
  StoredEvent chatter_like = Scored("media_coverage", "low", "2025-08-01T00:00:00Z");
  EXPECT_NEAR(SignificanceScore(chatter_like, now), 4, 0.01) << "older than 90 days: no recency";
  StoredEvent told_thrice = round;
  told_thrice.sightings = 3;
  EXPECT_NEAR(SignificanceScore(told_thrice, now) - SignificanceScore(round, now), 6, 0.01);
  told_thrice.sightings = 40;
  EXPECT_NEAR(SignificanceScore(told_thrice, now) - SignificanceScore(round, now), 9, 0.01);
  EXPECT_GT(SignificanceScore(round, now),
            SignificanceScore(
                Scored("enterprise_deal", "high", round.occurred_at, {{"acv", "75000"}}), now));
}

TEST(Significance, ScoresAreRelativeToTheNewestEventNotTheClock) {
  std::vector<StoredEvent> live = {Scored("hiring", "medium", "2025-03-01T00:00:00Z"),
                                   Scored("funding", "high", "2025-03-20T00:00:00Z")};
  ScoreEvents(&live);
  EXPECT_NEAR(live[1].score, 30 + 30 + 10, 0.01);
  EXPECT_NEAR(live[0].score, 10 + 15 + 10 * (1 - 19.0 / 90), 0.1);
}

TEST(Significance, KeepMostSignificantKeepsTheTopInTimeOrder) {
  std::vector<StoredEvent> events = {Scored("hiring", "low", "2025-03-01T00:00:00Z"),
                                     Scored("funding", "high", "2025-02-01T00:00:00Z"),
                                     Scored("partnership", "medium", "2025-03-05T00:00:00Z")};
  for (size_t idx = 0; idx < events.size(); ++idx) events[idx].id = static_cast<int64_t>(idx + 1);
  ScoreEvents(&events);
  KeepMostSignificant(&events, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "partnership");
  EXPECT_EQ(events[1].type, "funding");
}

}  // namespace
}  // namespace ms
