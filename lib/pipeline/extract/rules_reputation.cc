// Reputation-side detectors: media coverage, technical achievements (peer-reviewed results,
// measured improvements), customer outcomes.
#include <algorithm>

#include "pipeline/extract/rules_detectors.h"
#include "pipeline/text/amount.h"
#include "pipeline/text/ascii.h"

namespace ms::rules {
namespace {

constexpr size_t kNpos = std::string_view::npos;

constexpr std::string_view kOutlets[] = {
    "techcrunch",      "forbes",           "bloomberg",           "reuters", "the verge", "wired",
    "venturebeat",     "business insider", "wall street journal", "wsj",     "cnbc",      "fortune",
    "financial times", "new york times",   "fast company"};

// A well-known outlet with a coverage word in its sentence ("TechCrunch will publish a feature").
size_t KnownOutletAt(const MessageView& view, std::string_view* outlet) {
  size_t best = kNpos;
  for (std::string_view name : kOutlets) {
    size_t at = FindPhrase(view.lower, name);
    if (at < best) {
      best = at;
      *outlet = name;
    }
  }
  if (best == kNpos) return kNpos;
  bool coverage =
      SentenceHasAny(view, best,
                     {"publish", "published", "publishing", "feature", "featured", "featuring",
                      "article", "interview", "interviewed", "coverage", "podcast", "press"});
  return coverage && !SentenceHasAny(view, best, {"feature request"}) ? best : kNpos;
}

// A piece that ran: "<Outlet> story is out", "<Outlet> ran a segment", "<Outlet> quoted X in
// their piece", "we're in the <Outlet>", "featured in <Outlet>". Returns where, and the outlet.
size_t CoverageAt(const MessageView& view, std::string* outlet) {
  const std::string& lower = view.lower;
  for (std::string_view noun : {"story", "piece", "article", "feature", "segment", "profile",
                                "episode", "interview", "op-ed", "write-up"}) {
    for (size_t at = FindPhrase(lower, noun); at != kNpos; at = FindPhrase(lower, noun, at + 1)) {
      std::string_view after = std::string_view(lower).substr(at + noun.size());
      if (!(after.starts_with(" is out") || after.starts_with(" went out") ||
            after.starts_with(" is live") || after.starts_with(" ran") ||
            after.starts_with(" was published") || after.starts_with(" is up"))) {
        continue;
      }
      *outlet = CapitalizedBefore(view.text, at);
      return at;
    }
  }
  for (std::string_view verb :
       {"ran a", "quoted", "featured", "covered", "wrote about us", "profiled"}) {
    size_t at = FindPhrase(lower, verb);
    if (at == kNpos) continue;
    bool piece = SentenceHasAny(view, at,
                                {"segment", "story", "piece", "article", "news", "feature", "show",
                                 "episode", "in their", "newsletter"});
    std::string name = CapitalizedBefore(view.text, at);
    if (!piece || name.empty()) continue;
    *outlet = name;
    return at;
  }
  for (std::string_view phrase :
       {"we're in the", "we are in the", "featured in", "covered by", "front page of"}) {
    size_t at = FindPhrase(lower, phrase);
    if (at == kNpos) continue;
    *outlet = CapitalizedAfter(view.text, at + phrase.size());
    if (!outlet->empty()) return at;
  }
  return kNpos;
}

bool InternalWork(const MessageView& view, size_t pos) {
  return SentenceHasAny(view, pos,
                        {"load test", "synthetic", "simulated", "internal", "eval", "staging",
                         "benchmark", "tokens"});
}

}  // namespace

Detection DetectMediaCoverage(const MessageView& view) {
  std::string_view known;
  size_t anchor = KnownOutletAt(view, &known);
  std::string name = anchor == kNpos ? "" : view.text.substr(anchor, known.size());
  if (anchor == kNpos) {
    anchor = CoverageAt(view, &name);
    if (anchor == kNpos || !IsFactual(view, anchor)) return std::nullopt;
  }
  if (FindFirst(view.lower, {"nothing's out", "not out yet", "before we publish", "fact check",
                             "interview request"}) != kNpos) {
    return std::nullopt;
  }
  name = Clean(name, 60);
  bool minor = SentenceHasAny(view, anchor, {"quoted", "segment", "mention", "mentioned"});
  std::string title = name.empty() ? "Press coverage" : "Coverage in " + name;
  ExtractedEvent event = NewEvent("media_coverage", minor ? "low" : "medium", title, view, anchor);
  if (!name.empty()) {
    event.metrics["outlet"] = name;
    event.stakeholders.push_back(name);
  }
  return event;
}

Detection DetectTechnicalAchievement(const MessageView& view) {
  const std::string& lower = view.lower;
  size_t patent =
      FindFirst(lower, {"patent granted", "patent issued", "granted a patent", "open-sourced",
                        "open sourced", "peer-reviewed", "peer reviewed", "published in"});
  if (patent != kNpos && IsFactual(view, patent) && !SentenceHasAny(view, patent, {"preprint"})) {
    return NewEvent("technical_achievement", "medium", SentenceTitle(view, patent), view, patent);
  }
  for (std::string_view metric :
       {"latency", "p99", "p95", "p50", "uptime", "throughput", "error rate", "response time"}) {
    for (size_t at = FindPhrase(lower, metric); at != kNpos;
         at = FindPhrase(lower, metric, at + 1)) {
      Span span = SentenceAt(view.text, at);
      if (IsConditional(lower, span) || InternalWork(view, at)) continue;
      if (!SentenceHasAny(view, at,
                          {"dropped", "reduced", "cut", "improved", "down to", "decreased",
                           "stabilized", "record", "achieved", "sustained", "faster"})) {
        continue;
      }
      bool number = false;
      for (size_t idx = span.begin; idx < span.end; ++idx) number |= ascii::IsDigit(view.text[idx]);
      if (!number) continue;
      return NewEvent("technical_achievement", "low", SentenceTitle(view, at), view, at);
    }
  }
  return std::nullopt;
}

// A measured outcome at a customer: "documentation time down 41%", "waste is down 22% since we
// switched", "cut onboarding time by 40% with our platform".
size_t OutcomeAt(const MessageView& view) {
  const std::string& lower = view.lower;
  bool customer =
      FindFirst(lower, {"pilot", "readout", "customer", "customers", "since we switched", "results",
                        "review", "with our", "using our", "thanks to our", "case study"}) != kNpos;
  if (!customer) return kNpos;
  for (size_t at = lower.find('%'); at != kNpos; at = lower.find('%', at + 1)) {
    if (at == 0 || !ascii::IsDigit(lower[at - 1]) || InternalWork(view, at)) continue;
    Span clause = ClauseAt(view.text, at);
    std::string_view part = std::string_view(lower).substr(clause.begin, clause.end - clause.begin);
    if (FindFirst(part, {"down", "cut", "reduced", "saved", "increased", "improved", "boosted",
                         "grew", "doubled", "fewer", "less", "faster"}) != kNpos &&
        FindFirst(part, {"cost per", "cheaper", "bps", "tokens", "take rate", "margin"}) == kNpos &&
        IsFactual(view, at)) {
      return at;
    }
  }
  return kNpos;
}

Detection DetectCustomerSuccess(const MessageView& view) {
  const std::string& lower = view.lower;
  size_t story =
      FindFirst(lower, {"customer story", "success story", "case study:", "testimonial"});
  size_t upgrade = FindFirst(lower, {"upgraded to", "renewed", "expanded their"});
  if (upgrade != kNpos &&
      !SentenceHasAny(view, upgrade, {"plan", "tier", "edition", "seats", "contract", "license"})) {
    upgrade = kNpos;
  }
  size_t result = OutcomeAt(view);
  size_t trigger = std::min({story, upgrade, result});
  if (trigger == kNpos || !IsFactual(view, trigger)) return std::nullopt;
  std::string title = SentenceTitle(view, trigger);
  if (trigger == upgrade) {  // "Customer upgraded to the 'Pro' plan"
    Span span = SentenceAt(view.text, upgrade);
    title =
        "Customer " + Clean(std::string_view(view.text).substr(upgrade, span.end - upgrade), 80);
    while (!title.empty() && (title.back() == '.' || title.back() == '!')) title.pop_back();
  }
  ExtractedEvent event = NewEvent("customer_success", "medium", title, view, trigger);
  if (result != kNpos) {
    if (auto pct = PercentBefore(lower, result + 1, 8)) {
      event.metrics["improvement_pct"] = FormatNumber(*pct);
    }
  }
  return event;
}

}  // namespace ms::rules
