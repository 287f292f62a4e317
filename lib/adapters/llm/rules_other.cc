// Product-, market- and reputation-side detectors: launches, partnerships, media coverage,
// market expansion, technical achievements, customer success, other.
#include <algorithm>

#include "adapters/llm/rules_detectors.h"
#include "pipeline/amount.h"
#include "pipeline/ascii.h"

namespace ms::rules {
namespace {

constexpr size_t kNpos = std::string_view::npos;

std::string_view SentenceOf(const MessageView& view, size_t pos) {
  Span span = SentenceAt(view.text, pos);
  return std::string_view(view.text).substr(span.begin, span.end - span.begin);
}

// The sentence around `pos` as a title: no "Subject:" prefix, no final period.
std::string SentenceTitle(const MessageView& view, size_t pos) {
  std::string_view sentence = SentenceOf(view, pos);
  if (sentence.starts_with("Subject: ")) sentence.remove_prefix(9);
  while (!sentence.empty() && sentence.back() == '.') sentence.remove_suffix(1);
  return Clean(sentence, 100);
}

bool SentenceHasAny(const MessageView& view, size_t pos,
                    std::initializer_list<std::string_view> phrases) {
  Span span = SentenceAt(view.text, pos);
  return FindFirst(std::string_view(view.lower).substr(span.begin, span.end - span.begin),
                   phrases) != kNpos;
}

// Words after `pos` up to a preposition or punctuation: "nimbus-labs Orchestrate 2.0".
std::string NameUntilStopWord(std::string_view text, size_t pos) {
  constexpr std::string_view kStops[] = {"to",     "for", "on",   "today", "with",      "in", "at",
                                         "across", "and", "this", "last",  "yesterday", "is"};
  std::vector<std::string_view> words;
  size_t at = pos;
  while (words.size() < 5 && at < text.size()) {
    while (at < text.size() && text[at] == ' ') ++at;
    size_t begin = at;
    while (at < text.size() && text[at] != ' ') ++at;
    std::string_view word = text.substr(begin, at - begin);
    bool last = false;
    while (!word.empty() && (word.back() == '!' || word.back() == ',' || word.back() == ':' ||
                             word.back() == ';' || (word.back() == '.' && at - begin > 1))) {
      word.remove_suffix(1);
      last = true;
    }
    std::string lower = ascii::Lower(word);
    bool stop = false;
    for (std::string_view stop_word : kStops) stop = stop || lower == stop_word;
    if (word.empty() || stop) break;
    words.push_back(word);
    if (last) break;
  }
  std::string out;
  for (std::string_view word : words) out += (out.empty() ? "" : " ") + std::string(word);
  return out;
}

std::string KnownRegion(const MessageView& view) {
  constexpr std::pair<std::string_view, const char*> kRegions[] = {
      {"emea", "EMEA"},
      {"apac", "APAC"},
      {"latam", "LATAM"},
      {"europe", "Europe"},
      {"north america", "North America"},
      {"asia", "Asia"},
      {"uk", "UK"},
      {"germany", "Germany"},
      {"france", "France"},
      {"japan", "Japan"},
      {"india", "India"},
      {"brazil", "Brazil"},
      {"canada", "Canada"},
      {"australia", "Australia"},
      {"singapore", "Singapore"}};
  for (auto [word, label] : kRegions) {
    if (HasPhrase(view.lower, word)) return label;
  }
  return "";
}

}  // namespace

Detection DetectProductLaunch(const MessageView& view) {
  const std::string& lower = view.lower;
  size_t trigger = FindFirst(lower, {"launched", "is live", "now live", "went live", "are live",
                                     "we're live", "generally available", "general availability",
                                     "released", "rolled out", "introducing", "shipped"});
  if (trigger == kNpos || IsConditional(lower, SentenceAt(view.text, trigger))) return std::nullopt;
  if (SentenceHasAny(view, trigger, {"staging", "prototype", "internal", "test", "testing"})) {
    return std::nullopt;
  }
  Span sentence = SentenceAt(view.text, trigger);
  std::string product = QuotedAfter(view.text, sentence.begin, sentence.end - sentence.begin);
  for (std::string_view verb : {"launched", "released", "introducing", "shipped", "rolled out"}) {
    if (!product.empty()) break;
    size_t at = FindPhrase(lower, verb);
    if (at != kNpos) product = NameUntilStopWord(view.text, at + verb.size());
  }
  product = Clean(product, 80);
  bool product_hunt = FindFirst(lower, {"producthunt", "product hunt"}) != kNpos;
  if (product.empty() && !product_hunt) return std::nullopt;
  std::string title = product.empty()
                          ? "Launched on Product Hunt"
                          : "Launched " + product + (product_hunt ? " on Product Hunt" : "");
  ExtractedEvent event = NewEvent("product_launch", "medium", title, view, trigger);
  if (!product.empty()) event.metrics["product"] = product;
  return event;
}

Detection DetectPartnership(const MessageView& view) {
  const std::string& lower = view.lower;
  constexpr std::string_view kWith[] = {"partnership with", "partnered with", "partnering with",
                                        "alliance with", "integration partnership with"};
  size_t trigger = FindFirst(lower, {"partnership with", "partnered with", "partnering with",
                                     "strategic partnership", "alliance with"});
  size_t listed = FindPhrase(lower, "listed on the");
  if (listed != kNpos && lower.find("marketplace", listed) == kNpos) listed = kNpos;
  if (trigger == kNpos) trigger = listed;
  if (trigger == kNpos || IsConditional(lower, SentenceAt(view.text, trigger))) return std::nullopt;
  std::string counterparty;
  for (std::string_view with : kWith) {
    size_t at = FindPhrase(lower, with);
    if (at != kNpos && counterparty.empty()) {
      counterparty = CapitalizedAfter(view.text, at + with.size());
    }
  }
  std::string marketplace = listed == kNpos ? "" : CapitalizedAfter(view.text, listed + 13);
  if (counterparty.empty()) counterparty = marketplace;
  counterparty = Clean(counterparty, 80);
  std::string title = counterparty.empty() ? "New partnership" : "Partnership with " + counterparty;
  if (!marketplace.empty() && marketplace != counterparty) title += ", listed on " + marketplace;
  ExtractedEvent event = NewEvent("partnership", "medium", title, view, trigger);
  if (!counterparty.empty()) {
    event.metrics["counterparty"] = counterparty;
    event.stakeholders.push_back(counterparty);
  }
  return event;
}

Detection DetectMediaCoverage(const MessageView& view) {
  const std::string& lower = view.lower;
  constexpr std::string_view kOutlets[] = {"techcrunch",
                                           "forbes",
                                           "bloomberg",
                                           "reuters",
                                           "the verge",
                                           "wired",
                                           "venturebeat",
                                           "business insider",
                                           "wall street journal",
                                           "wsj",
                                           "cnbc",
                                           "fortune",
                                           "financial times",
                                           "new york times",
                                           "fast company"};
  size_t outlet = kNpos;
  std::string_view outlet_word;
  for (std::string_view name : kOutlets) {
    size_t at = FindPhrase(lower, name);
    if (at < outlet) {
      outlet = at;
      outlet_word = name;
    }
  }
  size_t press = FindFirst(lower, {"featured in", "press release", "press coverage"});
  size_t anchor = outlet != kNpos ? outlet : press;
  if (anchor == kNpos) return std::nullopt;
  // The coverage verb must be in the outlet's sentence ("Feature request" elsewhere is not).
  if (!SentenceHasAny(view, anchor,
                      {"publish", "published", "publishing", "feature", "featured", "featuring",
                       "article", "interview", "interviewed", "coverage", "podcast", "press"}) ||
      SentenceHasAny(view, anchor, {"feature request"})) {
    return std::nullopt;
  }
  std::string name = outlet == kNpos ? "" : view.text.substr(outlet, outlet_word.size());
  std::string title = name.empty() ? "Press coverage" : "Coverage in " + name;
  ExtractedEvent event = NewEvent("media_coverage", "low", title, view, anchor);
  if (!name.empty()) {
    event.metrics["outlet"] = name;
    event.stakeholders.push_back(name);
  }
  return event;
}

Detection DetectMarketExpansion(const MessageView& view) {
  const std::string& lower = view.lower;
  size_t trigger = FindFirst(
      lower, {"opened our", "new office", "office in", "expansion into", "expanding into",
              "expanded into", "expand into", "expansion to", "launched in", "emea expansion",
              "apac expansion", "latam expansion", "international expansion"});
  if (trigger == kNpos || IsConditional(lower, SentenceAt(view.text, trigger))) return std::nullopt;
  std::string city;
  size_t opened = FindPhrase(lower, "opened our");
  if (opened != kNpos) city = CapitalizedAfter(view.text, opened + 10);
  size_t office_in = FindPhrase(lower, "office in");
  if (city.empty() && office_in != kNpos) city = CapitalizedAfter(view.text, office_in + 9);
  std::string region;
  for (std::string_view into : {"expansion into", "expanding into", "expanded into", "expand into",
                                "expansion to", "launched in"}) {
    size_t at = FindPhrase(lower, into);
    if (at != kNpos && region.empty()) region = CapitalizedAfter(view.text, at + into.size());
  }
  if (region.empty()) region = KnownRegion(view);
  city = Clean(city, 60);
  region = Clean(region, 60);
  if (city.empty() && region.empty()) return std::nullopt;
  std::string title =
      city.empty()
          ? "Expansion into " + region
          : "Opened " + city + " office" +
                (region.empty() || region == city ? std::string() : " (" + region + " expansion)");
  ExtractedEvent event = NewEvent("market_expansion", "low", title, view, trigger);
  event.metrics["region"] = city.empty() ? region : city;
  return event;
}

Detection DetectTechnicalAchievement(const MessageView& view) {
  const std::string& lower = view.lower;
  size_t patent = FindFirst(lower, {"patent granted", "patent issued", "granted a patent",
                                    "open-sourced", "open sourced"});
  if (patent != kNpos && !IsConditional(lower, SentenceAt(view.text, patent))) {
    return NewEvent("technical_achievement", "low", SentenceTitle(view, patent), view, patent);
  }
  for (std::string_view metric :
       {"latency", "p99", "p95", "p50", "uptime", "throughput", "error rate", "response time"}) {
    for (size_t at = FindPhrase(lower, metric); at != kNpos;
         at = FindPhrase(lower, metric, at + 1)) {
      Span span = SentenceAt(view.text, at);
      if (IsConditional(lower, span)) continue;
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

Detection DetectCustomerSuccess(const MessageView& view) {
  const std::string& lower = view.lower;
  size_t story =
      FindFirst(lower, {"customer story", "success story", "case study:", "testimonial"});
  size_t upgrade = FindFirst(lower, {"upgraded to", "renewed", "expanded their"});
  if (upgrade != kNpos &&
      !SentenceHasAny(view, upgrade, {"plan", "tier", "edition", "seats", "contract", "license"})) {
    upgrade = kNpos;
  }
  size_t result = kNpos;
  for (size_t at = lower.find('%'); at != kNpos && result == kNpos; at = lower.find('%', at + 1)) {
    if (SentenceHasAny(view, at, {"with our", "using our", "thanks to our"}) &&
        SentenceHasAny(
            view, at,
            {"cut", "reduced", "saved", "increased", "improved", "boosted", "grew", "doubled"})) {
      result = at;
    }
  }
  size_t trigger = std::min({story, upgrade, result});
  if (trigger == kNpos || IsConditional(lower, SentenceAt(view.text, trigger))) return std::nullopt;
  std::string title = SentenceTitle(view, trigger);
  if (trigger == upgrade) {  // "Customer upgraded to the 'Pro' plan"
    Span span = SentenceAt(view.text, upgrade);
    title =
        "Customer " + Clean(std::string_view(view.text).substr(upgrade, span.end - upgrade), 80);
    while (!title.empty() && (title.back() == '.' || title.back() == '!')) title.pop_back();
  }
  ExtractedEvent event = NewEvent("customer_success", "low", title, view, trigger);
  if (result != kNpos) {
    if (auto pct = PercentBefore(lower, result + 1, 8)) {
      event.metrics["improvement_pct"] = FormatNumber(*pct);
    }
  }
  return event;
}

Detection DetectOther(const MessageView& view) {
  size_t trigger = FindFirst(
      view.lower, {"acquired", "acquisition of", "award", "awarded", "product of the day", "ipo"});
  if (trigger == kNpos || IsConditional(view.lower, SentenceAt(view.text, trigger))) {
    return std::nullopt;
  }
  return NewEvent("other", "low", SentenceTitle(view, trigger), view, trigger);
}

}  // namespace ms::rules
