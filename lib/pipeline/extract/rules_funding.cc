// Funding: the stage a round reached (term sheet received or signed, closed), grants and debt
// facilities, with amount, currency, valuation and lead investor.
#include <algorithm>

#include "pipeline/extract/rules_detectors.h"
#include "pipeline/ledger/metric_vocab.h"
#include "pipeline/text/amount.h"
#include "pipeline/text/ascii.h"

namespace ms::rules {
namespace {

constexpr size_t kNpos = std::string_view::npos;

// Whether the words right after `end` (spaces skipped) start with one of `words`.
bool FollowedBy(std::string_view lower, size_t end, std::initializer_list<std::string_view> words) {
  while (end < lower.size() && (lower[end] == ' ' || lower[end] == '~')) ++end;
  for (std::string_view word : words) {
    if (lower.substr(end).starts_with(word)) return true;
  }
  return false;
}

bool SentenceHas(const MessageView& view, size_t pos,
                 std::initializer_list<std::string_view> words) {
  Span span = SentenceAt(view.text, pos);
  return FindFirst(std::string_view(view.lower).substr(span.begin, span.end - span.begin), words) !=
         kNpos;
}

// "term sheet", "termsheet" or the abbreviation "TS" (upper case only).
size_t TermSheetAt(const MessageView& view, size_t from = 0) {
  size_t words = kNpos;
  for (std::string_view phrase : {"term sheet", "termsheet", "term-sheet"}) {
    words = std::min(words, FindPhrase(view.lower, phrase, from));
  }
  size_t abbreviation = FindPhrase(view.text, "TS", from);
  return std::min(words, abbreviation);
}

// Adverbs that may sit between a subject and its verb ("Globex just raised").
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
    while (begin > 0 && (ascii::IsAlpha(lower[begin - 1]) || lower[begin - 1] == '\'')) --begin;
    if (begin == end || !IsAdverb(lower.substr(begin, end - begin))) return pos;
    pos = begin;
  }
}

// Someone else's round: a competitor or rival in the sentence, another company named right
// before the verb ("Globex just raised"), or a pronoun for someone else ("you'd closed",
// "they raised") — the company's own name, "we" or a round name before the verb are its own.
bool SomeoneElsesRound(const MessageView& view, size_t verb) {
  if (SentenceHas(view, verb, {"competitor", "competitors", "competition", "rival", "rivals"})) {
    return true;
  }
  size_t subject_end = SkipAdverbsBack(view.lower, verb);
  size_t end = subject_end;
  while (end > 0 && view.lower[end - 1] == ' ') --end;
  size_t begin = end;
  while (begin > 0 && (ascii::IsAlpha(view.lower[begin - 1]) || view.lower[begin - 1] == '\'')) {
    --begin;
  }
  std::string_view pronoun = std::string_view(view.lower).substr(begin, end - begin);
  for (std::string_view other : {"you", "you'd", "you've", "they", "they've", "they'd", "he", "she",
                                 "someone", "everyone"}) {
    if (pronoun == other) return true;
  }
  std::string name = CapitalizedBefore(view.text, subject_end);
  if (name.empty() || !FindRound(ascii::Lower(name)).empty()) return false;
  std::string key = NameKey(name);
  return view.company_key.empty() ||
         !(key.starts_with(view.company_key) || view.company_key.starts_with(key));
}

struct Stage {
  const char* name = nullptr;  // "closed", "term_sheet_signed", ... ; nullptr when none
  size_t at = kNpos;
  std::string verb;  // for titles: "Closed", "Raised", "Secured"
};

bool RoundContext(const MessageView& view, size_t pos) {
  Span span = SentenceAt(view.text, pos);
  std::string_view part = std::string_view(view.lower).substr(span.begin, span.end - span.begin);
  return !FindRound(part).empty() ||
         FindFirst(part, {"round", "funding", "financing", "raise", "safe", "safes", "investment",
                          "investors", "led by", "wires", "funds", "angels"}) != kNpos;
}

bool FactualVerb(const MessageView& view, size_t at) {
  return IsFactual(view, at) && !IsProjection(view.lower, ClauseAt(view.text, at));
}

