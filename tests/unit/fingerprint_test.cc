// Fingerprints: stable across rewordings of the same milestone, distinct across facts.
#include "pipeline/ledger/fingerprint.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "pipeline/text/amount.h"

namespace ms {
namespace {

ExtractedEvent Ev(std::string type, std::string title,
                  std::map<std::string, std::string> metrics = {}) {
  ExtractedEvent event;
  event.company_id = "acme";
  event.type = std::move(type);
  event.title = std::move(title);
  event.metrics = std::move(metrics);
  event.severity = "high";
  return event;
}

std::string Fp(const ExtractedEvent& event, const std::string& company = "acme") {
  return EventFingerprint(company, event);
}

TEST(NormalizeTitle, LowercasesSortsAndDropsNoise) {
  EXPECT_EQ(NormalizeTitle("Closed $12.4M Series A led by Blue Chip Ventures"),
            "12400000 blue chip series_a ventur");
  EXPECT_EQ(NormalizeTitle("Blue Chip Ventures leads our $12,400,000 Series A!"),
            "12400000 blue chip series_a ventur");
  EXPECT_EQ(NormalizeTitle("We raised 12.4 million in our Series A, led by Blue Chip Ventures"),
            "12400000 blue chip series_a ventur");
  EXPECT_EQ(NormalizeTitle("MRR up +12.5% WoW"), "12.5 mrr wow");
  EXPECT_EQ(NormalizeTitle("Launches: Orchestrate 2.0"), "2 orchestrat");  // stems, not words
  EXPECT_EQ(NormalizeTitle("Launched Orchestrate 2.0"), "2 orchestrat");
  EXPECT_EQ(NormalizeTitle("Reached 10k users"), NormalizeTitle("10,000 users reached"));
  EXPECT_NE(NormalizeTitle("Series A"), NormalizeTitle("Series B"));
  EXPECT_EQ(NormalizeTitle(""), "");
  EXPECT_EQ(NormalizeTitle("the a of"), "");
  EXPECT_EQ(NormalizeTitle("Caf\xc3\xa9 opened in M\xc3\xbcnchen"), "caf\xc3\xa9 m\xc3\xbcnchen");
}

TEST(Amounts, ParseAndFormat) {
  EXPECT_DOUBLE_EQ(*ParseAmount("$12.4M"), 12400000);
  EXPECT_DOUBLE_EQ(*ParseAmount("12,000,000"), 12000000);
  EXPECT_DOUBLE_EQ(*ParseAmount("$75k"), 75000);
  EXPECT_DOUBLE_EQ(*ParseAmount("1.5bn"), 1.5e9);
  EXPECT_DOUBLE_EQ(*ParseAmount("12 million"), 12000000);
  EXPECT_DOUBLE_EQ(*ParseAmount("85ms"), 85);
  EXPECT_DOUBLE_EQ(*ParseAmount("2.4GB"), 2.4);
  EXPECT_DOUBLE_EQ(*ParseAmount("1,2345"), 1);
  EXPECT_FALSE(ParseAmount("Series A").has_value());
  EXPECT_EQ(FormatNumber(192400), "192400");
  EXPECT_EQ(FormatNumber(12.5), "12.5");
  EXPECT_EQ(FormatNumber(0.08), "0.08");
  EXPECT_EQ(FormatUsd(12400000), "$12.4M");
  EXPECT_EQ(FormatUsd(192400), "$192,400");
  EXPECT_EQ(FormatUsd(2500000000), "$2.5B");
  EXPECT_EQ(FormatUsd(999), "$999");
}

TEST(EventFingerprint, IsSixteenHexDigitsAndDependsOnCompanyAndType) {
  ExtractedEvent event = Ev("funding", "Closed Series A", {{"round", "series_a"}});
  std::string fingerprint = Fp(event);
  EXPECT_EQ(fingerprint.size(), 16u);
  EXPECT_EQ(fingerprint.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(fingerprint, Fp(event)) << "deterministic";
  EXPECT_NE(fingerprint, Fp(event, "globex"));
  ExtractedEvent other = event;
  other.type = "investor_interest";
  EXPECT_NE(fingerprint, Fp(other));
}

// Pairs that must merge: the same round in other words, amounts and states.
TEST(EventFingerprint, ReportsOfOneRoundMerge) {
  ExtractedEvent a = Ev("funding", "Closed $12M Series A led by Blue Chip Ventures",
                        {{"round", "series_a"}, {"amount_usd", "12000000"}});
  ExtractedEvent b = Ev("funding", "Blue Chip leads $12.4 million Series-A round",
                        {{"round", "Series A"}, {"amount_usd", "$12.4M"}});
  ExtractedEvent seven_eight = Ev("funding", "x", {{"round", "series_a"}, {"amount", "7800000"}});
  ExtractedEvent eight = Ev("funding", "x", {{"round", "A"}, {"amount_usd", "8000000"}});
  ExtractedEvent term_sheet = Ev("funding", "Term sheet from Stonewick: $28M Series B",
                                 {{"round", "series_b"}, {"stage", "term_sheet_received"}});
  ExtractedEvent closed = Ev("funding", "Closed $33.5M Series B",
                             {{"round", "Series B"}, {"stage", "closed"}, {"amount", "33500000"}});
  EXPECT_EQ(Fp(a), Fp(b));
  EXPECT_EQ(Fp(seven_eight), Fp(eight)) << "$7.8M vs $8M Series A";
  EXPECT_EQ(Fp(a), Fp(seven_eight)) << "one Series A whatever the amount reported";
  EXPECT_EQ(Fp(term_sheet), Fp(closed)) << "the term sheet and the close are one round";
  EXPECT_EQ(FingerprintKey(a), "funding|round=series_a");
}

// Pairs that must stay apart: other rounds, and unnamed raises of other kinds or sizes.
TEST(EventFingerprint, DifferentRaisesStayApart) {
  ExtractedEvent a = Ev("funding", "x", {{"round", "series_a"}, {"amount_usd", "12000000"}});
  EXPECT_NE(Fp(a), Fp(Ev("funding", "x", {{"round", "series_b"}, {"amount_usd", "12000000"}})));
  EXPECT_NE(Fp(a), Fp(Ev("funding", "x", {{"round", "seed"}, {"amount_usd", "12000000"}})));
  EXPECT_NE(Fp(a), Fp(Ev("funding", "x", {{"round", "bridge"}})));
  ExtractedEvent grant = Ev("funding", "x", {{"stage", "grant"}, {"amount", "480000"}});
  ExtractedEvent debt = Ev("funding", "x", {{"stage", "debt"}, {"amount", "480000"}});
  EXPECT_NE(Fp(grant), Fp(debt)) << "a grant and a debt facility of one size";
  EXPECT_NE(Fp(debt), Fp(Ev("funding", "x", {{"stage", "debt"}, {"amount", "20000000"}})));
  EXPECT_EQ(FingerprintKey(grant), "funding|kind=grant|amount=b11");
  EXPECT_EQ(FingerprintKey(Ev("funding", "x", {{"amount_usd", std::string(400, '9')}})),
            "funding|amount=none")
      << "an amount too large for a double is no amount";
}

TEST(EventFingerprint, InvestorInterestIsOneEventPerFirm) {
  EXPECT_EQ(Fp(Ev("investor_interest", "Fjordline asks for a partner meeting",
                  {{"investor", "Fjordline Capital"}})),
            Fp(Ev("investor_interest", "Fjordline wants to lead the A",
                  {{"investor", "fjordline capital ltd"}})));
  EXPECT_NE(Fp(Ev("investor_interest", "x", {{"investor", "Fjordline Capital"}})),
            Fp(Ev("investor_interest", "x", {{"investor", "Kelpie Ventures"}})));
}

TEST(EventFingerprint, SeriesMilestonesAreApartFromExtractedEvents) {
  EXPECT_EQ(SeriesMilestoneFingerprint("acme", "ladder|arr|2000000"),
            SeriesMilestoneFingerprint("acme", "ladder|arr|2000000"));
  EXPECT_NE(SeriesMilestoneFingerprint("acme", "ladder|arr|2000000"),
            SeriesMilestoneFingerprint("acme", "ladder|arr|3000000"));
  EXPECT_NE(SeriesMilestoneFingerprint("acme", "ladder|arr|2000000"),
            SeriesMilestoneFingerprint("globex", "ladder|arr|2000000"));
  EXPECT_EQ(SeriesMilestoneFingerprint("acme", "x").size(), 16u);
}

TEST(EventFingerprint, RevenueIsMetricAndValue) {
  ExtractedEvent a = Ev("revenue_milestone", "MRR reached $192,400 (+12.5% WoW)",
                        {{"mrr_usd", "192400"}, {"growth_wow_pct", "12.5"}});
  ExtractedEvent b = Ev("revenue_milestone", "Total MRR hits $192.4k", {{"mrr_usd", "$192,400"}});
  EXPECT_EQ(Fp(a), Fp(b));
  EXPECT_EQ(FingerprintKey(a), "revenue_milestone|mrr_usd=192400");
  EXPECT_NE(Fp(a), Fp(Ev("revenue_milestone", "x", {{"mrr_usd", "265000"}})));
  EXPECT_NE(Fp(a), Fp(Ev("revenue_milestone", "x", {{"arr_usd", "192400"}})));
}

TEST(EventFingerprint, NamedFactsPerType) {
  // enterprise_deal: counterparty
  EXPECT_EQ(Fp(Ev("enterprise_deal", "Signed 3-year contract with Delta Airlines, $1.4M ACV",
                  {{"counterparty", "Delta Airlines"}, {"acv_usd", "1400000"}})),
            Fp(Ev("enterprise_deal", "Delta signs enterprise agreement",
                  {{"counterparty", "The Delta Airlines, Inc."}})));
  EXPECT_NE(Fp(Ev("enterprise_deal", "x", {{"counterparty", "Delta Airlines"}})),
            Fp(Ev("enterprise_deal", "x", {{"counterparty", "United Airlines"}})));
  // hiring: role
  EXPECT_EQ(Fp(Ev("hiring", "Hired VP of Engineering (Dana)", {{"role", "VP of Engineering"}})),
            Fp(Ev("hiring", "Dana joins as Vice President, Engineering",
                  {{"role", "Vice President Engineering"}})));
  EXPECT_NE(Fp(Ev("hiring", "x", {{"role", "VP of Engineering"}})),
            Fp(Ev("hiring", "x", {{"role", "VP of Sales"}})));
  // product_launch: product
  EXPECT_EQ(
      Fp(Ev("product_launch", "Launched Orchestrate 2.0", {{"product", "Orchestrate 2.0"}})),
      Fp(Ev("product_launch", "Orchestrate 2.0 is now GA", {{"product", "orchestrate 2.0"}})));
  EXPECT_NE(Fp(Ev("product_launch", "x", {{"product", "Orchestrate 2.0"}})),
            Fp(Ev("product_launch", "x", {{"product", "Orchestrate 3.0"}})));
  // compliance: framework + status
  EXPECT_EQ(Fp(Ev("compliance", "Achieved SOC 2 Type II",
                  {{"framework", "SOC 2 Type II"}, {"status", "certified"}})),
            Fp(Ev("compliance", "SOC2 report issued",
                  {{"framework", "soc2 type 2"}, {"status", "certified"}})));
  EXPECT_NE(Fp(Ev("compliance", "x", {{"framework", "SOC 2"}, {"status", "certified"}})),
            Fp(Ev("compliance", "x", {{"framework", "SOC 2"}, {"status", "in_progress"}})));
  EXPECT_NE(Fp(Ev("compliance", "x", {{"framework", "SOC 2"}})),
            Fp(Ev("compliance", "x", {{"framework", "ISO 27001"}})));
  // partnership, market_expansion, user_growth
  EXPECT_EQ(Fp(Ev("partnership", "Partnership with AWS", {{"counterparty", "AWS"}})),
            Fp(Ev("partnership", "AWS Marketplace listing", {{"counterparty", "aws"}})));
  EXPECT_EQ(Fp(Ev("market_expansion", "Opened London office", {{"region", "London"}})),
            Fp(Ev("market_expansion", "New London office", {{"region", "london"}})));
  EXPECT_EQ(Fp(Ev("user_growth", "Reached 10,000 weekly active users", {{"users", "10000"}})),
            Fp(Ev("user_growth", "10k WAU milestone", {{"users", "10,000"}})));
  EXPECT_NE(Fp(Ev("user_growth", "x", {{"users", "10000"}})),
            Fp(Ev("user_growth", "x", {{"users", "12000"}})));
}

TEST(EventFingerprint, OtherTypesFallBackToTheNormalizedTitle) {
  EXPECT_EQ(Fp(Ev("media_coverage", "Coverage in TechCrunch")),
            Fp(Ev("media_coverage", "TechCrunch coverage")));
  EXPECT_NE(Fp(Ev("media_coverage", "Coverage in TechCrunch")),
            Fp(Ev("media_coverage", "Coverage in Forbes")));
  EXPECT_EQ(Fp(Ev("hiring", "Hired a VP of Sales")), Fp(Ev("hiring", "VP of Sales hired")))
      << "no role metric: the title decides";
  EXPECT_EQ(FingerprintKey(Ev("other", "Ranked #1 Product of the Day")),
            "other|title=1 day product rank");
}

bool Same(const ExtractedEvent& a, const ExtractedEvent& b) {
  EXPECT_EQ(SameFact(a.type, {a.metrics, a.title}, {b.metrics, b.title}),
            SameFact(a.type, {b.metrics, b.title}, {a.metrics, a.title}))
      << "symmetric";
  return SameFact(a.type, {a.metrics, a.title}, {b.metrics, b.title});
}

// Pairs whose fingerprints differ but that report one fact, and look-alikes that do not.
TEST(SameFact, PairsThatMergeAndPairsThatDoNot) {
  // A round told by its lead before it is named, and the close.
  EXPECT_TRUE(Same(Ev("funding", "Signed term sheet led by Fjordline",
                      {{"lead_investor", "Fjordline"}, {"stage", "term_sheet_signed"}}),
                   Ev("funding", "Closed EUR9.4M Series A",
                      {{"round", "series_a"}, {"lead_investor", "Fjordline Capital"}})))
      << "the same lead, named in short or in full";
  EXPECT_TRUE(Same(Ev("funding", "x", {{"lead_investor", "Fjordline"}}),
                   Ev("funding", "y", {{"round", "series_a"}, {"lead_investor", "Fjordline"}})));
  EXPECT_FALSE(Same(Ev("funding", "x", {{"lead_investor", "Bluegate"}}),
                    Ev("funding", "y", {{"round", "series_b"}, {"lead_investor", "Stonewick"}})))
      << "a competing term sheet is another offer";
  EXPECT_FALSE(Same(Ev("funding", "x", {{"round", "seed"}, {"lead_investor", "Kelpie"}}),
                    Ev("funding", "y", {{"round", "series_a"}, {"lead_investor", "Kelpie"}})))
      << "one investor leading two rounds";
  EXPECT_FALSE(Same(Ev("funding", "x", {{"stage", "debt"}, {"lead_investor", "Arbor"}}),
                    Ev("funding", "y", {{"lead_investor", "Arbor"}})));
  // Deals and interest: one name beginning the other's.
  EXPECT_TRUE(Same(Ev("enterprise_deal", "x", {{"counterparty", "Harcourt"}}),
                   Ev("enterprise_deal", "y", {{"counterparty", "Harcourt Estates Ltd"}})));
  EXPECT_TRUE(Same(Ev("enterprise_deal", "x", {{"counterparty", "Saint Brendan Health"}}),
                   Ev("enterprise_deal", "y", {{"counterparty", "Saint Brendan"}})));
  EXPECT_FALSE(Same(Ev("enterprise_deal", "x", {{"counterparty", "Saint Brendan"}}),
                    Ev("enterprise_deal", "y", {{"counterparty", "Saint Mary"}})));
  EXPECT_FALSE(Same(Ev("enterprise_deal", "x", {{"counterparty", "Harcourt"}}),
                    Ev("enterprise_deal", "y", {{"counterparty", "Harcourtia"}})))
      << "whole words only";
  EXPECT_FALSE(Same(Ev("enterprise_deal", "x", {}), Ev("enterprise_deal", "y", {})));
  EXPECT_TRUE(Same(Ev("investor_interest", "x", {{"investor", "Stonewick"}}),
                   Ev("investor_interest", "y", {{"investor", "Stonewick Growth"}})));
  // Other facts by their titles.
  EXPECT_TRUE(Same(Ev("product_launch", "Launched on Product Hunt"),
                   Ev("product_launch", "Launched ScaleFlow 2.0 on Product Hunt")));
  EXPECT_TRUE(Same(Ev("other", "decision made: we're winding down B2C home delivery on July 1"),
                   Ev("other", "We shut down B2C on July 1")));
  EXPECT_FALSE(Same(Ev("product_launch", "Launched the Slack integration"),
                    Ev("product_launch", "Launched the Teams integration")));
  EXPECT_FALSE(Same(Ev("media_coverage", "Coverage in TechCrunch about our round"),
                    Ev("media_coverage", "Coverage in Forbes about our round")))
      << "press is told apart by its fingerprint only";
}

}  // namespace
}  // namespace ms
