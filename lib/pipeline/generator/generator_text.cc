// The messages that tell a company's story (pipeline/generator/generator_story.h). Milestones are
// said in plain business wording that names the fact and its figures ("We closed our $12M Series A
// led by ..."); KPI reports name each metric ("MRR $182k, churn 1.9%, DAU 12.4k").
#include "pipeline/generator/generator_catalog.h"
#include "pipeline/generator/generator_story.h"

namespace ms::gen {
namespace {

std::string RoundName(RoundKind kind) {
  constexpr const char* kNames[] = {"pre-seed round", "seed round", "Series A", "Series B"};
  return kNames[static_cast<size_t>(kind)];
}

std::string PartnerSender(const Company& company, int firm) {
  // Hires take outsiders 0-9 (one per role); partners the ones after.
  return OutsiderName(company, static_cast<int>(kRoles.size()) + firm) + " - Partner at " +
         kFirms[static_cast<size_t>(firm)];
}

Message Chat(const Company& company, int role, std::string text) {
  return Message{false, ChatSender(company, role), std::move(text)};
}

Message Email(std::string sender, std::string subject, const std::string& body) {
  return Message{true, std::move(sender), "Subject: " + subject + ". " + body};
}

Message InvestorInterest(const Company& company, const Beat& beat, Rng& rng) {
  std::string round = RoundName(company.rounds[beat.ref].kind);
  std::string firm = kFirms[beat.ref2];
  switch (rng.Index(3)) {
    case 0:
      return Email(PartnerSender(company, beat.ref2), "Interest in your " + round,
                   "We have been tracking your progress and would love to discuss leading your " +
                       round + ".");
    case 1:
      return Email(PartnerSender(company, beat.ref2), "Intro from " + firm,
                   "Hi " + FullName(company, kCeo) + ", we would like to invest in " +
                       company.name + " ahead of your " + round +
                       " and would love access to the data room.");
    default:
      return Chat(company, kCeo,
                  firm + " reached out about leading our " + round +
                      "; they asked for access to the data room.");
  }
}

// "$12M Series A led by X at a $60M post-money valuation" pieces, the same in every message.
struct RoundTerms {
  std::string amount, round, lead, valuation;
};

RoundTerms TermsOf(const RoundPlan& plan) {
  return RoundTerms{Usd(plan.amount_usd), RoundName(plan.kind), kFirms[plan.lead],
                    Usd(plan.post_money_usd)};
}

Message TermSheet(const Company& company, const Beat& beat, Rng& rng) {
  const RoundPlan& plan = company.rounds[beat.ref];
  RoundTerms terms = TermsOf(plan);
  if (rng.Chance(0.5)) {
    return Email(PartnerSender(company, plan.lead), "Term sheet for your " + terms.round,
                 "Attached is our term sheet: " + terms.amount + " at a " + terms.valuation +
                     " post-money valuation, with " + terms.lead + " leading.");
  }
  return Chat(company, kCeo,
              "We received a term sheet from " + terms.lead + " for our " + terms.round + ": " +
                  terms.amount + " at a " + terms.valuation + " post-money valuation.");
}

Message RoundClosed(const Company& company, const Beat& beat, Rng& rng) {
  RoundTerms terms = TermsOf(company.rounds[beat.ref]);
  constexpr const char* kOpenings[] = {"Huge news: we closed", "It's official: we closed",
                                       "We closed"};
  return Chat(company, kCeo,
              std::string(kOpenings[rng.Index(3)]) + " our " + terms.amount + " " + terms.round +
                  " led by " + terms.lead + " at a " + terms.valuation + " post-money valuation!");
}

Message RoundEmail(const Company& company, const Beat& beat) {
  RoundTerms terms = TermsOf(company.rounds[beat.ref]);
  return Email(EmailSender(company, kCeo), "Announcing our " + terms.amount + " " + terms.round,
               "Today we announced that we raised " + terms.amount + " in our " + terms.round +
                   ", led by " + terms.lead + " at a " + terms.valuation +
                   " post-money valuation.");
}

Message RoundCoverage(const Company& company, const Beat& beat) {
  RoundTerms terms = TermsOf(company.rounds[beat.ref]);
  return Chat(company, kCeo,
              std::string(kOutlets[beat.ref2]) + " published an article on our " + terms.amount +
                  " " + terms.round + " this morning.");
}

}  // namespace

Message RenderBeat(const Company& company, const Beat& beat, double day, int64_t epoch_s,
                   Rng& rng) {
  switch (beat.kind) {
    case BeatKind::kInvestorInterest:
      return InvestorInterest(company, beat, rng);
    case BeatKind::kTermSheet:
      return TermSheet(company, beat, rng);
    case BeatKind::kRoundClosed:
      return RoundClosed(company, beat, rng);
    case BeatKind::kRoundEmail:
      return RoundEmail(company, beat);
    case BeatKind::kRoundCoverage:
      return RoundCoverage(company, beat);
    case BeatKind::kDealProposed:
    case BeatKind::kDealSigned:
    case BeatKind::kDealLost:
    case BeatKind::kCustomerStory:
      return DealBeat(company, beat, rng);
    case BeatKind::kKpiMonthly:
    case BeatKind::kKpiWeekly:
    case BeatKind::kKpiDaily:
    case BeatKind::kKpiSnapshot:
      return KpiBeat(company, beat, day, epoch_s, rng);
    default:
      return CompanyBeat(company, beat, day, rng);
  }
}

}  // namespace ms::gen