Stage ClosedRound(const MessageView& view) {
  constexpr std::pair<std::string_view, const char*> kVerbs[] = {
      {"closed", "Closed"},   {"completed", "Closed"},      {"raised", "Raised"},
      {"secured", "Secured"}, {"oversubscribed", "Closed"}, {"is done", "Closed"},
      {"wires in", "Closed"}, {"were received", "Closed"},  {"in the bank", "Closed"}};
  for (auto [verb, label] : kVerbs) {
    for (size_t at = FindPhrase(view.lower, verb); at != kNpos;
         at = FindPhrase(view.lower, verb, at + 1)) {
      if (!RoundContext(view, at) || !FactualVerb(view, at) || SomeoneElsesRound(view, at))
        continue;
      if (SentenceHas(view, at, {"facility", "loan", "credit line", "venture debt"})) continue;
      return {"closed", at, label};
    }
  }
  return {};
}

Stage SignedTermSheet(const MessageView& view) {
  for (size_t sheet = TermSheetAt(view); sheet != kNpos; sheet = TermSheetAt(view, sheet + 1)) {
    Span span = SentenceAt(view.text, sheet);
    std::string_view part = std::string_view(view.lower).substr(span.begin, span.end - span.begin);
    for (std::string_view verb : {"signed", "countersigned", "executed"}) {
      size_t at = FindPhrase(part, verb);
      if (at != kNpos && FactualVerb(view, span.begin + at)) {
        return {"term_sheet_signed", sheet, "Signed"};
      }
    }
  }
  return {};
}

Stage DebtOrGrant(const MessageView& view) {
  size_t facility = FindFirst(view.lower, {"facility", "credit line", "venture debt", "term loan"});
  if (facility != kNpos && !SentenceHas(view, facility, {"indicative", "subject to"})) {
    for (std::string_view verb : {"closed", "funded", "signed", "drawn"}) {
      size_t at = FindPhrase(view.lower, verb);
      if (at != kNpos && FactualVerb(view, at) &&
          SentenceHas(view, at, {"facility", "loan", "debt", "credit"})) {
        return {"debt", facility, "Closed"};
      }
    }
  }
  size_t grant = FindPhrase(view.lower, "grant");
  if (grant != kNpos && !InQuotes(view.text, grant) &&
      FindFirst(view.lower, {"awarded", "successful", "won", "we are pleased", "pleased to"}) !=
          kNpos) {
    return {"grant", grant, "Awarded"};
  }
  return {};
}

// A term sheet received: a non-negated mention with an amount in a factual clause nearby.
Stage ReceivedTermSheet(const MessageView& view) {
  for (size_t sheet = TermSheetAt(view); sheet != kNpos; sheet = TermSheetAt(view, sheet + 1)) {
    if (NegatedBefore(view.lower, sheet, 3) || InQuotes(view.text, sheet)) continue;
    return {"term_sheet_received", sheet, ""};
  }
  return {};
}

Stage FindStage(const MessageView& view) {
  Stage stage = ClosedRound(view);
  if (!stage.name) stage = SignedTermSheet(view);
  if (!stage.name) stage = DebtOrGrant(view);
  if (!stage.name) stage = ReceivedTermSheet(view);
  return stage;
}

struct Terms {
  std::optional<Amount> amount;
  std::optional<Amount> valuation;
  std::string basis;  // "pre" or "post"
};

// "pre-money", "pre", "post", "post-money", "post cap", "valuation", "cap" after an amount.
std::string ValuationBasis(std::string_view lower, size_t end) {
  if (FollowedBy(lower, end, {"pre"})) return "pre";
  if (FollowedBy(lower, end, {"post"})) return "post";
  if (FollowedBy(lower, end, {"valuation", "cap"})) return "valuation";
  return "";
}

// A bare number followed by "pre"/"post" ("€8m at 32 pre"): the valuation in the amount's
// magnitude and currency.
std::optional<Amount> BareValuation(const MessageView& view, const Amount& amount,
                                    std::string* basis) {
  size_t from = amount.end;
  Span sentence = SentenceAt(view.text, amount.begin);
  for (size_t at = from; at < sentence.end && at < from + 40; ++at) {
    if (!ascii::IsDigit(view.lower[at]) || ascii::IsAlnum(view.lower[at - 1])) continue;
    AmountMatch match = *ReadAmount(view.lower, at);
    std::string found = ValuationBasis(view.lower, match.end);
    if (found != "pre" && found != "post") return std::nullopt;
    double value = match.value;
    if (!match.has_suffix && amount.value >= 1e6 && value < 1000) value *= 1e6;
    *basis = found;
    return Amount{value, at, match.end, amount.currency, true};
  }
  return std::nullopt;
}

