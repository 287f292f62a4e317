// Product-, market- and reputation-side detectors: launches, partnerships, media coverage,
// market expansion, technical achievements, customer success, other.
#include <algorithm>

#include "pipeline/extract/rules_detectors.h"
#include "pipeline/text/amount.h"
#include "pipeline/text/ascii.h"

namespace ms::rules {
namespace {

constexpr size_t kNpos = std::string_view::npos;

// Words after `pos` up to a preposition or punctuation: "nimbus-labs Orchestrate 2.0".
std::string NameUntilStopWord(std::string_view text, size_t pos) {
  constexpr std::string_view kStops[] = {"to",  "on",   "today", "with",      "in", "at", "across",
                                         "and", "this", "last",  "yesterday", "is", "now"};
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
    bool dangling =
        lower == "for" && (at + 1 >= text.size() || !(text[at + 1] >= 'A' && text[at + 1] <= 'Z'));
    if (word.empty() || stop || dangling) break;
    words.push_back(word);
    if (last) break;
  }
  std::string out;
  for (std::string_view word : words) out += (out.empty() ? "" : " ") + std::string(word);
  return out;
}

// The product named right before "is live": capitalized words, version tokens ("Node v3") and
// "for"/"of" between capitalized words ("Orchardly for Business").
std::string ProductBefore(std::string_view text, size_t pos) {
  std::vector<std::string_view> words =
      WordsBefore(text, pos, 6, [](std::string_view word, const auto& taken) {
        bool capital = word[0] >= 'A' && word[0] <= 'Z';
        bool version =
            std::any_of(word.begin(), word.end(), [](char c) { return ascii::IsDigit(c); }) &&
            std::all_of(word.begin(), word.end(),
                        [](char c) { return ascii::IsAlnum(c) || c == '.'; });
        bool connector = (word == "for" || word == "of") && !taken.empty();
        return capital || version || connector;
      });
  while (!words.empty() && !(words.front()[0] >= 'A' && words.front()[0] <= 'Z')) {
    words.erase(words.begin());
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
  size_t trigger =
      FindFirst(lower, {"launched", "is live", "now live", "went live", "are live", "we're live",
                        "generally available", "general availability", "released", "rolled out",
                        "introducing", "shipped", "launching"});
  if (trigger == kNpos || !IsFactual(view, trigger)) return std::nullopt;
  if (SentenceHasAny(
          view, trigger,
          {"staging", "prototype", "internal", "test",      "testing",     "sop",      "hotfix",
           "fix",     "flag",      "cluster",  "migration", "model",       "policy",   "process",
           "beta",    "customs",   "report",   "audit",     "launched in", "shipment", "units"})) {
    return std::nullopt;
  }
  std::string_view at_trigger = std::string_view(lower).substr(trigger);
  bool went_live = at_trigger.starts_with("is live") || at_trigger.starts_with("now live") ||
                   at_trigger.starts_with("went live") || at_trigger.starts_with("are live") ||
                   at_trigger.starts_with("generally available");
  if (lower.substr(trigger).starts_with("launching") &&
      !SentenceHasAny(view, trigger, {"today", "now", "this morning"})) {
    return std::nullopt;  // a plan, not a launch
  }
  Span sentence = SentenceAt(view.text, trigger);
  std::string product = QuotedAfter(view.text, sentence.begin, sentence.end - sentence.begin);
  if (product.empty() && went_live) product = ProductBefore(view.text, trigger);
  for (std::string_view verb :
       {"launched", "launching", "released", "introducing", "shipped", "rolled out"}) {
    if (!product.empty()) break;
    size_t at = FindPhrase(lower, verb);
    if (at != kNpos) product = NameUntilStopWord(view.text, at + verb.size());
  }
  if (std::none_of(product.begin(), product.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    product.clear();  // "now", "early)": not a product name
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
  size_t trigger = FindFirst(
      lower, {"partnership with", "partnered with", "partnering with", "strategic partnership",
              "alliance with", "partner program", "partner programme", "premier partner",
              "certified partner", "official partner"});
  size_t official =
      FindFirst(lower, {"partnership is official", "partnership is signed", "partnership is live",
                        "partnership signed", "partnership agreement"});
  size_t listed = FindFirst(lower, {"listed on the", "listing is live"});
  if (listed != kNpos && lower.find("marketplace", listed) == kNpos) listed = kNpos;
  trigger = std::min({trigger, official, listed});
  if (trigger == kNpos || !IsFactual(view, trigger)) return std::nullopt;
  std::string counterparty;
  for (std::string_view with : kWith) {
    size_t at = FindPhrase(lower, with);
    if (at != kNpos && counterparty.empty()) {
      counterparty = CapitalizedAfter(view.text, at + with.size());
    }
  }
  if (counterparty.empty() && official != kNpos)
    counterparty = CapitalizedBefore(view.text, official);
  size_t program = FindFirst(lower, {"partner program", "partner programme", "premier partner"});
  if (counterparty.empty() && program != kNpos) {
    counterparty = CapitalizedBefore(view.text, program);
    for (std::string_view suffix : {" Premier", " Certified"}) {
      if (counterparty.ends_with(suffix)) counterparty.resize(counterparty.size() - suffix.size());
    }
  }
  std::string marketplace = listed == kNpos || !lower.substr(listed).starts_with("listed on the")
                                ? ""
                                : CapitalizedAfter(view.text, listed + 13);
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

// A place announced in capitals at the start: "SEATTLE 🚚 first truck left ..." -> "Seattle".
std::string ShoutedPlace(std::string_view text) {
  size_t end = 0;
  while (end < text.size() && text[end] >= 'A' && text[end] <= 'Z') ++end;
  if (end < 3 || (end < text.size() && text[end] != ' ')) return "";
  std::string place(text.substr(0, end));
  for (size_t idx = 1; idx < place.size(); ++idx)
    place[idx] = static_cast<char>(place[idx] - 'A' + 'a');
  return place;
}

// The country of a newly registered entity ("Tidewell GmbH is registered").
std::string EntityCountry(std::string_view lower, size_t at) {
  constexpr std::pair<std::string_view, const char*> kForms[] = {
      {"gmbh", "Germany"}, {"bv", "Netherlands"}, {"sas", "France"},    {"sarl", "France"},
      {"ab", "Sweden"},    {"as", "Norway"},      {"pty", "Australia"}, {"kk", "Japan"},
      {"srl", "Italy"},    {"ltd", "UK"},         {"inc", "US"},        {"llc", "US"},
      {"pte", "Singapore"}};
  std::string_view before = lower.substr(0, at);
  while (!before.empty() && before.back() == ' ') before.remove_suffix(1);
  for (auto [form, country] : kForms) {
    if (before.ends_with(form) && before.size() > form.size() &&
        before[before.size() - form.size() - 1] == ' ') {
      return country;
    }
  }
  return "";
}

Detection DetectMarketExpansion(const MessageView& view) {
  const std::string& lower = view.lower;
  size_t trigger = FindFirst(
      lower, {"opened our", "new office", "office in", "expansion into", "expanding into",
              "expanded into", "expand into", "expansion to", "launched in", "emea expansion",
              "apac expansion", "latam expansion", "international expansion", "entered the",
              "is registered", "is incorporated", "now live in"});
  // First operations somewhere count only with a named place and no deal around them.
  size_t first_run = FindFirst(lower, {"first truck", "first trucks", "first deliveries",
                                       "first delivery", "first shipments", "first orders"});
  if (first_run != kNpos && !ShoutedPlace(view.text).empty() &&
      FindFirst(lower, {"signed", "contract", "agreement", "deal"}) == kNpos) {
    trigger = std::min(trigger, first_run);
  }
  size_t first_customer = FindPhrase(lower, "our first");
  std::string first_market;
  if (first_customer != kNpos) {
    first_market = CapitalizedAfter(view.text, first_customer + 9);
    std::string_view rest =
        std::string_view(lower).substr(first_customer + 10 + first_market.size());
    if (!first_market.empty() && !ascii::Trim(rest).starts_with("customer")) {
      first_market.clear();
    }
    if (!first_market.empty()) trigger = std::min(trigger, first_customer);
  }
  if (trigger == kNpos || !IsFactual(view, trigger) ||
      SentenceHasAny(view, trigger, {"moved", "delayed", "postponed", "rescheduled", "pushed"})) {
    return std::nullopt;
  }
  std::string city;
  size_t opened = FindPhrase(lower, "opened our");
  if (opened != kNpos) city = CapitalizedAfter(view.text, opened + 10);
  size_t office_in = FindPhrase(lower, "office in");
  if (city.empty() && office_in != kNpos) city = CapitalizedAfter(view.text, office_in + 9);
  std::string region;
  for (std::string_view into : {"expansion into", "expanding into", "expanded into", "expand into",
                                "expansion to", "launched in", "now live in", "entered the"}) {
    size_t at = FindPhrase(lower, into);
    if (at != kNpos && region.empty()) region = CapitalizedAfter(view.text, at + into.size());
  }
  size_t registered = FindFirst(lower, {"is registered", "is incorporated"});
  if (region.empty() && registered != kNpos) region = EntityCountry(lower, registered);
  if (region.empty()) region = first_market;
  if (region.empty()) region = KnownRegion(view);
  if (region.empty() && city.empty()) region = ShoutedPlace(view.text);
  city = Clean(city, 60);
  region = Clean(region, 60);
  if (city.empty() && region.empty()) return std::nullopt;
  std::string title =
      city.empty()
          ? "Expansion into " + region
          : "Opened " + city + " office" +
                (region.empty() || region == city ? std::string() : " (" + region + " expansion)");
  ExtractedEvent event = NewEvent("market_expansion", "medium", title, view, trigger);
  event.metrics["region"] = city.empty() ? region : city;
  return event;
}

Detection DetectOther(const MessageView& view) {
  const std::string& lower = view.lower;
  size_t shutdown = FindFirst(lower, {"winding down", "wind down", "shutting down", "shut down",
                                      "sunsetting", "discontinuing", "closing down"});
  if (shutdown != kNpos && IsFactual(view, shutdown) &&
      HasFirstPerson(lower, SentenceAt(view.text, shutdown)) &&
      !SentenceHasAny(view, shutdown,
                      {"server", "instance", "outage", "incident", "cluster", "database"})) {
    return NewEvent("other", "medium", SentenceTitle(view, shutdown), view, shutdown);
  }
  size_t trigger = FindFirst(
      lower, {"acquired", "acquisition of", "award", "awarded", "product of the day", "ipo"});
  if (trigger == kNpos || !IsFactual(view, trigger) || SentenceHasAny(view, trigger, {"grant"})) {
    return std::nullopt;
  }
  return NewEvent("other", "medium", SentenceTitle(view, trigger), view, trigger);
}

}  // namespace ms::rules
