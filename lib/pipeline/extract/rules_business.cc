// Company-side detectors: key hires and compliance (certifications, licences, marks).
#include <algorithm>

#include "pipeline/extract/rules_detectors.h"
#include "pipeline/text/amount.h"
#include "pipeline/text/ascii.h"

namespace ms::rules {
namespace {

constexpr size_t kNpos = std::string_view::npos;

bool IsSeniorRole(std::string_view role_lower) {
  return FindFirst(role_lower,
                   {"vp", "svp", "evp", "vice president", "head of", "chief", "cto", "cfo", "coo",
                    "cmo", "cro", "cpo", "ceo", "ciso", "president", "general counsel"}) != kNpos;
}

// "VP of Engineering", "VP Supply Chain": capitalized words around a senior role noun in the
// sentence of `pos`.
std::string FindRole(const MessageView& view, size_t pos) {
  Span sentence = SentenceAt(view.text, pos);
  std::string_view part =
      std::string_view(view.lower).substr(sentence.begin, sentence.end - sentence.begin);
  size_t noun = FindFirst(part, {"vp", "svp", "evp", "vice president", "head of", "chief", "cto",
                                 "cfo", "coo", "cmo", "cro", "cpo", "ciso", "general counsel"});
  if (noun == kNpos) return "";
  size_t at = sentence.begin + noun;
  std::string before = CapitalizedBefore(view.text, at);
  std::string after = CapitalizedAfter(view.text, at);
  if (after.empty()) return "";
  return before.empty() ? after : before + " " + after;
}

// The person right after "welcome" or right before "joins"/"joined"/"starts".
std::string NewHire(const MessageView& view) {
  std::string person;
  size_t welcome = FindFirst(view.lower, {"welcome", "welcoming"});
  if (welcome != kNpos) person = CapitalizedAfter(view.text, view.lower.find(' ', welcome));
  size_t joined = FindFirst(view.lower, {"joined", "joins", "starts", "started"});
  if (person.empty() && joined != kNpos) person = CapitalizedBefore(view.text, joined);
  return Clean(person, 60);
}

struct Framework {
  std::string label;  // "SOC 2 Type II"
  size_t at = kNpos;
  size_t end = kNpos;
  bool self_certifying = false;  // the phrase itself says it happened: "CE marked"
};

Framework FindFramework(std::string_view lower) {
  struct Known {
    std::string_view phrase;
    const char* label;
    bool done;
  };
  constexpr Known kFrameworks[] = {{"soc 2", "SOC 2", false},
                                   {"soc2", "SOC 2", false},
                                   {"soc-2", "SOC 2", false},
                                   {"iso 27001", "ISO 27001", false},
                                   {"iso/iec 27001", "ISO 27001", false},
                                   {"iso 27701", "ISO 27701", false},
                                   {"iso 42001", "ISO 42001", false},
                                   {"iso 9001", "ISO 9001", false},
                                   {"iso 13485", "ISO 13485", false},
                                   {"iso 14001", "ISO 14001", false},
                                   {"hipaa", "HIPAA", false},
                                   {"gdpr", "GDPR", false},
                                   {"pci dss", "PCI DSS", false},
                                   {"pci-dss", "PCI DSS", false},
                                   {"fedramp", "FedRAMP", false},
                                   {"hitrust", "HITRUST", false},
                                   {"sqf", "SQF", false},
                                   {"brcgs", "BRCGS", false},
                                   {"cyber essentials", "Cyber Essentials", false},
                                   {"ukca", "UKCA", false},
                                   {"ce marked", "CE marking", true},
                                   {"ce marking", "CE marking", false},
                                   {"ce mark", "CE marking", false},
                                   {"eu-type examination certificate", "CE marking", false},
                                   {"fda clearance", "FDA clearance", false},
                                   {"510(k)", "FDA 510(k)", false},
                                   {"tisax", "TISAX", false},
                                   {"b corp", "B Corp", false}};
  Framework found;
  for (const Known& known : kFrameworks) {
    size_t at = FindPhrase(lower, known.phrase);
    if (at >= found.at) continue;
    found = {known.label, at, at + known.phrase.size(), known.done};
  }
  if (found.label == "SOC 2") {
    if (FindFirst(lower, {"type ii", "type 2"}) != kNpos) {
      found.label += " Type II";
    } else if (FindFirst(lower, {"type i", "type 1"}) != kNpos) {
      found.label += " Type I";
    }
  }
  return found;
}

// A licence or authorisation: "EMI licence", "money transmitter license", "FCA authorisation".
Framework FindLicence(const MessageView& view) {
  for (std::string_view word : {"licence", "license", "authorisation", "authorization"}) {
    size_t at = FindPhrase(view.lower, word);
    if (at == kNpos) continue;
    std::string name = CapitalizedBefore(view.text, at);
    if (name.empty()) continue;
    return {name + " " + std::string(word), at, at + word.size(), false};
  }
  return {};
}

bool Celebrated(std::string_view text, size_t end) {
  std::string_view after = text.substr(end, 16);
  for (std::string_view emoji :
       {"\xe2\x9c\x85", "\xf0\x9f\x8e\x89", "\xf0\x9f\xa5\xb3", "\xf0\x9f\x99\x8c",
        "\xf0\x9f\x8d\xbe", "\xf0\x9f\x8f\x86", "\xf0\x9f\x8e\x8a", "\xf0\x9f\xa5\x82"}) {
    if (after.find(emoji) != kNpos) return true;
  }
  return false;
}

// Where the certification is stated as done: issued, certified, granted, a clean report, "done".
size_t CertifiedAt(const MessageView& view, const Framework& framework) {
  if (framework.self_certifying && IsFactual(view, framework.at)) return framework.at;
  constexpr std::string_view kDone[] = {"issued",           "certified",
                                        "granted",          "awarded",
                                        "achieved",         "obtained",
                                        "attestation",      "released",
                                        "clean opinion",    "unqualified opinion",
                                        "approved",         "received our",
                                        "passed the audit", "completed the audit",
                                        "audit complete",   "audit completed"};
  for (std::string_view done : kDone) {
    for (size_t at = FindPhrase(view.lower, done); at != kNpos;
         at = FindPhrase(view.lower, done, at + 1)) {
      if (IsFactual(view, at) && !NegatedBefore(view.lower, at, 6) &&
          FindFirst(std::string_view(view.lower).substr(SentenceAt(view.text, at).begin, at),
                    {"recommend", "recommended"}) == kNpos) {
        return at;
      }
    }
  }
  std::string_view after = std::string_view(view.lower).substr(framework.end, 24);
  bool done_word = FindFirst(after, {"done", "complete", "completed", "live"}) != kNpos;
  if ((done_word || Celebrated(view.text, framework.end)) && IsFactual(view, framework.at)) {
    return framework.at;
  }
  return kNpos;
}

size_t ReadinessAt(const MessageView& view) {
  size_t at =
      FindFirst(view.lower, {"ready", "gap analysis", "one document away", "preliminary report"});
  return at != kNpos && IsFactual(view, at) ? at : kNpos;
}

}  // namespace

Detection DetectHiring(const MessageView& view) {
  size_t trigger = kNpos;
  std::string role;
  for (std::string_view verb : {"welcome", "welcoming", "joined", "joins", "hired", "new hire",
                                "starts", "started", "promoted", "accepted our offer"}) {
    for (size_t at = FindPhrase(view.lower, verb); at != kNpos && role.empty();
         at = FindPhrase(view.lower, verb, at + 1)) {
      if (IsConditional(view.lower, ClauseAt(view.text, at)) || NegatedBefore(view.lower, at)) {
        continue;
      }
      std::string found = Clean(FindRole(view, at), 80);
      if (found.empty() || !IsSeniorRole(ascii::Lower(found))) continue;
      role = found;
      trigger = at;
    }
  }
  if (role.empty()) return std::nullopt;
  std::string person = NewHire(view);
  std::string title = "Hired " + role + (person.empty() ? "" : " (" + person + ")");
  ExtractedEvent event = NewEvent("hiring", "medium", title, view, trigger);
  event.metrics["role"] = role;
  size_t headcount = FindPhrase(view.lower, "headcount");
  if (headcount != kNpos) {
    if (auto count = NumberAfter(view.lower, headcount, 24)) {
      event.metrics["headcount"] = FormatNumber(count->value);
      event.title += ", headcount " + FormatNumber(count->value);
    }
  }
  if (!person.empty()) event.stakeholders.push_back(person);
  return event;
}

Detection DetectCompliance(const MessageView& view) {
  Framework framework = FindFramework(view.lower);
  if (framework.at == kNpos) framework = FindLicence(view);
  if (framework.at == kNpos) return std::nullopt;
  size_t certified = CertifiedAt(view, framework);
  size_t progress = certified == kNpos ? ReadinessAt(view) : kNpos;
  if (certified == kNpos && progress == kNpos) return std::nullopt;
  bool done = certified != kNpos;
  std::string title =
      done ? "Achieved " + framework.label : framework.label + " readiness progress";
  if (done && framework.label.find("licen") == std::string::npos &&
      framework.label.find("author") == std::string::npos && framework.label != "CE marking") {
    title += " certification";
  }
  ExtractedEvent event =
      NewEvent("compliance", done ? "medium" : "low", title, view, done ? certified : progress);
  event.metrics["framework"] = framework.label;
  event.metrics["status"] = done ? "certified" : "in_progress";
  return event;
}

}  // namespace ms::rules
