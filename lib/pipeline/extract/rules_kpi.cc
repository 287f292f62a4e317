// KPI observations: money and percentage metrics of a report ("ARR £1.42m", "GMV: two hundred
// twenty-one thousand", "NRR 131%") and the message-level gates every observation passes.
#include "pipeline/extract/rules_kpi.h"

#include <algorithm>
#include <cmath>

#include "pipeline/extract/rules_detectors.h"
#include "pipeline/text/ascii.h"

namespace ms::rules {
namespace {

constexpr size_t kNpos = std::string_view::npos;

struct MetricWord {
  std::string_view word;
  const char* metric;
  bool strict;  // needs a linking word ("revenue of/hit/was $X", "revenue: $X")
};

constexpr MetricWord kMoneyWords[] = {{"arr", "arr", false},
                                      {"annual recurring revenue", "arr", false},
                                      {"mrr", "mrr", false},
                                      {"monthly recurring revenue", "mrr", false},
                                      {"gmv", "gmv", false},
                                      {"gross merchandise value", "gmv", false},
                                      {"net revenue", "revenue", false},
                                      {"net rev", "revenue", false},
                                      {"revenue", "revenue", true}};

// Words that may stand between a metric and its figure: "ARR just crossed $4M", "GMV: $1.07M".
bool IsLinkWord(std::string_view word) {
  constexpr std::string_view kLinks[] = {
      "is",     "was",    "at",     "of",     "hit",   "hits", "reached", "crossed",   "passed",
      "past",   "topped", "now",    "just",   "to",    "came", "in",      "finally",   "total",
      "stands", "stood",  "landed", "closed", "ended", "up",   "over",    "officially"};
  for (std::string_view link : kLinks) {
    if (word == link) return true;
  }
  return false;
}

// Only link words, spaces and light punctuation in lower[begin, end).
bool OnlyLinks(std::string_view lower, size_t begin, size_t end, bool strict) {
  bool linked = false;
  size_t at = begin;
  while (at < end) {
    char c = lower[at];
    if (c == ' ' || c == '~' || c == '=' || c == '-') {
      ++at;
      continue;
    }
    if (c == ':') {
      linked = true;
      ++at;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) {  // emoji between metric and figure
      ++at;
      continue;
    }
    size_t word_end = at;
    while (word_end < end && ascii::IsAlpha(lower[word_end])) ++word_end;
    if (word_end == at || !IsLinkWord(lower.substr(at, word_end - at))) return false;
    linked = true;
    at = word_end;
  }
  return linked || !strict;
}

// A qualifier that makes the metric a part, not the company's figure: "hw rev", "expansion
// revenue", "new ARR".
bool Qualified(std::string_view lower, size_t at) {
  constexpr std::string_view kQualifiers[] = {
      "hw",    "hardware", "expansion", "new",     "net new", "services", "product",
      "added", "pipeline", "exit",      "implied", "deal",    "one-off",  "contribution"};
  std::string_view before = lower.substr(0, at);
  while (!before.empty() && before.back() == ' ') before.remove_suffix(1);
  for (std::string_view word : kQualifiers) {
    if (before.ends_with(word) && (before.size() == word.size() ||
                                   !ascii::IsAlnum(before[before.size() - word.size() - 1]))) {
      return true;
    }
  }
  return false;
}

// The figure tied to the metric word at [at, at + size): right after it across link words, or
// right before it ("£2m ARR", "$75k in revenue").
std::optional<Amount> LinkedFigure(const MessageView& view, const std::vector<Amount>& figures,
                                   size_t at, size_t size, bool strict) {
  Span sentence = SentenceAt(view.text, at);
  for (const Amount& figure : figures) {
    if (figure.begin < sentence.begin || figure.end > sentence.end) continue;
    if (figure.begin >= at + size && figure.begin - (at + size) <= 32 &&
        OnlyLinks(view.lower, at + size, figure.begin, strict)) {
      return figure;
    }
    if (figure.end <= at && at - figure.end <= 4) {
      std::string_view gap = std::string_view(view.lower).substr(figure.end, at - figure.end);
      if (!strict ? ascii::Trim(gap).empty() : gap == " in ") return figure;
    }
  }
  return std::nullopt;
}

bool WeeklyReport(const MessageView& view, size_t at) {
  std::string_view before = std::string_view(view.lower).substr(0, SentenceAt(view.text, at).end);
  if (FindFirst(before, {"a month", "monthly", "per month", "/mo"}) != kNpos) return false;
  return FindFirst(before, {"wk", "week", "weekly", "wow", "w/e", "weekly gmv"}) != kNpos;
}

// The message opens with a signed deal ("it's signed 🔔 Harcourt: ... £310k ARR"): its later
// figures are the deal's.
bool DealMessage(const MessageView& view) {
  Span first = SentenceAt(view.text, 0);
  std::string_view part = std::string_view(view.lower).substr(first.begin, first.end - first.begin);
  return FindFirst(part, {"signed", "contract", "agreement", "deal"}) != kNpos;
}

double SignificantScale(double value) {
  return value <= 0 ? 1 : std::pow(10.0, std::floor(std::log10(value)) - 1);
}

}  // namespace

bool NotOwnFigure(const MessageView& view, size_t at) {
  Span sentence = SentenceAt(view.text, at);
  std::string_view part =
      std::string_view(view.lower).substr(sentence.begin, sentence.end - sentence.begin);
  bool first_person = HasFirstPerson(view.lower, sentence);
  if (IsCommentary(view.lower, sentence) && !first_person) return true;
  if (FindPhrase(part, "your") != kNpos && !first_person) return true;  // an investor quoting
  if (FindFirst(part, {"contract", "commitment", "deal", "signed", "signs", "acv", "agreement"}) !=
      kNpos) {
    return true;  // a customer's contract value
  }
  if (DealMessage(view) && !first_person &&
      FindFirst(part, {"total", "company", "overall", "now at", "we're at"}) == kNpos) {
    return true;  // the figures of a deal announced earlier in the message
  }
  std::string_view before =
      std::string_view(view.lower).substr(sentence.begin, at - sentence.begin);
  if (before.ends_with("first ") || before.ends_with("first-ever ")) return true;  // a mark
  return !IsFactual(view, at) || IsProjection(view.lower, ClauseAt(view.text, at));
}

double RefineRoundFigure(const std::vector<Amount>& figures, const Amount& mark) {
  // A restatement right after the mark is the precise figure: "two hundred twenty-one thousand
  // (221.4k)".
  for (const Amount& later : figures) {
    if (later.begin <= mark.end || later.begin > mark.end + 12) continue;
    if (later.value >= mark.value * 0.95 && later.value <= mark.value * 1.05) return later.value;
  }
  double scale = SignificantScale(mark.value);
  if (std::fabs(mark.value / scale - std::round(mark.value / scale)) > 1e-9) return mark.value;
  for (const Amount& later : figures) {
    if (later.begin <= mark.begin) continue;
    if (!later.currency.empty() && !mark.currency.empty() && later.currency != mark.currency) {
      continue;
    }
    if (later.value > mark.value && later.value <= mark.value * 1.1) return later.value;
  }
  return mark.value;
}

void AddObservation(Observations* out, std::string_view metric, double value, std::string unit) {
  for (const ExtractedObservation& seen : *out) {
    if (seen.metric == metric) return;  // one per metric per message: the first one
  }
  double rounded = std::round(value * 1e4) / 1e4;  // "1.18" * 1e6 is 1180000, not 1179999.99
  out->push_back({std::string(metric), rounded, std::move(unit), 0});
}

namespace {

void MoneyObservations(const MessageView& view, Observations* out) {
  std::vector<Amount> figures = FindFigures(view.text);
  std::string fallback = MainCurrency(view.text);
  for (const MetricWord& metric : kMoneyWords) {
    for (size_t at = FindPhrase(view.lower, metric.word); at != kNpos;
         at = FindPhrase(view.lower, metric.word, at + 1)) {
      if (Qualified(view.lower, at)) continue;
      auto figure = LinkedFigure(view, figures, at, metric.word.size(), metric.strict);
      if (!figure || NotOwnFigure(view, figure->begin) || NotOwnFigure(view, at)) continue;
      std::string name = metric.metric;
      if (name == "gmv" && WeeklyReport(view, at)) name = "gmv_weekly";
      std::string currency = figure->currency.empty() ? fallback : figure->currency;
      AddObservation(out, name, RefineRoundFigure(figures, *figure), currency);
      break;
    }
  }
}

void PercentObservations(const MessageView& view, Observations* out) {
  struct PercentWord {
    std::string_view word;
    const char* metric;
  };
  constexpr PercentWord kWords[] = {
      {"nrr", "nrr"},     {"net revenue retention", "nrr"}, {"net retention", "nrr"},
      {"ndr", "nrr"},     {"net dollar retention", "nrr"},  {"gross margin", "gross_margin"},
      {"churn", "churn"}, {"churn rate", "churn"}};
  for (const PercentWord& metric : kWords) {
    for (size_t at = FindPhrase(view.lower, metric.word); at != kNpos;
         at = FindPhrase(view.lower, metric.word, at + 1)) {
      if (Qualified(view.lower, at) || NotOwnFigure(view, at)) continue;
      size_t end = at + metric.word.size();
      Span sentence = SentenceAt(view.text, at);
      size_t window = sentence.end > end ? std::min<size_t>(sentence.end - end, 30) : 0;
      auto pct = PercentAfter(view.lower, end, window);
      if (!pct) pct = PercentBefore(view.lower, at, 4);
      if (!pct) continue;
      AddObservation(out, metric.metric, *pct, "pct");
      break;
    }
  }
}

}  // namespace

std::vector<ExtractedObservation> DetectObservations(const MessageView& view) {
  Observations out;
  if (IsUnreal(view) || IsInjection(view)) return out;
  MoneyObservations(view, &out);
  PercentObservations(view, &out);
  CountObservations(view, !out.empty(), &out);
  return out;
}

}  // namespace ms::rules
