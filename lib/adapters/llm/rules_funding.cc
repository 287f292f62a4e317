// Money-side detectors: funding, investor interest, revenue milestones.
#include <algorithm>

#include "adapters/llm/rules_detectors.h"
#include "pipeline/amount.h"
#include "pipeline/ascii.h"

namespace ms::rules {
namespace {

constexpr size_t kNpos = std::string_view::npos;

// Whether the words right after `end` (spaces skipped) start with one of `words`.
bool FollowedBy(std::string_view lower, size_t end, std::initializer_list<std::string_view> words) {
  while (end < lower.size() && lower[end] == ' ') ++end;
  for (std::string_view word : words) {
    if (lower.substr(end).starts_with(word)) return true;
  }
  return false;
}

struct FundingAmounts {
  std::optional<Amount> raised;
  std::optional<Amount> valuation;
};

FundingAmounts ReadFundingAmounts(const MessageView& view, size_t anchor) {
  FundingAmounts amounts;
  std::vector<Amount> money = FindMoney(view.text);
  std::vector<Amount> candidates;
  for (const Amount& amount : money) {
    if (FollowedBy(view.lower, amount.end, {"valuation", "post-money", "pre-money"})) {
      amounts.valuation = amount;
    } else if (!FollowedBy(view.lower, amount.end, {"arr", "mrr", "acv", "in revenue"})) {
      candidates.push_back(amount);
    }
  }
  amounts.raised = NearestMoney(candidates, Span{0, view.text.size()}, anchor, 200);
  return amounts;
}

// Adverbs that may sit between a name and its verb ("Globex just raised").
bool IsAdverb(std::string_view word) {
  constexpr std::string_view kAdverbs[] = {"just",       "has",       "have",    "had",
                                           "recently",   "also",      "finally", "reportedly",
                                           "officially", "apparently"};
  return std::find(std::begin(kAdverbs), std::end(kAdverbs), word) != std::end(kAdverbs);
}

// Where the words before `pos` stop being adverbs: "Globex just raised" -> after "Globex".
size_t SkipAdverbsBack(std::string_view lower, size_t pos) {
  while (true) {
    size_t end = pos;
    while (end > 0 && lower[end - 1] == ' ') --end;
    size_t begin = end;
    while (begin > 0 && ascii::IsAlpha(lower[begin - 1])) --begin;
    if (begin == end || !IsAdverb(lower.substr(begin, end - begin))) return pos;
    pos = begin;
  }
}

// Someone else's round: the sentence of the funding verb talks about a competitor or rival,
// or names another company right before the verb ("Globex just raised a $20M Series B").
// "We closed", a round ("Series A closed at $12M") or the company's own name before the verb
// is the company's.
bool SomeoneElsesRound(const MessageView& view) {
  size_t verb = FindFirst(view.lower, {"raised", "raises", "closed", "closes", "secured"});
  if (verb == kNpos) return false;
  Span sentence = SentenceAt(view.text, verb);
  std::string_view part =
      std::string_view(view.lower).substr(sentence.begin, sentence.end - sentence.begin);
  if (FindFirst(part, {"competitor", "competitors", "competition", "rival", "rivals"}) != kNpos) {
    return true;
  }
  std::string name = CapitalizedBefore(view.text, SkipAdverbsBack(view.lower, verb));
  if (name.empty() || !FindRound(ascii::Lower(name)).empty()) return false;
  std::string key = NameKey(name);
  bool ours = !view.company_key.empty() &&
              (key.starts_with(view.company_key) || view.company_key.starts_with(key));
  return !ours;
}

std::string FundingVerb(std::string_view lower) {
  if (FindFirst(lower, {"raised", "raises"}) != kNpos) return "Raised";
  if (FindFirst(lower, {"closed", "closes"}) != kNpos) return "Closed";
  if (FindFirst(lower, {"secured", "oversubscribed"}) != kNpos) return "Secured";
  return "";
}

// "Blue Chip Ventures" from the sender or the text; "" if no investor is named.
std::string InvestorName(const MessageView& view) {
  std::string_view sender = view.sender;
  size_t at = view.sender_lower.find("partner at ");
  if (at != kNpos) return Clean(sender.substr(at + 11), 60);
  constexpr std::string_view kGeneric[] = {"investor",        "vc",  "vc partner", "partner",
                                           "investment team", "team"};
  size_t dash = sender.find(" - ");
  bool investor_sender = FindFirst(view.sender_lower, {"ventures", "capital", "partners", "vc",
                                                       "investor", "investment", "angel"}) != kNpos;
  std::string_view after_dash = dash == kNpos ? std::string_view() : sender.substr(dash + 3);
  for (std::string_view part : {sender.substr(0, dash), after_dash}) {
    if (!investor_sender) break;
    part = ascii::Trim(part.substr(0, part.find(" (")));
    std::string lower = ascii::Lower(part);
    bool generic = false;
    for (std::string_view word : kGeneric) generic = generic || lower == word;
    if (!generic && !part.empty()) return Clean(part, 60);
  }
  size_t firm = FindFirst(view.lower, {"ventures", "capital"});
  if (firm == kNpos) return "";
  std::string before = CapitalizedBefore(view.text, firm);
  if (before.empty()) return "";
  size_t word_end = firm;
  while (word_end < view.text.size() && ascii::IsAlpha(view.text[word_end])) ++word_end;
  return Clean(before + " " + view.text.substr(firm, word_end - firm), 60);
}

struct RevenueMetric {
  const char* word;
  const char* key;
};

// $ amount tied to the metric word [at, at + word_size) in a factual sentence about the
// company. `strict` (for "revenue") also wants a linking word: "revenue of/hit/reached $X",
// "revenue: $X", "$X in revenue".
std::optional<Amount> MetricAmount(const MessageView& view, const std::vector<Amount>& money,
                                   size_t at, size_t word_size, bool strict) {
  Span sentence = SentenceAt(view.text, at);
  if (IsConditional(view.lower, sentence)) return std::nullopt;
  // Someone's opinion of a figure (a prospect's deal, an investor quoting numbers back) is not
  // the company announcing it.
  if (IsCommentary(view.lower, sentence) && !HasFirstPerson(view.lower, sentence)) {
    return std::nullopt;
  }
  std::string_view lower = view.lower;
  std::string_view part = lower.substr(sentence.begin, sentence.end - sentence.begin);
  if (FindFirst(part, {"contract", "commitment", "deal", "signed", "acv"}) != kNpos) {
    return std::nullopt;  // a customer's contract value, not the company's run rate
  }
  auto amount = NearestMoney(money, sentence, at, strict ? 14 : 24);
  if (!amount || !strict) return amount;
  if (amount->end <= at) {
    return lower.substr(amount->end, at - amount->end) == " in " ? amount : std::nullopt;
  }
  size_t after = at + word_size;
  std::string_view between = lower.substr(after, amount->begin > after ? amount->begin - after : 0);
  bool linked = ascii::Trim(between) == ":" ||
                FindFirst(between, {"of", "hit", "reached", "crossed", "passed", "topped", "is",
                                    "was", "now"}) != kNpos;
  return linked ? amount : std::nullopt;
}

void ReadGrowth(const MessageView& view, std::map<std::string, std::string>* metrics) {
  constexpr std::pair<std::string_view, const char*> kGrowth[] = {
      {"wow", "growth_wow_pct"},
      {"week over week", "growth_wow_pct"},
      {"week-over-week", "growth_wow_pct"},
      {"mom", "growth_mom_pct"},
      {"month over month", "growth_mom_pct"},
      {"month-over-month", "growth_mom_pct"},
      {"yoy", "growth_yoy_pct"},
      {"year over year", "growth_yoy_pct"}};
  for (auto [word, key] : kGrowth) {
    size_t at = FindPhrase(view.lower, word);
    if (at == kNpos || metrics->contains(key)) continue;
    if (auto pct = PercentBefore(view.lower, at, 4)) (*metrics)[key] = FormatNumber(*pct);
  }
}

std::string GrowthSuffix(const std::map<std::string, std::string>& metrics) {
  if (metrics.contains("growth_wow_pct")) return " (+" + metrics.at("growth_wow_pct") + "% WoW)";
  if (metrics.contains("growth_mom_pct")) return " (+" + metrics.at("growth_mom_pct") + "% MoM)";
  return "";
}

}  // namespace

ExtractedEvent NewEvent(const char* type, const char* severity, std::string_view title,
                        const MessageView& view, size_t pos) {
  ExtractedEvent event;
  event.type = type;
  event.severity = severity;
  event.title = Clean(title, 120);
  event.description = Excerpt(view, pos);
  event.timeline = view.date;
  if (!view.sender.empty()) event.stakeholders.push_back(Clean(view.sender, 80));
  return event;
}

std::string FindRound(std::string_view lower, size_t* where) {
  size_t at = FindPhrase(lower, "series");
  while (at != kNpos) {
    size_t letter = at + 7;
    if (letter < lower.size() && lower[at + 6] == ' ' && lower[letter] >= 'a' &&
        lower[letter] <= 'h' &&
        (letter + 1 == lower.size() || !ascii::IsAlnum(lower[letter + 1]))) {
      if (where) *where = at;
      return "series_" + std::string(1, lower[letter]);
    }
    at = FindPhrase(lower, "series", at + 1);
  }
  constexpr std::pair<std::string_view, const char*> kRounds[] = {
      {"pre-seed", "pre_seed"}, {"seed round", "seed"}, {"bridge round", "bridge"}};
  for (auto [phrase, round] : kRounds) {
    at = FindPhrase(lower, phrase);
    if (at == kNpos) continue;
    if (where) *where = at;
    return round;
  }
  return "";
}

Detection DetectFunding(const MessageView& view) {
  const std::string& lower = view.lower;
  size_t round_at = kNpos;
  std::string round = FindRound(lower, &round_at);
  std::string verb = FundingVerb(lower);
  size_t term_sheet = FindFirst(lower, {"term sheet", "termsheet"});
  if (verb.empty() && term_sheet == kNpos) return std::nullopt;
  bool context = !round.empty() ||
                 FindFirst(lower, {"funding", "financing", "investment", "investors", "led by",
                                   "round", "valuation", "term sheet", "termsheet"}) != kNpos;
  if (!context || (!verb.empty() && SomeoneElsesRound(view))) return std::nullopt;
  size_t anchor = round_at != kNpos ? round_at : (term_sheet != kNpos ? term_sheet : 0);
  FundingAmounts amounts = ReadFundingAmounts(view, anchor);
  if (verb.empty() && !amounts.raised) return std::nullopt;  // a term sheet without terms
  if (round.empty() && !amounts.raised) return std::nullopt;
  size_t led_by = FindPhrase(lower, "led by");
  std::string lead = led_by == kNpos ? "" : CapitalizedAfter(view.text, led_by + 6);
  std::string money = amounts.raised ? FormatUsd(amounts.raised->value) : "";
  std::string title;
  if (verb.empty()) {
    title = "Term sheet for " + money + " investment";
    if (amounts.valuation) title += " at " + FormatUsd(amounts.valuation->value) + " valuation";
  } else {
    title = verb + (money.empty() ? "" : " " + money) + " " +
            (round.empty() ? std::string("funding round") : RoundLabel(round));
    if (!lead.empty()) title += " led by " + lead;
  }
  ExtractedEvent event = NewEvent("funding", "high", title, view, anchor);
  if (amounts.raised) event.metrics["amount_usd"] = FormatNumber(amounts.raised->value);
  if (amounts.valuation) event.metrics["valuation_usd"] = FormatNumber(amounts.valuation->value);
  if (!round.empty()) event.metrics["round"] = round;
  if (!lead.empty()) {
    event.metrics["lead_investor"] = Clean(lead, 80);
    event.stakeholders.push_back(Clean(lead, 80));
  }
  return event;
}

Detection DetectInvestorInterest(const MessageView& view) {
  const std::string& lower = view.lower;
  size_t context = FindFirst(
      lower, {"investor", "investors", "investment", "invest", "ventures", "venture", "vc", "vcs",
              "series", "round", "term sheet", "data room", "funding", "valuation"});
  size_t interest = FindFirst(lower, {"interest",
                                      "interested",
                                      "reached out",
                                      "reaching out",
                                      "data room",
                                      "term sheet",
                                      "lead your",
                                      "leading your",
                                      "lead the round",
                                      "potential series",
                                      "like to invest",
                                      "love to invest",
                                      "dig into",
                                      "discuss",
                                      "intro",
                                      "introduction",
                                      "eager",
                                      "keen",
                                      "would like to",
                                      "we'd love",
                                      "caught our attention",
                                      "tracking your progress"});
  if (context == kNpos || interest == kNpos) return std::nullopt;
  std::string round = FindRound(lower);
  std::string name = InvestorName(view);
  std::string who = name.empty() ? "Investor" : name;
  std::string title;
  bool lead = FindFirst(lower, {"lead your", "leading your", "lead the round", "potential series",
                                "series a lead", "series b lead"}) != kNpos;
  if (lead && !round.empty()) {
    title = who + " interested in leading " + RoundLabel(round);
  } else if (HasPhrase(lower, "data room")) {
    title = who + " requested data room";
  } else if (FindFirst(lower, {"term sheet", "termsheet"}) != kNpos) {
    title = "Term sheet expected" + (name.empty() ? "" : " from " + name);
  } else {
    title = "Investor interest" + (name.empty() ? "" : " from " + name);
  }
  ExtractedEvent event = NewEvent("investor_interest", "low", title, view, interest);
  if (!round.empty()) event.metrics["round"] = round;
  if (!name.empty()) {
    event.metrics["investor"] = name;
    event.stakeholders.push_back(name);
  }
  return event;
}

Detection DetectRevenue(const MessageView& view) {
  constexpr RevenueMetric kMetrics[] = {
      {"mrr", "mrr_usd"}, {"arr", "arr_usd"}, {"revenue", "revenue_usd"}};
  std::vector<Amount> money = FindMoney(view.text);
  std::map<std::string, std::string> metrics;
  size_t anchor = kNpos;
  std::string headline;
  for (const RevenueMetric& metric : kMetrics) {
    bool strict = std::string_view(metric.word) == "revenue";
    for (size_t at = FindPhrase(view.lower, metric.word); at != kNpos;
         at = FindPhrase(view.lower, metric.word, at + 1)) {
      auto amount = MetricAmount(view, money, at, std::string_view(metric.word).size(), strict);
      if (!amount) continue;
      metrics[metric.key] = FormatNumber(amount->value);
      if (anchor == kNpos) {
        anchor = at;
        std::string label =
            strict ? "Revenue" : (std::string_view(metric.word) == "mrr" ? "MRR" : "ARR");
        headline = label + " reached " + FormatUsd(amount->value);
      }
      break;
    }
  }
  size_t nrr = FindFirst(view.lower, {"nrr", "net revenue retention"});
  if (nrr != kNpos) {
    if (auto pct = PercentAfter(view.lower, nrr, 40)) {
      metrics["nrr_pct"] = FormatNumber(*pct);
      if (anchor == kNpos) {
        anchor = nrr;
        headline = "NRR reached " + FormatNumber(*pct) + "%";
      }
    }
  }
  if (anchor == kNpos) return std::nullopt;
  ReadGrowth(view, &metrics);
  size_t churn = FindPhrase(view.lower, "churn");
  if (churn != kNpos) {
    auto pct = PercentBefore(view.lower, churn, 3);
    if (!pct) pct = PercentAfter(view.lower, churn, 20);
    if (pct) metrics["churn_pct"] = FormatNumber(*pct);
  }
  ExtractedEvent event =
      NewEvent("revenue_milestone", "high", headline + GrowthSuffix(metrics), view, anchor);
  event.metrics = std::move(metrics);
  return event;
}

}  // namespace ms::rules
