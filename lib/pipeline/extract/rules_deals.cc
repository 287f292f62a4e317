// Enterprise deals: a signed contract stated in chat ("Acme signed!!", "paper's back from Acme",
// "contract came back signed"), an e-signature completion notice, or a customer's purchase
// order; with counterparty, annual value, currency, term and seats.
#include <algorithm>
#include <cmath>

#include "pipeline/extract/rules_detectors.h"
#include "pipeline/ledger/metric_vocab.h"
#include "pipeline/text/amount.h"
#include "pipeline/text/ascii.h"

namespace ms::rules {
namespace {

constexpr size_t kNpos = std::string_view::npos;

// "signed" used as an adjective ("a signed SLA", "the final signed report") or a request,
// not as the news.
bool AdjectiveUse(std::string_view lower, size_t at) {
  std::string_view before = lower.substr(0, at);
  if (before.ends_with("a ") || before.ends_with("the ") || before.ends_with("an ") ||
      before.ends_with("your ")) {
    return true;
  }
  size_t next = lower.find_first_not_of(' ', lower.find(' ', at));
  if (next == kNpos || !ascii::IsAlpha(lower[next])) return false;
  size_t end = next;
  while (end < lower.size() && ascii::IsAlpha(lower[end])) ++end;
  std::string_view word = lower.substr(next, end - next);
  constexpr std::string_view kNouns[] = {"report", "copy",     "pdf",  "version", "sla",
                                         "nda",    "document", "form", "letter",  "offer"};
  return std::find(std::begin(kNouns), std::end(kNouns), word) != std::end(kNouns);
}

// The signing is someone else's business here: a term sheet (funding) or a partnership.
bool OtherKindOfSigning(const MessageView& view, size_t at) {
  Span clause = ClauseAt(view.text, at);
  std::string_view part =
      std::string_view(view.lower).substr(clause.begin, clause.end - clause.begin);
  if (FindFirst(part, {"term sheet", "termsheet", "partnership", "partner", "nda", "lease",
                       "offer letter", "bridge", "safe", "safes"}) != kNpos) {
    return true;
  }
  return FindPhrase(std::string_view(view.text).substr(clause.begin, clause.end - clause.begin),
                    "TS") != kNpos;
}

size_t SigningAt(const MessageView& view) {
  constexpr std::string_view kVerbs[] = {"signed",
                                         "countersigned",
                                         "completed by all recipients",
                                         "signed by all recipients",
                                         "signed and filed",
                                         "document has been completed",
                                         "agreement completed",
                                         "document completed",
                                         "paper's back",
                                         "paper is back",
                                         "papers are back",
                                         "agreed to a",
                                         "agreed to an",
                                         "closed the deal",
                                         "closed a deal",
                                         "deal closed",
                                         "won the deal",
                                         "executed"};
  size_t best = kNpos;
  for (std::string_view verb : kVerbs) {
    for (size_t at = FindPhrase(view.lower, verb); at != kNpos && at < best;
         at = FindPhrase(view.lower, verb, at + 1)) {
      if (AdjectiveUse(view.lower, at) || !IsFactual(view, at) || OtherKindOfSigning(view, at)) {
        continue;
      }
      best = at;
      break;
    }
  }
  return best;
}

// A customer's purchase order for the product ("purchase order ... for the paid evaluation").
size_t PurchaseOrderAt(const MessageView& view) {
  size_t at = FindPhrase(view.lower, "purchase order");
  if (at == kNpos || !IsFactual(view, at)) return kNpos;
  bool ours =
      FindFirst(view.lower, {"evaluation", "subscription", "licence", "license", "seats", "pilot",
                             "rollout", "deployment", "clinicians", "users"}) != kNpos;
  return ours && !FindMoney(view.text).empty() ? at : kNpos;
}

bool DealContext(const MessageView& view) {
  if (FindFirst(view.lower, {"unpaid", "free pilot", "free trial", "no charge"}) != kNpos) {
    return false;  // nothing commercial
  }
  return !FindMoney(view.text).empty() ||
         FindFirst(view.lower, {"contract", "agreement", "subscription", "licence", "license",
                                "seats", "acv", "arr", "deal", "order", "commitment", "renewal",
                                "customer", "logo", "term", "yr", "year", "month"}) != kNpos;
}

std::string TitleCase(std::string name) {
  bool all_caps =
      std::none_of(name.begin(), name.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  if (!all_caps) return name;
  bool start = true;
  for (char& c : name) {
    if (!start && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    start = c == ' ' || c == '-';
  }
  return name;
}

// "X - Y Agreement" in an e-signature notice, where Y is the company: X.
std::string DocumentParty(const MessageView& view) {
  for (size_t at = view.text.find(" - "); at != kNpos; at = view.text.find(" - ", at + 1)) {
    std::string left = CapitalizedBefore(view.text, at);
    std::string right = CapitalizedAfter(view.text, at + 3);
    if (left.empty() || right.empty() || view.company_key.empty()) continue;
    if (NameKey(right).starts_with(view.company_key)) return left;
  }
  return "";
}

// The name before the signing phrase ("Mercy Ridge Medical Group signed", "SAINT BRENDAN IS
// SIGNED", "Cedar Valley contract came back signed") or after it ("paper's back from X").
std::string SignerAround(const MessageView& view, size_t at) {
  std::string_view lower = view.lower;
  size_t subject_end = at;
  for (bool moved = true; moved;) {
    moved = false;
    while (subject_end > 0 && lower[subject_end - 1] == ' ') --subject_end;
    for (std::string_view filler : {"is", "has", "have", "just", "officially", "contract",
                                    "came back", "agreement", "deal", "finally"}) {
      if (subject_end >= filler.size() &&
          lower.substr(subject_end - filler.size(), filler.size()) == filler &&
          (subject_end == filler.size() || lower[subject_end - filler.size() - 1] == ' ')) {
        subject_end -= filler.size();
        moved = true;
      }
    }
  }
  std::string name = CapitalizedBefore(view.text, subject_end);
  if (!name.empty() && NameKey(name) != "it" && !NameKey(name).starts_with(view.company_key)) {
    return TitleCase(name);
  }
  size_t from = FindPhrase(lower.substr(at, 40), "from");
  if (from != kNpos) return CapitalizedAfter(view.text, at + from + 4);
  size_t next = at;
  while (next < view.text.size() && !(view.text[next] >= 'A' && view.text[next] <= 'Z')) ++next;
  if (next > at + 40) return "";
  std::string after = CapitalizedAfter(view.text, next);
  size_t end = next + after.size();
  return end < view.text.size() && view.text[end] == ':' ? after : "";
}

// The organisation closing an e-mail's signature: "..., Head of Digital, Ravensmoor NHS
// Foundation Trust" -> "Ravensmoor NHS Foundation Trust".
std::string SignatureOrganisation(std::string_view text) {
  size_t comma = text.rfind(", ");
  if (comma == kNpos) return "";
  std::string_view last = ascii::Trim(text.substr(comma + 2));
  while (!last.empty() && last.back() == '.') last.remove_suffix(1);
  std::string name = CapitalizedAfter(last, 0);
  if (name.size() != last.size()) return "";
  constexpr std::string_view kSuffixes[] = {
      "Trust",    "Health",  "Group",      "Inc",      "Ltd",        "LLC",
      "District", "Council", "University", "Hospital", "Foundation", "Bank",
      "plc",      "GmbH",    "Corp",       "Company",  "Authority",  "System"};
  for (std::string_view suffix : kSuffixes) {
    if (std::string_view(name).ends_with(suffix)) return name;
  }
  return "";
}

std::string DealCounterparty(const MessageView& view, size_t trigger) {
  std::string name = DocumentParty(view);
  if (!name.empty()) return name;
  for (std::string_view with : {"signed with", "deal with", "contract with", "agreement with"}) {
    size_t at = FindPhrase(view.lower, with);
    if (at == kNpos) continue;
    name = CapitalizedAfter(view.text, at + with.size());
    if (!name.empty()) return name;
  }
  for (std::string_view verb : {"agreed", "signed a", "signed an", "signed the", "signed our"}) {
    size_t at = FindPhrase(view.lower, verb);
    if (at == kNpos) continue;
    name = CapitalizedBefore(view.text, at);
    if (!name.empty()) return name;
  }
  size_t signed_at = FindPhrase(view.lower, "contract signed");
  if (signed_at != kNpos) {
    size_t end = signed_at;
    while (end > 0 && (view.text[end - 1] == ' ' || view.text[end - 1] == '-')) --end;
    name = CapitalizedBefore(view.text, end);
    if (!name.empty()) return name;
  }
  name = SignerAround(view, trigger);
  return name.empty() && view.email ? SignatureOrganisation(view.text) : name;
}

std::optional<double> TermYears(std::string_view lower) {
  constexpr std::pair<std::string_view, double> kUnits[] = {
      {"-year", 1}, {" year", 1},         {"-yr", 1},
      {" yr", 1},   {"-month", 1.0 / 12}, {" month", 1.0 / 12}};
  constexpr std::pair<std::string_view, double> kWords[] = {
      {"one", 1}, {"two", 2}, {"three", 3}, {"four", 4}, {"five", 5}, {"six", 6}, {"twelve", 12}};
  for (auto [unit, scale] : kUnits) {
    for (size_t at = lower.find(unit); at != kNpos; at = lower.find(unit, at + 1)) {
      size_t begin = at;
      while (begin > 0 && ascii::IsDigit(lower[begin - 1])) --begin;
      if (begin < at && (begin == 0 || !ascii::IsAlnum(lower[begin - 1]))) {
        return ParseAmount(lower.substr(begin, at - begin)).value_or(0) * scale;
      }
      for (auto [word, value] : kWords) {
        if (lower.substr(0, at).ends_with(word)) return value * scale;
      }
    }
  }
  return std::nullopt;
}

struct DealValue {
  std::optional<Amount> annual;  // per year ("$210k ARR", "NOK 2.1m/yr", "$14k/month" x 12)
  std::optional<Amount> total;   // a one-off or total value
};

// The deal's figures stand in the sentence of the signing or the next one.
DealValue ReadDealValue(const MessageView& view, size_t trigger) {
  DealValue value;
  Span window = SentenceAt(view.text, trigger);
  if (window.end + 1 < view.text.size()) window.end = SentenceAt(view.text, window.end + 1).end;
  if (window.begin == 0 && view.text.starts_with("Subject:")) window.end = view.text.size();
  for (const Amount& amount : FindMoney(view.text)) {
    if (amount.begin < window.begin || amount.end > window.end) continue;
    std::string_view next = std::string_view(view.lower).substr(amount.end, 32);
    if (FindFirst(next, {"facility", "loan", "round", "series", "seed", "grant", "valuation",
                         "funding", "raise"}) != kNpos) {
      continue;  // money of another kind in the same sentence
    }
    std::string_view after = std::string_view(view.lower).substr(amount.end, 24);
    bool yearly = FindFirst(after, {"acv", "arr", "annual", "per year", "a year", "over the year",
                                    "/yr", "/year", "yr"}) != kNpos ||
                  after.starts_with("/yr");
    bool monthly =
        FindFirst(after, {"a month", "per month", "/month", "/mo", "monthly"}) != kNpos ||
        after.starts_with("/mo");
    if ((yearly || monthly) && !value.annual) {
      value.annual = amount;
      if (monthly && !yearly) value.annual->value *= 12;
    } else if (!yearly && !monthly && !value.total) {
      value.total = amount;
    }
  }
  return value;
}

const char* DealSeverity(const MessageView& view, const DealValue& value) {
  if (FindFirst(view.lower, {"biggest deal", "largest deal", "biggest logo", "largest contract",
                             "biggest contract", "biggest thing"}) != kNpos) {
    return "high";
  }
  double annual = value.annual ? RoughUsd(value.annual->value, value.annual->currency) : 0;
  double total = value.total ? RoughUsd(value.total->value, value.total->currency) : 0;
  return annual >= 300000 || total >= 1000000 ? "high" : "medium";
}

}  // namespace

Detection DetectEnterpriseDeal(const MessageView& view) {
  size_t trigger = SigningAt(view);
  bool purchase_order = false;
  if (trigger == kNpos) {
    trigger = PurchaseOrderAt(view);
    purchase_order = trigger != kNpos;
  }
  if (trigger == kNpos || !DealContext(view)) return std::nullopt;
  std::string counterparty = Clean(DealCounterparty(view, trigger), 80);
  // A deal is a fact about a named customer: "signed an enterprise contract" with nobody named
  // (a summary restating deals told elsewhere) cannot be told apart from any other.
  if (counterparty.empty()) return std::nullopt;
  DealValue value = ReadDealValue(view, trigger);
  double seats = 0;
  size_t seats_at = FindPhrase(view.lower, "seats");
  if (seats_at != kNpos) {
    if (auto counted = CountBefore(view.lower, seats_at, 1)) seats = counted->value;
  }
  auto years = TermYears(view.lower);
  std::string title = "Signed";
  if (years && *years >= 1) title += " " + FormatNumber(*years) + "-year";
  title += counterparty.empty() ? " enterprise contract" : " contract with " + counterparty;
  if (purchase_order) {
    title = "Purchase order" + (counterparty.empty() ? std::string() : " from " + counterparty);
  }
  const std::optional<Amount>& shown = value.annual ? value.annual : value.total;
  if (shown) {
    title += ", " + FormatMetricValue(shown->value, shown->currency) + (value.annual ? "/yr" : "");
  }
  if (seats > 0) title += ", " + FormatCount(seats) + " seats";
  ExtractedEvent event =
      NewEvent("enterprise_deal", DealSeverity(view, value), title, view, trigger);
  if (value.annual) {
    event.metrics["acv"] = FormatNumber(std::round(value.annual->value));
    event.metrics["currency"] = value.annual->currency;
    if (value.annual->currency == "USD") event.metrics["acv_usd"] = event.metrics["acv"];
  }
  if (value.total) {
    event.metrics["amount"] = FormatNumber(value.total->value);
    if (!value.annual) event.metrics["currency"] = value.total->currency;
    if (value.total->currency == "USD") event.metrics["amount_usd"] = event.metrics["amount"];
  }
  if (seats > 0) event.metrics["seats"] = FormatNumber(seats);
  if (years) event.metrics["term_years"] = FormatNumber(*years);
  if (!counterparty.empty()) {
    event.metrics["counterparty"] = counterparty;
    event.stakeholders.push_back(counterparty);
  }
  return event;
}

}  // namespace ms::rules
