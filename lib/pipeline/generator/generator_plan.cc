// The story planner (pipeline/generator/generator_story.h): a company's stage, series, rounds and
// deals, then its story as arcs (beats that only make sense together, like a term sheet and its
// close), of which the most important that fit the row budget are kept.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "pipeline/generator/generator_catalog.h"
#include "pipeline/generator/generator_story.h"

namespace ms::gen {
namespace {

// Where the company stands at the start of the period; its next round is the stage's index.
enum class Stage : uint8_t { kIdea, kPreSeeded, kSeeded, kSeriesADone };

struct Draft {
  Company company;
  Stage stage = Stage::kSeeded;
  double growth = 0.08;  // base monthly MRR growth
  std::array<uint8_t, kFirms.size()> firms{};
  Rng rng{0};
};

// Beats that are kept or dropped together; `parent` must be kept for this arc to be.
struct Arc {
  double priority = 0;  // lower is kept first
  int parent = -1;
  std::array<Beat, 2> beats{};
  int size = 1;
};

template <size_t N>
std::array<uint8_t, N> Shuffled(Rng& rng) {
  std::array<uint8_t, N> order{};
  std::iota(order.begin(), order.end(), uint8_t{0});
  for (size_t idx = N - 1; idx > 0; --idx) {
    std::swap(order[idx], order[rng.Index(static_cast<int>(idx) + 1)]);
  }
  return order;
}

// Two significant digits: 12.4M -> 12M, 3.46M -> 3.5M.
double TwoDigits(double value) {
  double magnitude = std::pow(10.0, std::floor(std::log10(value)) - 1);
  return std::round(value / magnitude) * magnitude;
}

Beat MakeBeat(double day, BeatKind kind, int ref = 0, int ref2 = 0) {
  day = std::clamp(day, 0.2, kPeriodDays - 0.2);
  return Beat{static_cast<float>(day), kind, static_cast<uint8_t>(ref), static_cast<uint8_t>(ref2)};
}

void AddArc(std::vector<Arc>& arcs, double priority, Beat first, int parent = -1) {
  arcs.push_back(Arc{priority, parent, {first, Beat{}}, 1});
}

void AddPair(std::vector<Arc>& arcs, double priority, Beat first, Beat second) {
  arcs.push_back(Arc{priority, -1, {first, second}, 2});
}

std::string DisplayName(const std::string& id) {
  std::string name;
  size_t start = 0;
  for (int part = 0; part < 2 && start < id.size(); ++part) {
    size_t end = std::min(id.find('-', start), id.size());
    std::string word = id.substr(start, end - start);
    if (word == "ai" || word == "hq") {
      for (char& c : word) c = static_cast<char>(c - 'a' + 'A');
    } else if (!word.empty() && word[0] >= 'a' && word[0] <= 'z') {
      word[0] = static_cast<char>(word[0] - 'a' + 'A');
    }
    name += (name.empty() ? "" : " ") + word;
    start = end + 1;
  }
  return name;
}

void PlanSeries(Draft& draft) {
  constexpr double kMrrLow[] = {1500, 8000, 50000, 300000};
  constexpr double kMrrHigh[] = {5000, 30000, 150000, 700000};
  constexpr double kHeadcount[] = {3, 6, 18, 55};
  Rng& rng = draft.rng;
  auto stage = static_cast<size_t>(draft.stage);
  Series& series = draft.company.series;
  series.mrr[0] = rng.Between(kMrrLow[stage], kMrrHigh[stage]);
  series.dau[0] = series.mrr[0] * rng.Between(0.03, 0.1);
  for (int month = 1; month < kSeriesMonths; ++month) {
    double growth = std::clamp(draft.growth + rng.Between(-0.025, 0.025), -0.01, 0.16);
    double dau_growth =
        std::clamp(growth * rng.Between(0.6, 1.2) + rng.Between(-0.015, 0.015), -0.03, 0.2);
    series.mrr[month] = series.mrr[month - 1] * (1 + growth);
    series.dau[month] = series.dau[month - 1] * (1 + dau_growth);
  }
  series.churn_pct = rng.Between(1.2, 4.0);
  series.arpa_usd = rng.Between(150, 600) * static_cast<double>(stage + 1);
  series.signup_share = rng.Between(0.03, 0.07);
  series.headcount = kHeadcount[stage] * rng.Between(0.7, 1.4);
  series.noise_seed = rng.Next();
}

RoundPlan MakeRound(RoundKind kind, double close_day, uint8_t lead, Rng& rng) {
  struct Range {
    double low_usd, high_usd, low_multiple, high_multiple;
  };
  constexpr Range kRanges[] = {
      {0.5e6, 1.5e6, 6, 10}, {2e6, 5e6, 5, 8}, {8e6, 20e6, 4, 6.5}, {25e6, 60e6, 4, 7}};
  const Range& range = kRanges[static_cast<size_t>(kind)];
  RoundPlan round;
  round.kind = kind;
  round.amount_usd = TwoDigits(rng.Between(range.low_usd, range.high_usd));
  round.post_money_usd =
      TwoDigits(round.amount_usd * rng.Between(range.low_multiple, range.high_multiple));
  round.lead = lead;
  round.close_day = close_day;
  return round;
}

// One or two rounds, up the ladder, the second at least six months after the first; each round
// is larger and valued higher than the one before.
void PlanRounds(Draft& draft) {
  Rng& rng = draft.rng;
  auto first = static_cast<RoundKind>(draft.stage);
  double close = rng.Between(70, 210);
  draft.company.rounds.push_back(MakeRound(first, close, draft.firms[0], rng));
  if (first == RoundKind::kSeriesB || close > 170 || !rng.Chance(0.3 + 2 * draft.growth)) return;
  double second_close = rng.Between(std::max(close + 180, 260.0), 355);
  auto next = static_cast<RoundKind>(static_cast<int>(first) + 1);
  RoundPlan second = MakeRound(next, second_close, draft.firms[1], rng);
  second.post_money_usd =
      std::max(second.post_money_usd, TwoDigits(draft.company.rounds[0].post_money_usd * 1.6));
  draft.company.rounds.push_back(second);
}

void AddRoundArcs(Draft& draft, std::vector<Arc>& arcs) {
  Rng& rng = draft.rng;
  for (size_t idx = 0; idx < draft.company.rounds.size(); ++idx) {
    const RoundPlan& round = draft.company.rounds[idx];
    int ref = static_cast<int>(idx);
    int core = static_cast<int>(arcs.size());
    AddPair(arcs, 0.3 * ref,
            MakeBeat(round.close_day - rng.Between(18, 40), BeatKind::kTermSheet, ref),
            MakeBeat(round.close_day, BeatKind::kRoundClosed, ref));
    int interested = rng.Range(1, 3);
    for (int firm = 0; firm < interested; ++firm) {
      uint8_t who = firm == 0 ? round.lead : draft.firms[2 + 2 * idx + firm - 1];
      AddArc(
          arcs, 2.0 + 0.3 * firm + rng.Between(0, 0.4),
          MakeBeat(round.close_day - rng.Between(50, 110), BeatKind::kInvestorInterest, ref, who),
          core);
    }
    double announced = round.close_day + rng.Between(0.3, 6);
    if (rng.Chance(0.7)) {
      AddArc(arcs, 2.2 + rng.Between(0, 0.4), MakeBeat(announced, BeatKind::kRoundEmail, ref),
             core);
    }
    if (rng.Chance(0.5)) {
      AddArc(arcs, 2.6 + rng.Between(0, 0.4),
             MakeBeat(announced + rng.Between(0.1, 3), BeatKind::kRoundCoverage, ref,
                      rng.Chance(0.5) ? 0 : 2),
             core);
    }
  }
}

void AddDealArcs(Draft& draft, std::vector<Arc>& arcs) {
  constexpr int kDeals[][2] = {{1, 2}, {2, 4}, {3, 6}, {4, 8}};
  Rng& rng = draft.rng;
  const auto* count = kDeals[static_cast<size_t>(draft.stage)];
  auto customers = Shuffled<kCustomers.size()>(rng);
  int deals = rng.Range(count[0], count[1]);
  for (int idx = 0; idx < deals; ++idx) {
    double proposed = rng.Between(5, 290);
    double decided = proposed + rng.Between(20, 70);
    DealPlan deal;
    deal.customer = customers[static_cast<size_t>(idx)];
    deal.years = rng.Range(1, 3);
    double acv = 12 * MrrAt(draft.company.series, proposed) * rng.Between(0.03, 0.12);
    deal.acv_usd = TwoDigits(std::max(10000.0, acv));
    deal.seats = std::max(10, static_cast<int>(deal.acv_usd / rng.Between(150, 600) / 10) * 10);
    deal.won = rng.Chance(0.6);
    draft.company.deals.push_back(deal);
    int arc = static_cast<int>(arcs.size());
    AddPair(arcs, 1.0 + 0.4 * idx + rng.Between(0, 0.3),
            MakeBeat(proposed, BeatKind::kDealProposed, idx),
            MakeBeat(decided, deal.won ? BeatKind::kDealSigned : BeatKind::kDealLost, idx));
    double story = decided + rng.Between(30, 90);
    if (deal.won && story < kPeriodDays - 5 && rng.Chance(0.6)) {
      AddArc(arcs, 3.2 + rng.Between(0, 0.4), MakeBeat(story, BeatKind::kCustomerStory, idx), arc);
    }
  }
}

// Hires cluster in the months after a round.
void AddHireArcs(Draft& draft, std::vector<Arc>& arcs) {
  constexpr int kHires[][2] = {{1, 3}, {2, 4}, {3, 6}, {4, 7}};
  Rng& rng = draft.rng;
  const auto* count = kHires[static_cast<size_t>(draft.stage)];
  auto roles = Shuffled<kRoles.size()>(rng);
  const auto& rounds = draft.company.rounds;
  int hires = rng.Range(count[0], count[1]);
  for (int idx = 0; idx < hires; ++idx) {
    double day = rng.Between(10, 355);
    if (rng.Chance(0.6)) {
      day = rounds[static_cast<size_t>(rng.Index(static_cast<int>(rounds.size())))].close_day +
            rng.Between(10, 120);
    }
    AddArc(arcs, 1.2 + 0.5 * idx + rng.Between(0, 0.4),
           MakeBeat(std::min(day, 360.0), BeatKind::kHire, roles[static_cast<size_t>(idx)]));
  }
}

void AddProductArcs(Draft& draft, std::vector<Arc>& arcs) {
  Rng& rng = draft.rng;
  auto launches = Shuffled<kLaunchNames.size()>(rng);
  int launch_count = rng.Range(1, 3);
  for (int idx = 0; idx < launch_count; ++idx) {
    AddArc(arcs, 1.3 + 0.6 * idx + rng.Between(0, 0.4),
           MakeBeat(rng.Between(10, 350), BeatKind::kLaunch, launches[static_cast<size_t>(idx)]));
  }
  bool later_stage = draft.stage >= Stage::kSeeded;
  const double kFrameworkChance[] = {later_stage ? 0.8 : 0.4, 0.3, 0.15};
  for (size_t idx = 0; idx < kFrameworks.size(); ++idx) {
    if (!rng.Chance(kFrameworkChance[idx])) continue;
    double started = rng.Between(10, 240);
    AddPair(arcs, 1.8 + 0.5 * static_cast<double>(idx) + rng.Between(0, 0.4),
            MakeBeat(started, BeatKind::kAuditStarted, static_cast<int>(idx)),
            MakeBeat(started + rng.Between(45, 110), BeatKind::kCertified, static_cast<int>(idx)));
  }
  if (rng.Chance(0.4)) {
    AddArc(arcs, 3.5 + rng.Between(0, 0.4),
           MakeBeat(rng.Between(20, 350), BeatKind::kTechAchievement));
  }
}

void AddMarketArcs(Draft& draft, std::vector<Arc>& arcs) {
  Rng& rng = draft.rng;
  auto partners = Shuffled<kPartners.size()>(rng);
  int partner_count = rng.Range(0, 2);
  for (int idx = 0; idx < partner_count; ++idx) {
    AddArc(
        arcs, 2.5 + 0.5 * idx + rng.Between(0, 0.4),
        MakeBeat(rng.Between(15, 355), BeatKind::kPartnership, partners[static_cast<size_t>(idx)]));
  }
  constexpr std::array<uint8_t, 4> kOtherOutlets = {1, 3, 4, 5};  // round coverage uses 0 and 2
  int media = rng.Range(0, 2);
  int first_outlet = rng.Index(static_cast<int>(kOtherOutlets.size()));
  for (int idx = 0; idx < media; ++idx) {
    AddArc(arcs, 3.0 + 0.5 * idx + rng.Between(0, 0.4),
           MakeBeat(rng.Between(15, 355), BeatKind::kMedia,
                    kOtherOutlets[static_cast<size_t>(first_outlet + idx) % kOtherOutlets.size()]));
  }
  if (draft.stage < Stage::kSeeded) return;
  auto cities = Shuffled<kCities.size()>(rng);
  int expansions = rng.Range(0, 2);
  for (int idx = 0; idx < expansions; ++idx) {
    AddArc(arcs, 2.8 + 0.5 * idx + rng.Between(0, 0.4),
           MakeBeat(rng.Between(60, 355), BeatKind::kExpansion, cities[static_cast<size_t>(idx)]));
  }
}

// The arcs that fit `cap` beats, most important first; an arc whose parent was dropped is too.
std::vector<Beat> SelectBeats(std::vector<Arc> arcs, int64_t cap) {
  std::vector<size_t> order(arcs.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return arcs[a].priority < arcs[b].priority; });
  std::vector<bool> kept(arcs.size(), false);
  std::vector<Beat> beats;
  for (size_t idx : order) {
    const Arc& arc = arcs[idx];
    if (arc.parent >= 0 && !kept[static_cast<size_t>(arc.parent)]) continue;
    if (static_cast<int64_t>(beats.size()) + arc.size > cap) continue;
    kept[idx] = true;
    beats.insert(beats.end(), arc.beats.begin(), arc.beats.begin() + arc.size);
  }
  return beats;
}

// `count` KPI reports: monthly ones first (evenly thinned when fewer than the months), then
// weekly ones on a fixed weekday, daily ones, or, past one a day, snapshots through the day;
// weeks or days are skipped evenly when there are fewer reports than slots.
void AddKpiBeats(int64_t count, Rng& rng, std::vector<Beat>& beats) {
  constexpr int64_t kMonthly = kSeriesMonths - 1;
  int64_t monthly = std::min(count, kMonthly);
  for (int64_t idx = 0; idx < monthly; ++idx) {
    int64_t month = (2 * idx + 1) * kMonthly / (2 * monthly);
    beats.push_back(MakeBeat(static_cast<double>(month) * kMonthDays + rng.Between(0.3, 2.5),
                             BeatKind::kKpiMonthly));
  }
  int64_t extra = count - monthly;
  if (extra <= 0) return;
  constexpr int64_t kWeeks = 52;
  constexpr auto kDays = static_cast<int64_t>(kPeriodDays);
  BeatKind kind = extra <= kWeeks  ? BeatKind::kKpiWeekly
                  : extra <= kDays ? BeatKind::kKpiDaily
                                   : BeatKind::kKpiSnapshot;
  int64_t slots = kind == BeatKind::kKpiWeekly ? kWeeks : std::max(extra, kDays);
  double step = kind == BeatKind::kKpiWeekly ? 7 : kPeriodDays / static_cast<double>(slots);
  double weekday = rng.Between(2.2, 2.8);
  for (int64_t idx = 0; idx < extra; ++idx) {
    auto slot = static_cast<double>((2 * idx + 1) * slots / (2 * extra));
    double offset = kind == BeatKind::kKpiWeekly ? weekday : step * rng.Between(0.3, 0.7);
    beats.push_back(MakeBeat(slot * step + offset, kind));
  }
}

static_assert(std::tuple_size_v<decltype(Company::first_names)> == kFirstNames.size());

Draft StartDraft(const std::string& id, uint64_t seed) {
  Draft draft;
  draft.rng = Rng(seed);
  Rng& rng = draft.rng;
  Company& company = draft.company;
  company.id = id;
  company.name = DisplayName(id);
  company.product = company.name.substr(0, company.name.find(' ')) + " " +
                    kProductNouns[static_cast<size_t>(rng.Index(kProductNouns.size()))];
  company.seed = seed;
  company.first_names = Shuffled<kFirstNames.size()>(rng);
  for (size_t idx = 0; idx < kTeamSize; ++idx) {
    company.team_last[idx] = static_cast<uint8_t>(rng.Index(kLastNames.size()));
  }
  double stage = rng.Unit();
  draft.stage = stage < 0.1   ? Stage::kIdea
                : stage < 0.4 ? Stage::kPreSeeded
                : stage < 0.8 ? Stage::kSeeded
                              : Stage::kSeriesADone;
  draft.growth =
      draft.stage <= Stage::kPreSeeded ? rng.Between(0.06, 0.14) : rng.Between(0.03, 0.11);
  draft.firms = Shuffled<kFirms.size()>(rng);
  return draft;
}

}  // namespace

