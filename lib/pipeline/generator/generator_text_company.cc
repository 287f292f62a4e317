// Story messages about deals and the company's own news (pipeline/generator/generator_story.h): a
// deal is proposed, then signed or lost with the same figures; launches, hires, compliance,
// partnerships, press, expansion and engineering results are each told once.
#include <cmath>

#include "pipeline/generator/generator_catalog.h"
#include "pipeline/generator/generator_story.h"

namespace ms::gen {
namespace {

Message Chat(const Company& company, int role, std::string text) {
  return Message{false, ChatSender(company, role), std::move(text)};
}

Message Email(std::string sender, const std::string& subject, const std::string& body) {
  return Message{true, std::move(sender), "Subject: " + subject + ". " + body};
}

std::string Years(const DealPlan& deal) {
  return std::to_string(deal.years) + "-year";
}

Message DealProposed(const Company& company, const DealPlan& deal, Rng& rng) {
  std::string customer = kCustomers[deal.customer];
  std::string seats = Count(deal.seats) + " seats";
  if (rng.Chance(0.5)) {
    return Chat(company, kSales,
                "Sent " + customer + " a proposal for a " + Years(deal) +
                    " enterprise contract: " + Usd(deal.acv_usd) + "/yr, " + seats + ".");
  }
  return Chat(company, kSales,
              "Proposal out to " + customer + ": " + Years(deal) + " enterprise contract at " +
                  Usd(deal.acv_usd) + "/yr for " + seats + ".");
}

Message DealSigned(const Company& company, const DealPlan& deal, Rng& rng) {
  std::string customer = kCustomers[deal.customer];
  std::string acv = Usd(deal.acv_usd);
  std::string seats = Count(deal.seats) + " seats";
  switch (rng.Index(3)) {
    case 0:
      return Chat(company, kSales,
                  "Signed! " + customer + " signed a " + Years(deal) + ", " + acv +
                      "/yr contract for " + seats + ".");
    case 1:
      return Chat(company, kSales,
                  "Contract signed with " + customer + ": " + Years(deal) +
                      " enterprise agreement, " + acv + "/yr, " + seats + ".");
    default:
      return Chat(company, kCeo,
                  "Signed! " + customer + " agreed to a " + Years(deal) + " enterprise contract, " +
                      acv + " ACV, " + seats + ".");
  }
}

Message DealLost(const Company& company, const DealPlan& deal, Rng& rng) {
  std::string customer = kCustomers[deal.customer];
  if (rng.Chance(0.5)) {
    return Chat(company, kSales,
                "We lost " + customer + " to a competitor: they went with a cheaper vendor.");
  }
  return Chat(
      company, kSales,
      "Lost the " + customer + " deal (" + Usd(deal.acv_usd) + "/yr) to a competitor on price.");
}

Message CustomerStory(const Company& company, const DealPlan& deal, Rng& rng) {
  constexpr const char* kResults[] = {"cut onboarding time", "reduced support tickets",
                                      "cut reporting time", "cut manual data entry"};
  return Chat(company, kSales,
              "Customer story: " + std::string(kCustomers[deal.customer]) + " " +
                  kResults[rng.Index(4)] + " by " + std::to_string(rng.Range(20, 60)) + "% with " +
                  company.product + ".");
}

Message Launch(const Company& company, const Beat& beat, Rng& rng) {
  std::string name = company.product + " " + kLaunchNames[beat.ref];
  if (rng.Chance(0.5)) {
    return Chat(company, kPm, "We launched " + name + " to all customers today.");
  }
  return Chat(
      company, kCto,
      "Introducing " + name + ": built with our design customers, available to everyone today.");
}

Message Hire(const Company& company, const Beat& beat, double day, Rng& rng) {
  std::string person = OutsiderName(company, beat.ref);
  std::string role = kRoles[beat.ref];
  std::string headcount = "Headcount is now " + std::to_string(HeadcountAt(company, day)) + ".";
  if (rng.Chance(0.5)) {
    return Chat(company, kCeo, "Please welcome " + person + ", our new " + role + "! " + headcount);
  }
  return Chat(company, kCeo, person + " joined today as our new " + role + ". " + headcount);
}

Message AuditStarted(const Beat& beat) {
  constexpr const char* kSubjects[] = {"SOC 2 Type II audit in progress",
                                       "ISO 27001 audit kicked off",
                                       "HIPAA gap analysis kicked off"};
  constexpr const char* kBodies[] = {
      "We are audit ready; fieldwork started this week and evidence requests are in the shared "
      "folder.",
      "The gap analysis is behind us and the stage 1 review is booked for next week.",
      "Our advisors started the review of our safeguards this week."};
  return Email("Keystone Assurance - Audit Team", kSubjects[beat.ref], kBodies[beat.ref]);
}

Message Certified(const Beat& beat) {
  constexpr const char* kSubjects[] = {"SOC 2 Type II report issued",
                                       "ISO 27001 certificate issued", "HIPAA attestation issued"};
  constexpr const char* kBodies[] = {"We completed the audit with zero exceptions.",
                                     "We are now ISO 27001 certified.",
                                     "Our HIPAA compliance attestation is complete."};
  return Email("Keystone Assurance - Audit Team", kSubjects[beat.ref], kBodies[beat.ref]);
}

Message Partnership(const Company& company, const Beat& beat, Rng& rng) {
  std::string partner = kPartners[beat.ref];
  if (rng.Chance(0.5)) {
    return Chat(company, kCeo,
                "Partnership with " + partner + " is official: we are listed on the " + partner +
                    " Marketplace.");
  }
  return Chat(company, kCeo,
              "We partnered with " + partner + " on a native integration for our joint users.");
}

Message Media(const Company& company, const Beat& beat, Rng& rng) {
  std::string outlet = kOutlets[beat.ref];
  if (rng.Chance(0.5)) {
    return Chat(company, kCeo,
                outlet + " published an article on how " + company.name + " builds " +
                    company.product + ".");
  }
  return Chat(company, kCeo,
              outlet + " featured " + company.name + " in its list of startups to watch.");
}

Message Expansion(const Company& company, const Beat& beat, Rng& rng) {
  const City& city = kCities[beat.ref];
  return Chat(company, kCeo,
              "Opened our " + std::string(city.city) + " office: " + city.region +
                  " expansion starts with " + std::to_string(rng.Range(2, 5)) +
                  " enterprise pilots.");
}

Message TechAchievement(const Company& company, Rng& rng) {
  return Chat(company, kCto,
              "P99 latency dropped from " + std::to_string(rng.Range(6, 12) * 100) + "ms to " +
                  std::to_string(rng.Range(8, 20) * 10) + "ms after the storage rewrite.");
}

}  // namespace

Message DealBeat(const Company& company, const Beat& beat, Rng& rng) {
  const DealPlan& deal = company.deals[beat.ref];
  switch (beat.kind) {
    case BeatKind::kDealProposed:
      return DealProposed(company, deal, rng);
    case BeatKind::kDealSigned:
      return DealSigned(company, deal, rng);
    case BeatKind::kDealLost:
      return DealLost(company, deal, rng);
    default:
      return CustomerStory(company, deal, rng);
  }
}

Message CompanyBeat(const Company& company, const Beat& beat, double day, Rng& rng) {
  switch (beat.kind) {
    case BeatKind::kLaunch:
      return Launch(company, beat, rng);
    case BeatKind::kHire:
      return Hire(company, beat, day, rng);
    case BeatKind::kAuditStarted:
      return AuditStarted(beat);
    case BeatKind::kCertified:
      return Certified(beat);
    case BeatKind::kPartnership:
      return Partnership(company, beat, rng);
    case BeatKind::kMedia:
      return Media(company, beat, rng);
    case BeatKind::kExpansion:
      return Expansion(company, beat, rng);
    default:
      return TechAchievement(company, rng);
  }
}

}  // namespace ms::gen
