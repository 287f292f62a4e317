// The offline rules extractor: every event type on realistic messages with exact metrics,
// batch behaviour (prefilter, merge by fingerprint), no PII in events, and real/generated data.
#include "pipeline/extract/rules_extractor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/generator/producer_payload.h"
#include "pipeline/ledger/fingerprint.h"

namespace ms {
namespace {

using Metrics = std::map<std::string, std::string>;

BatchMessage Msg(int64_t id, std::string text, std::string sender = "Alex (CEO)") {
  BatchMessage message;
  message.id = id;
  message.text = std::move(text);
  message.sender = std::move(sender);
  message.sent_at_ms = 1762000000000;  // 2025-11-01
  return message;
}

std::vector<ExtractedEvent> Events(std::string text, std::string sender = "Alex (CEO)") {
  return ExtractMessageEvents("acme", Msg(1, std::move(text), std::move(sender)));
}

// The only event of `type` in `text`; fails the test if there is none.
ExtractedEvent One(const std::string& type, std::string text, std::string sender = "Alex (CEO)") {
  for (ExtractedEvent& event : Events(std::move(text), std::move(sender))) {
    if (event.type == type) return event;
  }
  ADD_FAILURE() << "no " << type << " event";
  return {};
}

using Readings = std::map<std::string, double>;

// The KPI observations of `text`, by metric.
Readings Observed(std::string text) {
  Readings readings;
  for (const ExtractedObservation& observation :
       ExtractMessageObservations(Msg(1, std::move(text)))) {
    EXPECT_EQ(observation.source_message_id, 1);
    readings[observation.metric] = observation.value;
  }
  return readings;
}

std::string UnitOf(std::string text, const std::string& metric) {
  for (const ExtractedObservation& observation :
       ExtractMessageObservations(Msg(1, std::move(text)))) {
    if (observation.metric == metric) return observation.unit;
  }
  return "";
}

std::set<std::string> Types(std::string text, std::string sender = "Alex (CEO)") {
  std::set<std::string> types;
  for (const ExtractedEvent& event : Events(std::move(text), std::move(sender))) {
    types.insert(event.type);
  }
  return types;
}

TEST(RulesExtractor, Funding) {
  ExtractedEvent event =
      One("funding", "Huge news: we closed our $12.4M Series A led by Blue Chip Ventures!");
  EXPECT_EQ(event.title, "Closed $12.4M Series A led by Blue Chip Ventures");
  EXPECT_EQ(event.severity, "high");
  EXPECT_EQ(event.metrics, (Metrics{{"amount", "12400000"},
                                    {"amount_usd", "12400000"},
                                    {"currency", "USD"},
                                    {"stage", "closed"},
                                    {"round", "series_a"},
                                    {"lead_investor", "Blue Chip Ventures"}}));
  EXPECT_EQ(event.company_id, "acme");
  EXPECT_EQ(event.source_message_ids, std::vector<int64_t>{1});
  EXPECT_EQ(event.timeline, "2025-11-01");

  event = One("funding",
              "WE DID IT! Term sheet is coming. They quoted a $15M investment at an "
              "$80M valuation. This is life-changing for the company.");
  EXPECT_EQ(event.title, "Term sheet for $15M investment at $80M valuation");
  EXPECT_EQ(event.metrics, (Metrics{{"amount", "15000000"},
                                    {"amount_usd", "15000000"},
                                    {"currency", "USD"},
                                    {"stage", "term_sheet_received"},
                                    {"valuation", "80000000"},
                                    {"valuation_usd", "80000000"}}));
  EXPECT_EQ(event.severity, "high") << "a priced term sheet received (amount and valuation)";
  EXPECT_EQ(One("funding", "Term sheet is in from Ridgecrest: $7M for our Series A.").severity,
            "medium")
      << "a term sheet without a valuation";
  EXPECT_EQ(Types("WE DID IT! Term sheet is coming. They quoted a $15M investment."),
            std::set<std::string>{"funding"})
      << "no investor_interest beside funding";

  event = One("funding", "We raised a $2.5M seed round from angels.");
  EXPECT_EQ(event.title, "Raised $2.5M Seed");
  EXPECT_EQ(event.metrics, (Metrics{{"amount", "2500000"},
                                    {"amount_usd", "2500000"},
                                    {"currency", "USD"},
                                    {"stage", "closed"},
                                    {"round", "seed"}}));
  EXPECT_TRUE(Types("We closed a $1.2M deal with Globex.").count("funding") == 0);
  EXPECT_TRUE(Types("If we raise a Series A next year we can hire.").empty());
}

TEST(RulesExtractor, InvestorInterest) {
  ExtractedEvent event = One("investor_interest",
                             "Subject: Interest in your next round. We would like to discuss "
                             "leading your Series B.",
                             "Blue Chip Ventures - Investment Team");
  EXPECT_EQ(event.title, "Blue Chip Ventures interested in leading Series B");
  EXPECT_EQ(event.severity, "medium");
  EXPECT_EQ(event.metrics, (Metrics{{"round", "series_b"}, {"investor", "Blue Chip Ventures"}}));
  event = One("investor_interest",
              "I've been tracking your progress. The recent jump is impressive for a Series A "
              "stage. We'd love to dig into your unit economics.",
              "Partner at First Round Capital");
  EXPECT_EQ(event.title, "Investor interest from First Round Capital");
  EXPECT_EQ(One("investor_interest",
                "Team, big news! Blue Chip Ventures just reached out. They "
                "want to see our data room by Friday.")
                .title,
            "Blue Chip Ventures requested data room");
  EXPECT_EQ(One("investor_interest", "Huge: Lakestar Capital! They are interested in our Series A.")
                .metrics.at("investor"),
            "Lakestar Capital");
  EXPECT_TRUE(Types("We can't afford downtime while the investors are sniffing around.").empty());
}

TEST(RulesExtractor, KpiReportsAreObservationsNotEvents) {
  const char* report =
      "Subject: Weekly Revenue Analysis - Oct 25 to Nov 1. Total MRR: $192,400 (+12.5% WoW). "
      "New Subscriptions: 84. Churn Rate: 1.2% (Flat).";
  EXPECT_EQ(Observed(report), (Readings{{"mrr", 192400}, {"churn", 1.2}}))
      << "growth rates are not observations";
  EXPECT_EQ(UnitOf(report, "mrr"), "USD");
  EXPECT_EQ(UnitOf(report, "churn"), "pct");
  EXPECT_TRUE(Types(report).empty()) << "no snapshot event";
  EXPECT_EQ(Observed("MRR just crossed $420,300, up +17.5% MoM."), (Readings{{"mrr", 420300}}));
  EXPECT_EQ(Observed("We hit $2.5M ARR this month."), (Readings{{"arr", 2500000}}));
  EXPECT_EQ(Observed("October was a record-breaking month. Our Net Revenue Retention (NRR) hit "
                     "137%, driven by upsells."),
            (Readings{{"nrr", 137}}));
  EXPECT_EQ(Observed("Revenue hit $1.1M in Q3."), (Readings{{"revenue", 1100000}}));
  EXPECT_EQ(Observed("MRR crossed $100,000 in May and MRR crossed $150,000 in June; ARR is $1.8M."),
            (Readings{{"mrr", 100000}, {"arr", 1800000}}))
      << "one observation per metric per message";
  EXPECT_TRUE(Observed("If these convert, your MRR will jump from $192k to $265k.").empty());
  EXPECT_TRUE(Observed("Expansion revenue from existing customers grew by $8k this week.").empty());
}

TEST(RulesExtractor, KpiFiguresInOtherCurrenciesAndWords) {
  EXPECT_EQ(Observed("Feb close done: ARR \xc2\xa3"
                     "1.42m (+\xc2\xa3"
                     "61k mom), 6,850 nodes online across 214 sites. hw gross margin at 31%"),
            (Readings{{"arr", 1420000}, {"devices", 6850}, {"active_accounts", 214}}));
  EXPECT_EQ(UnitOf("ARR \xc2\xa3"
                   "1.42m",
                   "arr"),
            "GBP");
  EXPECT_EQ(Observed("April close: ARR 3.7m, active clinicians ~2.2k. burn $610k"),
            (Readings{{"arr", 3700000}, {"active_users", 2200}}));
  EXPECT_EQ(Observed("wk 15 GMV: two hundred twenty-one thousand (221.4k), 402 restaurant accts"),
            (Readings{{"gmv_weekly", 221400}, {"active_accounts", 402}}));
  EXPECT_EQ(Observed("June: GMV $1.18M, net rev $173k. July tracking to ~$1.3M"),
            (Readings{{"gmv", 1180000}, {"revenue", 173000}}))
      << "the forecast is not an observation";
  EXPECT_EQ(Observed("ARR just crossed four million! Billing kicked in. $4.03M on the nose"),
            (Readings{{"arr", 4030000}}))
      << "the precise figure after the round mark";
  EXPECT_EQ(Observed("active clinicians passed 3,500 this morning (3,512)"),
            (Readings{{"active_users", 3512}}));
  EXPECT_EQ(UnitOf("Weekly digest: NOK 2.1m ARR", "arr"), "NOK");
  for (const char* text :
       {"tracking to ~$1.8m ARR by end of May if the rollout converts on time",
        "if every clinician activated we'd be ~$5.3M ARR. that's a napkin",
        "board deck draft has '$6.5M ARR by Dec' on the cover. that's the plan, not actuals",
        "mock P&L has $2.4M monthly GMV in Dec as the stretch case",
        "the crunchbase page still says our ARR is $400k",
        "Acme signed! 180 clinicians, $210k ARR, 2-year term",
        "internal load test: 1,500 concurrent synthetic encounters, p95 at 2.8s"}) {
    EXPECT_TRUE(Observed(text).empty()) << text;
  }
}

// Figures that are not the company announcing its own metric.
TEST(RulesExtractor, CommentaryOnFiguresIsNotAnObservation) {
  EXPECT_TRUE(Observed("$75k ARR is huge for a seed-stage team.").empty());
  EXPECT_TRUE(Observed("@Sarah @Chloe did you see Jennifer's email? $75k ARR is huge. This alone "
                       "would push us over the $2.5M ARR milestone right before the Series A.")
                  .empty())
      << "a prospect's deal value, then a hypothetical";
  EXPECT_TRUE(Observed("I've been tracking your progress on Product Hunt. The recent jump to $315k "
                       "MRR, 1.6% Churn, and 61k DAU is impressive for a Series A stage.")
                  .empty())
      << "an investor's opinion of the figures, not an announcement";
  EXPECT_EQ(Observed("We hit $2.5M ARR this month, which is huge!"), (Readings{{"arr", 2500000}}))
      << "the company's own, with pride";
}

TEST(RulesExtractor, AnotherCompanysRoundIsNotFunding) {
  for (const char* text :
       {"Did you see that Globex just raised a $20M Series B led by Sequoia?",
        "Our main competitor closed a $30M Series B last week.",
        "Competitor watch: Initech raised $8M from Accel. We need to move faster.",
        "Heads up: Hooli has secured a $50M round, they will come after our customers."}) {
    EXPECT_EQ(Types(text).count("funding"), 0u) << text;
  }
  EXPECT_EQ(One("funding", "Acme raised a $5M seed round led by Blue Chip Ventures.").title,
            "Raised $5M Seed led by Blue Chip Ventures")
      << "the company's own name before the verb";
  EXPECT_EQ(One("funding", "Confirming: Series A closed at $12.0M, led by Blue Chip Ventures.")
                .metrics.at("amount_usd"),
            "12000000");
}

TEST(RulesExtractor, EnterpriseDeals) {
  ExtractedEvent event = One("enterprise_deal",
                             "Signed! Delta Airlines agreed to a 3-year enterprise contract, "
                             "$1.4M ACV, 4,000 seats.");
  EXPECT_EQ(event.title, "Signed 3-year contract with Delta Airlines, $1.4M/yr, 4,000 seats");
  EXPECT_EQ(event.severity, "high");
  EXPECT_EQ(event.metrics, (Metrics{{"acv", "1400000"},
                                    {"acv_usd", "1400000"},
                                    {"currency", "USD"},
                                    {"seats", "4000"},
                                    {"term_years", "3"},
                                    {"counterparty", "Delta Airlines"}}));
  EXPECT_EQ(
      event.description,
      "Signed! Delta Airlines agreed to a 3-year enterprise contract, $1.4M ACV, 4,000 seats.");
  event = One("enterprise_deal",
              "Subject: Global Logistics Corp - CONTRACT SIGNED! Hi Alex, Just got the DocuSign "
              "back. $75,000 ARR, 2-year commitment.");
  EXPECT_EQ(event.severity, "medium") << "a mid-size deal";
  EXPECT_EQ(event.metrics, (Metrics{{"acv", "75000"},
                                    {"acv_usd", "75000"},
                                    {"currency", "USD"},
                                    {"term_years", "2"},
                                    {"counterparty", "Global Logistics Corp"}}));
  EXPECT_TRUE(Types("They are ready to sign a $75,000 annual contract, but need RBAC.").empty());
  EXPECT_TRUE(Types("Our legal team requires a signed SLA guaranteeing 99.99% uptime.").empty());
}

TEST(RulesExtractor, Hiring) {
  ExtractedEvent event =
      One("hiring", "Please welcome Dana, our new VP of Engineering. Headcount is now 45.");
  EXPECT_EQ(event.title, "Hired VP of Engineering (Dana), headcount 45");
  EXPECT_EQ(event.severity, "medium");
  EXPECT_EQ(event.metrics, (Metrics{{"role", "VP of Engineering"}, {"headcount", "45"}}));
  EXPECT_NE(std::find(event.stakeholders.begin(), event.stakeholders.end(), "Dana"),
            event.stakeholders.end());
  EXPECT_TRUE(Types("Priya joined as our Senior Backend Engineer today.").empty())
      << "only VP-and-above hires are key hires";
  EXPECT_TRUE(Types("This means we can finally hire those 5 extra devs.").empty());
}

TEST(RulesExtractor, Compliance) {
  ExtractedEvent event = One("compliance",
                             "Subject: SOC 2 Type II report issued. We completed "
                             "the audit with zero exceptions.");
  EXPECT_EQ(event.title, "Achieved SOC 2 Type II certification");
  EXPECT_EQ(event.severity, "medium");
  EXPECT_EQ(event.metrics, (Metrics{{"framework", "SOC 2 Type II"}, {"status", "certified"}}));
  event = One("compliance", "Alex, we are one document away from being SOC2 ready.");
  EXPECT_EQ(event.severity, "low");
  EXPECT_EQ(event.metrics, (Metrics{{"framework", "SOC 2"}, {"status", "in_progress"}}));
  EXPECT_TRUE(
      Types("Please patch within 48 hours to maintain your SOC2 readiness status.").empty());
  EXPECT_TRUE(Types("They loved the SOC2 Audit Logging module in the demo.").empty());
}

TEST(RulesExtractor, UsageCountsAreObservations) {
  EXPECT_EQ(Observed("We now have 10,000 weekly active users, a new record."),
            (Readings{{"wau", 10000}}));
  EXPECT_EQ(Observed("We just hit 25,000 concurrent WebSockets! The cluster held."),
            (Readings{{"concurrent_users", 25000}}));
  EXPECT_EQ(Observed("We've had 4,200 unique signups so far."), (Readings{{"signups", 4200}}));
  EXPECT_EQ(Observed("Check this out: $384k MRR and 33k DAU."),
            (Readings{{"mrr", 384000}, {"dau", 33000}}));
  EXPECT_EQ(Observed("Headcount is now 45."), (Readings{{"headcount", 45}}));
  EXPECT_TRUE(
      Observed("The analytics show 40% of users drop off at the integration step.").empty());
  EXPECT_TRUE(Types("We now have 10,000 weekly active users, a new record.").empty());
}

TEST(RulesExtractor, LaunchesPartnershipsMediaExpansion) {
  ExtractedEvent launch =
      One("product_launch", "We launched acme Orchestrate 2.0 to all customers today.");
  EXPECT_EQ(launch.title, "Launched acme Orchestrate 2.0");
  EXPECT_EQ(launch.severity, "medium");
  EXPECT_EQ(launch.metrics, (Metrics{{"product", "acme Orchestrate 2.0"}}));
  EXPECT_EQ(One("product_launch",
                "Subject: Your Launch 'ScaleFlow 2.0' is LIVE! Your product is "
                "now live on ProductHunt.")
                .title,
            "Launched ScaleFlow 2.0 on Product Hunt");
  EXPECT_TRUE(Types("RBAC prototype is live in staging! Try it.").empty());

  ExtractedEvent partnership =
      One("partnership", "Partnership with AWS is official: we are listed on the AWS Marketplace.");
  EXPECT_EQ(partnership.title, "Partnership with AWS, listed on AWS Marketplace");
  EXPECT_EQ(partnership.severity, "medium");
  EXPECT_EQ(partnership.metrics, (Metrics{{"counterparty", "AWS"}}));

  ExtractedEvent media = One("media_coverage",
                             "Subject: Feature request for tomorrow's story. TechCrunch will "
                             "publish a feature on acme tomorrow morning.");
  EXPECT_EQ(media.title, "Coverage in TechCrunch");
  EXPECT_EQ(media.metrics, (Metrics{{"outlet", "TechCrunch"}}));
  EXPECT_TRUE(Types("High-Priority Feature Request from Axios users").empty());

  ExtractedEvent expansion =
      One("market_expansion",
          "Opened our London office: EMEA expansion starts with 3 enterprise pilots.");
  EXPECT_EQ(expansion.title, "Opened London office (EMEA expansion)");
  EXPECT_EQ(expansion.metrics, (Metrics{{"region", "London"}}));
  EXPECT_EQ(
      One("market_expansion", "Your recent expansion into the EMEA market caught our eye.").metrics,
      (Metrics{{"region", "EMEA"}}));
}

TEST(RulesExtractor, TechnicalCustomerSuccessOther) {
  ExtractedEvent tech = One("technical_achievement",
                            "The migration is deployed. Search latency dropped from 1.2s to 85ms.");
  EXPECT_EQ(tech.title, "Search latency dropped from 1.2s to 85ms");
  EXPECT_EQ(tech.severity, "low");
  EXPECT_TRUE(Types("The Datadog report is looking clean. 0.08% error rate is excellent.").empty());

  ExtractedEvent story =
      One("customer_success", "Customer story: Acme cut onboarding time by 40% with our platform.");
  EXPECT_EQ(story.title, "Customer story: Acme cut onboarding time by 40% with our platform");
  EXPECT_EQ(story.metrics, (Metrics{{"improvement_pct", "40"}}));
  EXPECT_EQ(One("customer_success", "Love it! We just upgraded to the 'Pro' plan.").title,
            "Customer upgraded to the 'Pro' plan");
  EXPECT_TRUE(Types("We upgraded to Postgres 16 last night.").empty());

  EXPECT_EQ(
      One("other", "Just reached 1,000 upvotes! We are officially #1 Product of the Day.").title,
      "We are officially #1 Product of the Day");
}

TEST(RulesExtractor, NoPiiInEvents) {
  std::vector<ExtractedEvent> events = Events(
      "We closed our $3M seed round led by Jane Roe. Wire details: DE89 3704 0044 0532 0130 00, "
      "questions to jane@roe-capital.com or +1 (555) 123-4567.",
      "Jane <jane@roe-capital.com>");
  ASSERT_FALSE(events.empty());
  for (const ExtractedEvent& event : events) {
    std::string all = event.title + event.description + event.impact;
    for (const std::string& name : event.stakeholders) all += name;
    for (const auto& [name, value] : event.metrics) all += value;
    EXPECT_EQ(all.find("jane@"), std::string::npos) << all;
    EXPECT_EQ(all.find("555"), std::string::npos) << all;
    EXPECT_EQ(all.find("3704"), std::string::npos) << all;
  }
}

TEST(RulesExtractor, ChatterYieldsNothing) {
  for (const char* text :
       {"Morning all, standup in 10 minutes.", "Lunch order going out at 12, reply with your pick.",
        "Can someone review my PR for the search indexer?", "Thanks for the quick turnaround!",
        "PR #156 for Real-time Feed is merged! Deploying to staging now.",
        "Database is hitting 93% CPU. James, can we optimize the query?"}) {
    EXPECT_TRUE(Events(text).empty()) << text;
  }
}

TEST(RulesExtractor, BatchPrefiltersMergesAndReportsRules) {
  ExtractionRequest request{
      9,
      "acme",
      {Msg(10, "Morning all, standup in 10 minutes."),
       Msg(11, "Huge news: we closed our $12M Series A led by Blue Chip Ventures!"),
       Msg(12, "thanks!"),
       Msg(13, "Confirming: Series A closed at $12.0M, led by Blue Chip Ventures.",
           "Ana (Finance)"),
       Msg(14, "MRR just crossed $420,300, up +17.5% MoM.")}};
  RulesExtractor extractor;
  auto result = extractor.Extract(request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->provider, "rules");
  EXPECT_EQ(result->model, "rules-v1");
  EXPECT_EQ(result->llm_calls, 0);
  EXPECT_EQ(result->usage.prompt_tokens, 0);
  EXPECT_EQ(result->usage.completion_tokens, 0);
  EXPECT_EQ(result->dropped_by_prefilter, 2);
  EXPECT_EQ(result->rejected_events, 0);
  ASSERT_EQ(result->events.size(), 1u);
  const ExtractedEvent& funding = result->events[0];
  EXPECT_EQ(funding.type, "funding");
  EXPECT_EQ(funding.source_message_ids, (std::vector<int64_t>{11, 13})) << "merged by fingerprint";
  EXPECT_EQ(funding.stakeholders,
            (std::vector<std::string>{"Alex (CEO)", "Blue Chip Ventures", "Ana (Finance)"}));
  for (const ExtractedEvent& event : result->events) EXPECT_EQ(event.company_id, "acme");
  ASSERT_EQ(result->observations.size(), 1u) << "the MRR report is an observation";
  EXPECT_EQ(result->observations[0].metric, "mrr");
  EXPECT_EQ(result->observations[0].value, 420300);
  EXPECT_EQ(result->observations[0].unit, "USD");
  EXPECT_EQ(result->observations[0].source_message_id, 14);

  RulesExtractor unfiltered(RulesExtractorOptions{.prefilter = false});
  EXPECT_EQ(unfiltered.Extract(request)->dropped_by_prefilter, 0);
  EXPECT_TRUE(extractor.Extract({1, "acme", {}})->events.empty());
}

// ---- Data sets --------------------------------------------------------------------------

TEST(RulesExtractorData, ScaleflowYieldsFundingInterestComplianceRevenue) {
  std::ifstream file(std::string(MS_SHARED_DATA_DIR) + "/scaleflow_full.csv");
  if (!file) GTEST_SKIP() << "scaleflow_full.csv not present";
  std::vector<CsvRow> rows = ReadCsvRows(file);
  ASSERT_GT(rows.size(), 1000u);
  ExtractionRequest request{1, "scaleflow", {}};
  for (size_t idx = 0; idx < rows.size(); ++idx) {
    request.messages.push_back(ToBatchMessage(rows[idx], static_cast<int64_t>(idx + 1)));
  }
  auto result = RulesExtractor().Extract(request);
  ASSERT_TRUE(result.ok());
  std::map<std::string, std::vector<const ExtractedEvent*>> by_type;
  for (const ExtractedEvent& event : result->events) by_type[event.type].push_back(&event);
  ASSERT_EQ(by_type["funding"].size(), 1u);
  const ExtractedEvent& funding = *by_type["funding"][0];
  EXPECT_EQ(funding.metrics.at("amount_usd"), "15000000");
  EXPECT_EQ(funding.metrics.at("valuation_usd"), "80000000");
  EXPECT_EQ(funding.source_message_ids, std::vector<int64_t>{94});
  EXPECT_GE(by_type["investor_interest"].size(), 3u);
  ASSERT_EQ(by_type["compliance"].size(), 1u) << "the two SOC 2 progress messages merge";
  EXPECT_EQ(by_type["compliance"][0]->source_message_ids, (std::vector<int64_t>{89, 90}));
  EXPECT_TRUE(by_type["revenue_milestone"].empty()) << "KPI reports are observations";
  bool weekly_mrr = false;
  for (const ExtractedObservation& observation : result->observations) {
    weekly_mrr = weekly_mrr || (observation.metric == "mrr" && observation.value == 192400);
    for (int64_t commentary : {18, 128, 154}) {  // "$75k ARR is huge", investors quoting MRR
      EXPECT_NE(observation.source_message_id, commentary) << observation.metric;
    }
  }
  EXPECT_TRUE(weekly_mrr) << "Total MRR: $192,400 (+12.5% WoW) is an observation mrr=192400";
  EXPECT_EQ(by_type["enterprise_deal"].size(), 1u);
  EXPECT_GE(result->dropped_by_prefilter * 4, static_cast<int>(rows.size()));
  std::set<std::string> fingerprints;
  for (const ExtractedEvent& event : result->events) {
    EXPECT_TRUE(fingerprints.insert(EventFingerprint("scaleflow", event)).second)
        << "merged: " << event.title;
  }
}

}  // namespace
}  // namespace ms
