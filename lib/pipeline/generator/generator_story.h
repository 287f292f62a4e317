// Internals of the synthetic data generator (pipeline/generator/generator.h): per company a
// one-year story planned up front (rounds, deals, hires, launches, ...), the KPI series it reports,
// and the messages that tell it. Deterministic: every random choice comes from Rng, whose sequence
// is the same on every platform (the std distributions are not).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ms::gen {

// Each company's story spans this many days from GeneratorOptions::start_epoch_s.
inline constexpr double kPeriodDays = 365;
inline constexpr double kMonthDays = 30.4;
inline constexpr int kSeriesMonths = 13;  // anchors at months 0..12 cover the period

// SplitMix64: 8 bytes of state, so every company can own one.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  double Unit();  // [0, 1)
  double Between(double lo, double hi) { return lo + (hi - lo) * Unit(); }
  int Index(int size);        // [0, size)
  int Range(int lo, int hi);  // [lo, hi]
  bool Chance(double probability) { return Unit() < probability; }

 private:
  uint64_t state_;
};

// A stable 64-bit mix of two values (per-company, per-day noise that does not consume Rng).
uint64_t Mix(uint64_t a, uint64_t b);

enum class RoundKind : uint8_t { kPreSeed, kSeed, kSeriesA, kSeriesB };

struct RoundPlan {
  RoundKind kind = RoundKind::kSeed;
  double amount_usd = 0;
  double post_money_usd = 0;
  uint8_t lead = 0;  // index into kFirms
  double close_day = 0;
};

struct DealPlan {
  uint8_t customer = 0;  // index into kCustomers
  int years = 1;
  int seats = 0;
  double acv_usd = 0;
  bool won = false;
};

// What one story row says. Refs index the company's rounds or deals, or a catalog.
enum class BeatKind : uint8_t {
  kInvestorInterest,  // ref: round, ref2: firm
  kTermSheet,         // ref: round
  kRoundClosed,       // ref: round (the chat announcement)
  kRoundEmail,        // ref: round (the e-mail announcement, same figures)
  kRoundCoverage,     // ref: round (press about the round)
  kDealProposed,      // ref: deal
  kDealSigned,        // ref: deal
  kDealLost,          // ref: deal
  kCustomerStory,     // ref: deal (a signed one)
  kLaunch,            // ref: kLaunchNames
  kHire,              // ref: kRoles
  kAuditStarted,      // ref: kFrameworks
  kCertified,         // ref: kFrameworks
  kPartnership,       // ref: kPartners
  kMedia,             // ref: kOutlets
  kExpansion,         // ref: kCities
  kTechAchievement,
  kKpiMonthly,
  kKpiWeekly,
  kKpiDaily,
  kKpiSnapshot,
};

// A row that announces a milestone (the rules extractor yields an event for it), as opposed to
// a KPI report (an observation of a series), a proposal or a lost deal.
bool IsMilestone(BeatKind kind);
bool IsKpiReport(BeatKind kind);

struct Beat {
  float day = 0;  // planned position in the period
  BeatKind kind = BeatKind::kKpiMonthly;
  uint8_t ref = 0;
  uint8_t ref2 = 0;
};

// The company's KPI series: smooth monthly growth with small deterministic daily noise.
struct Series {
  std::array<double, kSeriesMonths> mrr{};  // at day month * kMonthDays
  std::array<double, kSeriesMonths> dau{};
  double churn_pct = 2;        // at day 0; drifts down slowly
  double arpa_usd = 1000;      // MRR per paying customer
  double signup_share = 0.04;  // weekly signups per daily active user
  double headcount = 10;       // at day 0
  uint64_t noise_seed = 0;
};

double MrrAt(const Series& series, double day);
double DauAt(const Series& series, double day);
double ChurnAt(const Series& series, double day);
int64_t SignupsAt(const Series& series, double day, double window_days);

inline constexpr int kTeamSize = 8;  // CEO, CTO, Sales, Finance, Dev, Design, Ops, PM

struct Company {
  std::string id;       // company_id column: "nimbus-labs"
  std::string name;     // "Nimbus Labs"
  std::string product;  // "Nimbus Flow"
  uint64_t seed = 0;
  // First names in a company-specific order: the team first (one per team role), then the
  // people who join or write in, so no two people in a company share a first name.
  std::array<uint8_t, 26> first_names{};
  std::array<uint8_t, kTeamSize> team_last{};
  std::vector<RoundPlan> rounds;  // in order of the round ladder and of time
  std::vector<DealPlan> deals;
  Series series;
  std::vector<Beat> beats;  // sorted by day; exactly the story's rows
};

// Plans `id`'s story with exactly `story_rows` beats (milestones, deal news and KPI reports).
Company PlanCompany(const std::string& id, uint64_t seed, int64_t story_rows);

// Headcount at `day`: organic growth plus a step after each closed round.
int64_t HeadcountAt(const Company& company, double day);

struct Message {
  bool email = false;
  std::string sender;
  std::string content;  // e-mails start "Subject: <subject>. "
};

// The row that tells `beat`, sent at `day` of the period (`epoch_s`); figures come from the
// plan and the series at that day.
Message RenderBeat(const Company& company, const Beat& beat, double day, int64_t epoch_s, Rng& rng);

// RenderBeat by family: deals and customer stories, the company's own news (launches, hires,
// compliance, partnerships, press, expansion), and KPI reports.
Message DealBeat(const Company& company, const Beat& beat, Rng& rng);
Message CompanyBeat(const Company& company, const Beat& beat, double day, Rng& rng);
Message KpiBeat(const Company& company, const Beat& beat, double day, int64_t epoch_s, Rng& rng);

// Day-to-day chatter with no business signal.
Message RenderChatter(const Company& company, bool email, Rng& rng);

// The n-th person from outside the team (new hires, investor partners): "Dana Kim".
std::string OutsiderName(const Company& company, int nth);

// Team member `role` (a TeamRole of generator_catalog.h): "Sarah (CTO)" in chat,
// "Sarah Kim (CTO)" on e-mail.
std::string ChatSender(const Company& company, int role);
std::string EmailSender(const Company& company, int role);
std::string FullName(const Company& company, int role);

// "$182k", "$1.24M", "$12M": three significant digits, trailing zeros dropped.
std::string Usd(double value);
// "3,150" below 10,000, else "12.4k", "1.24M".
std::string Count(double value);

}  // namespace ms::gen