bool IsMilestone(BeatKind kind) {
  return kind != BeatKind::kDealProposed && kind != BeatKind::kDealLost && !IsKpiReport(kind);
}

bool IsKpiReport(BeatKind kind) {
  return kind == BeatKind::kKpiMonthly || kind == BeatKind::kKpiWeekly ||
         kind == BeatKind::kKpiDaily || kind == BeatKind::kKpiSnapshot;
}

Company PlanCompany(const std::string& id, uint64_t seed, int64_t story_rows) {
  Draft draft = StartDraft(id, seed);
  PlanSeries(draft);
  PlanRounds(draft);
  std::vector<Arc> arcs;
  AddRoundArcs(draft, arcs);
  AddDealArcs(draft, arcs);
  AddHireArcs(draft, arcs);
  AddProductArcs(draft, arcs);
  AddMarketArcs(draft, arcs);
  int64_t story_cap = std::llround(0.6 * static_cast<double>(story_rows));
  std::vector<Beat> beats = SelectBeats(std::move(arcs), story_cap);
  AddKpiBeats(story_rows - static_cast<int64_t>(beats.size()), draft.rng, beats);
  std::stable_sort(beats.begin(), beats.end(),
                   [](const Beat& a, const Beat& b) { return a.day < b.day; });
  draft.company.beats = std::move(beats);
  return std::move(draft.company);
}

int64_t HeadcountAt(const Company& company, double day) {
  double headcount = company.series.headcount * std::pow(1.025, day / kMonthDays);
  for (const RoundPlan& round : company.rounds) {
    if (round.close_day <= day) headcount *= 1.15;
  }
  return std::llround(headcount);
}

}  // namespace ms::gen
