// Company-side detectors: enterprise deals, hiring, compliance, user growth.
#include "adapters/llm/rules_detectors.h"
#include "pipeline/amount.h"
#include "pipeline/ascii.h"

namespace ms::rules {
namespace {

constexpr size_t kNpos = std::string_view::npos;

std::string DealCounterparty(const MessageView& view) {
  const std::string& lower = view.lower;
  size_t agreed = FindPhrase(lower, "agreed");
  if (agreed != kNpos) {
    std::string name = CapitalizedBefore(view.text, agreed);
    if (!name.empty()) return name;
  }
  size_t signed_at = FindPhrase(lower, "contract signed");
  if (signed_at != kNpos) {
    size_t end = signed_at;
    while (end > 0 && (view.text[end - 1] == ' ' || view.text[end - 1] == '-')) --end;
    std::string name = CapitalizedBefore(view.text, end);
    if (!name.empty()) return name;
  }
  for (std::string_view with : {"signed with", "deal with", "contract with", "agreement with"}) {
    size_t at = FindPhrase(lower, with);
    if (at == kNpos) continue;
    std::string name = CapitalizedAfter(view.text, at + with.size());
    if (!name.empty()) return name;
  }
  size_t open = view.sender.find('(');
  size_t close = view.sender.find(')', open == kNpos ? 0 : open);
  if (open != kNpos && close != kNpos && view.sender_lower.find("procurement") != kNpos) {
    return view.sender.substr(open + 1, close - open - 1);
  }
  return "";
}

std::optional<double> TermYears(std::string_view lower) {
  size_t at = lower.find("-year");
  if (at == kNpos || at == 0) return std::nullopt;
  if (ascii::IsDigit(lower[at - 1])) return ParseAmount(lower.substr(at - 1, 1));
  constexpr std::pair<std::string_view, double> kWords[] = {
      {"one", 1}, {"two", 2}, {"three", 3}, {"four", 4}, {"five", 5}};
  for (auto [word, years] : kWords) {
    if (lower.substr(0, at).ends_with(word)) return years;
  }
  return std::nullopt;
}

bool IsSeniorRole(std::string_view role_lower) {
  return FindFirst(role_lower,
                   {"vp", "vice president", "head", "chief", "director", "cto", "cfo", "coo", "cmo",
                    "cro", "cpo", "ceo", "president", "general counsel"}) != kNpos;
}

// "VP of Engineering", "Senior Backend Engineer": capitalized words around a role noun in the
// sentence of `pos`.
std::string FindRole(const MessageView& view, size_t pos) {
  Span sentence = SentenceAt(view.text, pos);
  std::string_view part =
      std::string_view(view.lower).substr(sentence.begin, sentence.end - sentence.begin);
  size_t noun = FindFirst(part, {"vp",        "vice president",
                                 "head of",   "chief",
                                 "director",  "cto",
                                 "cfo",       "coo",
                                 "cmo",       "cro",
                                 "cpo",       "general counsel",
                                 "engineer",  "designer",
                                 "scientist", "manager",
                                 "architect", "sre",
                                 "recruiter", "developer",
                                 "analyst",   "counsel"});
  if (noun == kNpos) return "";
  size_t at = sentence.begin + noun;
  std::string before = CapitalizedBefore(view.text, at);
  std::string after = CapitalizedAfter(view.text, at);
  if (after.empty()) return "";
  return before.empty() ? after : before + " " + after;
}

std::optional<Amount> Headcount(std::string_view lower) {
  size_t at = FindPhrase(lower, "headcount");
  if (at == kNpos) return std::nullopt;
  size_t pos = at + 9;
  constexpr std::string_view kLinks[] = {"is", "now", "to", "of", "at", "reached", "hit", "grew"};
  for (bool linked = true; linked;) {
    while (pos < lower.size() && (lower[pos] == ' ' || lower[pos] == ':')) ++pos;
    linked = false;
    for (std::string_view link : kLinks) {
      if (FindPhrase(lower.substr(pos, link.size() + 1), link) == 0) {
        pos += link.size();
        linked = true;
      }
    }
  }
  return NumberAfter(lower, pos, 1);
}

struct Framework {
  std::string label;  // "SOC 2 Type II"
  size_t at = kNpos;
};

Framework FindFramework(std::string_view lower) {
  constexpr std::pair<std::string_view, const char*> kFrameworks[] = {
      {"soc 2", "SOC 2"},
      {"soc2", "SOC 2"},
      {"soc-2", "SOC 2"},
      {"iso 27001", "ISO 27001"},
      {"iso/iec 27001", "ISO 27001"},
      {"iso 27701", "ISO 27701"},
      {"iso 42001", "ISO 42001"},
      {"hipaa", "HIPAA"},
      {"gdpr", "GDPR"},
      {"pci dss", "PCI DSS"},
      {"pci-dss", "PCI DSS"},
      {"fedramp", "FedRAMP"}};
  Framework found;
  for (auto [phrase, label] : kFrameworks) {
    size_t at = FindPhrase(lower, phrase);
    if (at >= found.at) continue;
    found = {label, at};
    std::string_view rest = lower.substr(at + phrase.size());
    if (found.label != "SOC 2") continue;
    if (rest.starts_with(" type ii") || rest.starts_with(" type 2"))
      found.label += " Type II";
    else if (rest.starts_with(" type i") || rest.starts_with(" type 1"))
      found.label += " Type I";
  }
  return found;
}

}  // namespace

Detection DetectEnterpriseDeal(const MessageView& view) {
  const std::string& lower = view.lower;
  size_t trigger =
      FindFirst(lower, {"signed!", "we signed", "signed a", "signed an", "signed the",
                        "signed with", "has signed", "have signed", "just signed",
                        "contract signed", "agreed to a", "agreed to an", "closed the deal",
                        "closed a deal", "deal closed", "deal signed", "won the deal"});
  if (trigger == kNpos || IsConditional(lower, SentenceAt(view.text, trigger))) return std::nullopt;
  if (FindFirst(lower, {"contract", "deal", "acv", "seats", "enterprise", "agreement",
                        "subscription", "license", "commitment"}) == kNpos) {
    return std::nullopt;
  }
  std::optional<Amount> acv;
  std::optional<Amount> total;
  for (const Amount& amount : FindMoney(view.text)) {
    bool annual = FindFirst(lower.substr(amount.end, 12),
                            {"acv", "arr", "annual", "per year", "a year"}) != kNpos ||
                  lower.substr(amount.end).starts_with("/yr");
    if (annual && !acv) acv = amount;
    if (!annual && !total) total = amount;
  }
  std::string counterparty = Clean(DealCounterparty(view), 80);
  size_t seats_at = FindPhrase(lower, "seats");
  // A plain double (0 = none) rather than optional<Amount>: GCC 12 at -O2 reports a
  // false maybe-uninitialized on the optional.
  double seats = 0;
  if (seats_at != kNpos) {
    if (auto counted = CountBefore(lower, seats_at, 1)) seats = counted->value;
  }
  auto years = TermYears(lower);
  std::string title =
      "Signed " + (years ? FormatNumber(*years) + "-year " : std::string()) +
      (counterparty.empty() ? "enterprise contract" : "contract with " + counterparty);
  if (acv) title += ", " + FormatUsd(acv->value) + " ACV";
  if (!acv && total) title += ", " + FormatUsd(total->value);
  if (seats > 0) title += ", " + FormatCount(seats) + " seats";
  double value = acv ? acv->value : (total ? total->value : 0);
  ExtractedEvent event =
      NewEvent("enterprise_deal", value >= 1e6 ? "high" : "low", title, view, trigger);
  if (acv) event.metrics["acv_usd"] = FormatNumber(acv->value);
  if (total) event.metrics["amount_usd"] = FormatNumber(total->value);
  if (seats > 0) event.metrics["seats"] = FormatNumber(seats);
  if (years) event.metrics["term_years"] = FormatNumber(*years);
  if (!counterparty.empty()) {
    event.metrics["counterparty"] = counterparty;
    event.stakeholders.push_back(counterparty);
  }
  return event;
}

Detection DetectHiring(const MessageView& view) {
  const std::string& lower = view.lower;
  size_t trigger = FindFirst(lower, {"welcome", "welcoming", "joined", "joins", "hired", "new hire",
                                     "offer accepted", "accepted our offer", "headcount"});
  if (trigger == kNpos) return std::nullopt;
  std::string role = Clean(FindRole(view, trigger), 80);
  auto headcount = Headcount(lower);
  if (role.empty() && !headcount) return std::nullopt;
  std::string person;
  size_t welcome = FindFirst(lower, {"welcome", "welcoming"});
  if (welcome != kNpos) person = CapitalizedAfter(view.text, lower.find(' ', welcome));
  size_t joined = FindFirst(lower, {"joined", "joins"});
  if (person.empty() && joined != kNpos) person = CapitalizedBefore(view.text, joined);
  person = Clean(person, 60);
  std::string title = role.empty() ? "Headcount reached " + FormatNumber(headcount->value)
                                   : "Hired " + role + (person.empty() ? "" : " (" + person + ")");
  if (!role.empty() && headcount) title += ", headcount " + FormatNumber(headcount->value);
  const char* severity = !role.empty() && IsSeniorRole(ascii::Lower(role)) ? "medium" : "low";
  ExtractedEvent event = NewEvent("hiring", severity, title, view, trigger);
  if (!role.empty()) event.metrics["role"] = role;
  if (headcount) event.metrics["headcount"] = FormatNumber(headcount->value);
  if (!person.empty()) event.stakeholders.push_back(person);
  return event;
}

Detection DetectCompliance(const MessageView& view) {
  const std::string& lower = view.lower;
  Framework framework = FindFramework(lower);
  if (framework.at == kNpos) return std::nullopt;
  size_t certified = FindFirst(
      lower, {"issued", "achieved", "certified", "compliant", "attestation", "awarded", "obtained",
              "completed the audit", "passed the audit", "audit complete", "audit completed"});
  size_t progress = FindFirst(
      lower, {"pass", "passed", "ready", "gap analysis", "one document away", "preliminary report",
              "kicked off", "in progress", "audit window", "fieldwork"});
  if (certified != kNpos && IsConditional(lower, SentenceAt(view.text, certified))) {
    certified = kNpos;
  }
  if (progress != kNpos && IsConditional(lower, SentenceAt(view.text, progress))) {
    progress = kNpos;
  }
  if (certified == kNpos && progress == kNpos) return std::nullopt;
  bool done = certified != kNpos;
  std::string title = done ? "Achieved " + framework.label + " compliance"
                           : framework.label + " readiness progress";
  ExtractedEvent event =
      NewEvent("compliance", done ? "high" : "low", title, view, done ? certified : progress);
  event.metrics["framework"] = framework.label;
  event.metrics["status"] = done ? "certified" : "in_progress";
  return event;
}

Detection DetectUserGrowth(const MessageView& view) {
  const std::string& lower = view.lower;
  constexpr std::string_view kUnits[] = {"users",   "dau",      "wau",        "mau",
                                         "signups", "sign-ups", "websockets", "subscribers"};
  for (std::string_view unit : kUnits) {
    for (size_t at = FindPhrase(lower, unit); at != kNpos; at = FindPhrase(lower, unit, at + 1)) {
      auto count = CountBefore(lower, at, 2);
      if (!count || count->value < 100 || IsConditional(lower, SentenceAt(view.text, at))) {
        continue;
      }
      size_t unit_end = at + unit.size();
      std::string label(
          ascii::Trim(std::string_view(view.text).substr(count->end, unit_end - count->end)));
      std::string title = "Reached " + FormatCount(count->value) + " " + label;
      ExtractedEvent event = NewEvent("user_growth", "low", title, view, at);
      bool signups = unit == "signups" || unit == "sign-ups";
      event.metrics[signups ? "signups" : "users"] = FormatNumber(count->value);
      return event;
    }
  }
  return std::nullopt;
}

}  // namespace ms::rules