// Where the amount of a term sheet may stand: the mention's sentence and its neighbours, or
// the whole body when the mention is the e-mail's subject.
Span TermsWindow(const MessageView& view, size_t anchor) {
  Span sentence = SentenceAt(view.text, anchor);
  if (sentence.begin == 0 && view.text.starts_with("Subject:")) return {0, view.text.size()};
  Span window = sentence;
  if (sentence.begin > 2) window.begin = SentenceAt(view.text, sentence.begin - 2).begin;
  if (sentence.end + 1 < view.text.size()) window.end = SentenceAt(view.text, sentence.end + 1).end;
  return window;
}

bool ValuedBefore(std::string_view lower, size_t begin) {
  size_t from = begin > 14 ? begin - 14 : 0;
  return FindFirst(lower.substr(from, begin - from), {"valuation of", "valued at"}) != kNpos;
}

// The amount nearest the anchor (its sentence first unless `received`), and the valuation.
Terms ReadTerms(const MessageView& view, size_t anchor, const std::string& stage) {
  Terms terms;
  std::vector<Amount> candidates;
  for (const Amount& amount : FindMoney(view.text)) {
    std::string basis = ValuationBasis(view.lower, amount.end);
    if (!basis.empty() || ValuedBefore(view.lower, amount.begin)) {
      if (!terms.valuation) {
        terms.valuation = amount;
        terms.basis = basis == "valuation" ? "" : basis;
      }
      continue;
    }
    bool conditional =
        stage != "grant" && IsConditional(view.lower, ClauseAt(view.text, amount.begin));
    if (!FollowedBy(view.lower, amount.end, {"arr", "mrr", "acv", "in revenue", "gmv"}) &&
        !InQuotes(view.text, amount.begin) && !conditional) {
      candidates.push_back(amount);
    }
  }
  if (stage == "term_sheet_received") {
    terms.amount = NearestMoney(candidates, TermsWindow(view, anchor), anchor, 400);
  } else {
    terms.amount = NearestMoney(candidates, SentenceAt(view.text, anchor), anchor, 200);
    if (!terms.amount)
      terms.amount = NearestMoney(candidates, Span{0, view.text.size()}, anchor, 300);
  }
  if (terms.amount && !terms.valuation) {
    terms.valuation = BareValuation(view, *terms.amount, &terms.basis);
  }
  return terms;
}

// "led by X", "X led with", "signed the X term sheet", else the investor sending the terms.
std::string LeadInvestor(const MessageView& view, const Stage& stage) {
  size_t led_by = FindPhrase(view.lower, "led by");
  if (led_by != kNpos) {
    std::string lead = CapitalizedAfter(view.text, led_by + 6);
    if (!lead.empty()) return lead;
  }
  for (std::string_view verb : {"led with", "is leading", "leads the", "led the"}) {
    size_t at = FindPhrase(view.lower, verb);
    if (at == kNpos) continue;
    std::string lead = CapitalizedBefore(view.text, at);
    if (!lead.empty()) return lead;
  }
  if (stage.name == std::string_view("term_sheet_signed")) {
    std::string lead = CapitalizedBefore(view.text, stage.at);
    if (!lead.empty() && FindRound(ascii::Lower(lead)).empty()) return lead;
  }
  return stage.name == std::string_view("term_sheet_received") ? InvestorName(view) : "";
}

