// Investors: who an investor is (firm names from senders, signatures and domains) and the
// investor-interest detector (meeting asks, data-room requests, wanting to lead, pro rata).
#include <algorithm>

#include "pipeline/extract/rules_detectors.h"
#include "pipeline/text/ascii.h"

namespace ms::rules {
namespace {

constexpr size_t kNpos = std::string_view::npos;

// "Katarzyna Wilk <kasia@fjordline.capital>" -> "Katarzyna Wilk".
std::string_view DisplayName(std::string_view sender) {
  size_t angle = sender.find('<');
  return ascii::Trim(angle == kNpos ? sender : sender.substr(0, angle));
}

// "kasia@fjordline.capital" -> "fjordline.capital"; "" without an address.
std::string_view SenderDomain(std::string_view sender_lower) {
  size_t at = sender_lower.find('@');
  if (at == kNpos) return {};
  size_t end = sender_lower.find_first_of("> ", at);
  return sender_lower.substr(at + 1, end == kNpos ? kNpos : end - at - 1);
}

bool InvestorDomain(std::string_view domain) {
  for (std::string_view tld :
       {".vc", ".capital", ".ventures", ".fund", ".partners", ".investments"}) {
    if (domain.ends_with(tld)) return true;
  }
  return FindFirst(domain, {"ventures", "capital", "vc"}) != kNpos;
}

// "fjordline.capital" -> "Fjordline".
std::string DomainName(std::string_view domain) {
  std::string name(domain.substr(0, domain.find('.')));
  if (!name.empty()) name[0] = static_cast<char>(name[0] - 'a' + 'A');
  return name;
}

// The last "<Capitalized words> Ventures|Capital|Partners|Growth|..." in the text: a signature
// names the sender's firm after any other firm mentioned earlier.
std::string FirmInText(const MessageView& view) {
  std::string found;
  size_t found_at = 0;
  for (std::string_view suffix :
       {"ventures", "capital", "partners", "growth", "investments", "equity", "vc", "fund"}) {
    for (size_t at = FindPhrase(view.lower, suffix); at != kNpos;
         at = FindPhrase(view.lower, suffix, at + 1)) {
      if (!(view.text[at] >= 'A' && view.text[at] <= 'Z')) continue;
      std::string before = CapitalizedBefore(view.text, at);
      if (before.empty() || FindPhrase(ascii::Lower(before), "week") != kNpos) continue;
      std::string name = before + " " + view.text.substr(at, suffix.size());
      if (found.empty() || at > found_at) {
        found = name;
        found_at = at;
      }
    }
  }
  return found;
}

bool FromInvestor(const MessageView& view) {
  std::string_view display = DisplayName(view.sender_lower);
  if (FindFirst(display, {"ventures", "capital", "partners", "partner at", "vc", "investor",
                          "investment", "angel"}) != kNpos) {
    return true;
  }
  if (InvestorDomain(SenderDomain(view.sender_lower))) return true;
  return view.email && FindFirst(view.lower, {"investing", "invest in", "our fund", "our thesis",
                                              "a thesis", "principal", "general partner"}) != kNpos;
}

bool IsPressOrEvent(std::string_view lower) {
  return FindFirst(lower, {"interview", "q&a", "podcast", "newsletter", "article", "journalist",
                           "lp day", "portfolio spotlight", "fact check", "publish",
                           "won't be moving forward", "not moving forward", "pass on", "passing on",
                           "not a fit", "don't fit"}) != kNpos;
}

// The earliest factual ask or commitment; `broad` admits an investor's e-mail phrasing.
size_t InterestAt(const MessageView& view, bool broad) {
  const std::string& lower = view.lower;
  size_t at = FindFirst(
      lower, {"reached out", "reaching out", "data room", "wants to lead", "want to lead",
              "interested in", "leading your", "lead your", "lead position", "lead the round",
              "like to invest", "love to invest", "want to invest", "wants to invest"});
  size_t pro_rata = FindFirst(lower, {"pro rata", "pro-rata"});
  if (pro_rata != kNpos &&
      FindFirst(lower, {"doing their", "doing our", "committed", "commits", "in writing",
                        "confirmed", "taking their", "taking its"}) != kNpos) {
    at = std::min(at, pro_rata);
  }
  if (broad) {
    at = std::min(at,
                  FindFirst(lower, {"like to explore", "would like to", "we'd like to", "we'd love",
                                    "i'd love", "love to", "could we", "partner meeting",
                                    "conversation about", "go deeper", "dig into", "learn more",
                                    "an hour", "find a longer slot", "keen", "interest in"}));
  }
  if (at == kNpos || InQuotes(view.text, at) || NegatedBefore(lower, at)) return kNpos;
  return at;
}

std::string InterestTitle(const MessageView& view, const std::string& name) {
  const std::string& lower = view.lower;
  std::string who = name.empty() ? "Investor" : name;
  std::string round = FindRound(lower);
  if (!round.starts_with("series_")) round.clear();
  if (FindFirst(lower, {"pro rata", "pro-rata"}) != kNpos) {
    return who + " committed its pro rata";
  }
  if (FindFirst(lower, {"lead your", "leading your", "lead the round", "lead position", "to lead",
                        "series a lead", "series b lead"}) != kNpos) {
    return who + " interested in leading " + (round.empty() ? "the round" : RoundLabel(round));
  }
  if (HasPhrase(lower, "data room")) return who + " requested data room";
  return "Investor interest" + (name.empty() ? "" : " from " + name);
}

}  // namespace

std::string InvestorName(const MessageView& view) {
  std::string_view display = DisplayName(view.sender);
  std::string display_lower = ascii::Lower(display);
  size_t at = display_lower.find("partner at ");
  if (at != kNpos) return Clean(display.substr(at + 11), 60);
  size_t dash = display.find(" - ");
  if (FindFirst(display_lower, {"ventures", "capital", "partners", "vc"}) != kNpos) {
    return Clean(ascii::Trim(display.substr(0, dash)), 60);
  }
  std::string firm = FirmInText(view);
  if (!firm.empty()) return Clean(firm, 60);
  std::string_view domain = SenderDomain(view.sender_lower);
  if (!domain.empty() && (InvestorDomain(domain) || FromInvestor(view))) {
    return Clean(DomainName(domain), 60);
  }
  return "";
}

Detection DetectInvestorInterest(const MessageView& view) {
  if (IsPressOrEvent(view.lower)) return std::nullopt;
  bool investor = FromInvestor(view);
  size_t at = InterestAt(view, investor);
  if (at == kNpos) return std::nullopt;
  std::string name = InvestorName(view);
  bool context = investor || !name.empty() ||
                 FindFirst(view.lower, {"investor", "investors", "vc", "vcs", "fund", "funds",
                                        "pro rata", "pro-rata"}) != kNpos;
  if (!context) return std::nullopt;
  ExtractedEvent event =
      NewEvent("investor_interest", "medium", InterestTitle(view, name), view, at);
  std::string round = FindRound(view.lower);
  if (round.starts_with("series_")) event.metrics["round"] = round;
  if (!name.empty()) {
    event.metrics["investor"] = name;
    event.stakeholders.push_back(name);
  }
  return event;
}

}  // namespace ms::rules