std::string FundingTitle(const Stage& stage, const Terms& terms, const std::string& round,
                         const std::string& lead) {
  std::string money =
      terms.amount ? FormatMetricValue(terms.amount->value, terms.amount->currency) : "";
  std::string what = round.empty() ? "funding round" : RoundLabel(round);
  std::string stage_name = stage.name;
  std::string title;
  if (stage_name == "debt") return "Closed " + money + (money.empty() ? "" : " ") + "debt facility";
  if (stage_name == "grant") return "Awarded " + money + (money.empty() ? "" : " ") + "grant";
  if (stage_name == "term_sheet_received") {
    title = "Term sheet" + (lead.empty() ? "" : " from " + lead) + " for " + money + " " +
            (round.empty() ? "investment" : RoundLabel(round));
  } else if (stage_name == "term_sheet_signed") {
    title = "Signed term sheet for " + money + (money.empty() ? "" : " ") + what;
  } else {
    title = stage.verb + (money.empty() ? "" : " " + money) + " " + what;
  }
  if (terms.valuation) {
    title += " at " + FormatMetricValue(terms.valuation->value, terms.valuation->currency) +
             (terms.basis.empty() ? " valuation" : " " + terms.basis + "-money");
  }
  if (!lead.empty() && stage_name != "term_sheet_received") title += " led by " + lead;
  return title;
}

void FundingMetrics(const Stage& stage, const Terms& terms, const std::string& round,
                    const std::string& lead, ExtractedEvent* event) {
  event->metrics["stage"] = stage.name;
  if (!round.empty()) event->metrics["round"] = round;
  if (terms.amount) {
    event->metrics["amount"] = FormatNumber(terms.amount->value);
    event->metrics["currency"] = terms.amount->currency;
    if (terms.amount->currency == "USD")
      event->metrics["amount_usd"] = FormatNumber(terms.amount->value);
  }
  if (terms.valuation) {
    event->metrics["valuation"] = FormatNumber(terms.valuation->value);
    if (!terms.basis.empty()) event->metrics["valuation_basis"] = terms.basis;
    if (terms.valuation->currency == "USD") {
      event->metrics["valuation_usd"] = FormatNumber(terms.valuation->value);
    }
  }
  if (!lead.empty()) {
    event->metrics["lead_investor"] = Clean(lead, 80);
    event->stakeholders.push_back(Clean(lead, 80));
  }
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
  for (size_t at = FindPhrase(lower, "series"); at != kNpos;
       at = FindPhrase(lower, "series", at + 1)) {
    size_t letter = at + 7;
    if (letter < lower.size() && lower[at + 6] == ' ' && lower[letter] >= 'a' &&
        lower[letter] <= 'h' &&
        (letter + 1 == lower.size() || !ascii::IsAlnum(lower[letter + 1]))) {
      if (where) *where = at;
      return "series_" + std::string(1, lower[letter]);
    }
  }
  constexpr std::pair<std::string_view, const char*> kRounds[] = {{"pre-seed", "pre_seed"},
                                                                  {"seed round", "seed"},
                                                                  {"bridge round", "bridge"},
                                                                  {"seed", "seed"},
                                                                  {"bridge", "bridge"}};
  for (auto [phrase, round] : kRounds) {
    size_t at = FindPhrase(lower, phrase);
    if (at == kNpos || lower.substr(at + phrase.size()).starts_with("-stage")) continue;
    if (where) *where = at;
    return round;
  }
  return "";
}

Detection DetectFunding(const MessageView& view) {
  Stage stage = FindStage(view);
  if (!stage.name) return std::nullopt;
  std::string stage_name = stage.name;
  size_t round_at = kNpos;
  std::string round =
      stage_name == "debt" || stage_name == "grant" ? "" : FindRound(view.lower, &round_at);
  bool received = stage_name == "term_sheet_received";
  size_t anchor = stage.at;
  if (round_at != kNpos &&
      SentenceAt(view.text, round_at).begin == SentenceAt(view.text, anchor).begin) {
    anchor = round_at;
  }
  Terms terms = ReadTerms(view, anchor, stage_name);
  if (received && !terms.amount) return std::nullopt;  // a term sheet without terms
  if (stage_name == "closed" && round.empty() && !terms.amount) return std::nullopt;
  std::string lead = LeadInvestor(view, stage);
  // A round closed or a term sheet signed is high; so is a priced term sheet (amount and
  // valuation stated): the company has an offer it can sign. Grants and debt are medium.
  bool high = stage_name == "closed" || stage_name == "term_sheet_signed" ||
              (received && terms.amount && terms.valuation);
  ExtractedEvent event = NewEvent("funding", high ? "high" : "medium",
                                  FundingTitle(stage, terms, round, lead), view, stage.at);
  FundingMetrics(stage, terms, round, lead, &event);
  return event;
}

}  // namespace ms::rules
