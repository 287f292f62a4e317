// KPI observations that are counts: users, active users and accounts, signups, concurrent
// users, devices online, headcount.
#include <algorithm>

#include "pipeline/extract/rules_kpi.h"
#include "pipeline/text/amount.h"
#include "pipeline/text/ascii.h"

namespace ms::rules {
namespace {

constexpr size_t kNpos = std::string_view::npos;

bool OneOf(std::string_view word, std::initializer_list<std::string_view> words) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// People using a product: "active clinicians", "active users".
bool IsPersonNoun(std::string_view word) {
  return OneOf(word,
               {"users",   "clinicians", "doctors",  "physicians", "nurses", "drivers",  "riders",
                "members", "students",   "teachers", "learners",   "seats",  "creators", "sellers",
                "buyers",  "hosts",      "agents",   "developers", "devs",   "players",  "patients",
                "readers", "listeners",  "viewers",  "editors",    "reps"});
}

// Businesses served: "active B2B accounts", "restaurant accts", "sites".
bool IsAccountNoun(std::string_view word) {
  return OneOf(
      word, {"accounts",   "accts",     "customers",   "clients",  "sites",         "locations",
             "workspaces", "merchants", "restaurants", "stores",   "clinics",       "practices",
             "schools",    "venues",    "tenants",     "teams",    "organisations", "organizations",
             "orgs",       "hospitals", "buildings",   "kitchens", "brands",        "retailers"});
}

bool IsDeviceNoun(std::string_view word) {
  return OneOf(word, {"nodes", "devices", "sensors", "meters", "units", "gateways", "trackers",
                      "robots", "chargers", "vehicles", "cameras", "terminals", "kiosks"});
}

struct Word {
  std::string_view text;
  size_t begin = 0;
  size_t end = 0;
};

// The words of `lower` (letters, digits, '-', '/', '.', ','), with their offsets.
std::vector<Word> Words(std::string_view lower) {
  std::vector<Word> words;
  size_t at = 0;
  while (at < lower.size()) {
    while (at < lower.size() && !ascii::IsAlnum(lower[at])) ++at;
    size_t begin = at;
    while (at < lower.size() && (ascii::IsAlnum(lower[at]) || lower[at] == '-' ||
                                 ((lower[at] == '.' || lower[at] == ',') && at + 1 < lower.size() &&
                                  ascii::IsDigit(lower[at + 1])))) {
      ++at;
    }
    if (at > begin) words.push_back({lower.substr(begin, at - begin), begin, at});
  }
  return words;
}

// A count tied to the phrase [begin, end): right before it ("3,150 active clinicians"), or
// after it across link words ("active clinicians passed 3,500", "DAU: 33k").
std::optional<Amount> LinkedCount(const MessageView& view, size_t begin, size_t end) {
  if (auto before = CountBefore(view.lower, begin, 1)) return before;
  Span clause = ClauseAt(view.text, begin);
  size_t at = end;
  while (at < clause.end && at < end + 28) {
    char c = view.lower[at];
    if (ascii::IsDigit(c)) break;
    if (ascii::IsAlpha(c)) {
      size_t word_end = at;
      while (word_end < clause.end && ascii::IsAlpha(view.lower[word_end])) ++word_end;
      std::string_view word = std::string_view(view.lower).substr(at, word_end - at);
      if (!OneOf(word, {"is", "was", "at", "of", "now", "just", "passed", "crossed", "hit",
                        "reached", "past", "over", "to", "up", "are", "stands", "total"})) {
        return std::nullopt;
      }
      at = word_end;
      continue;
    }
    ++at;
  }
  if (at >= clause.end || !ascii::IsDigit(view.lower[at])) return std::nullopt;
  return NumberAfter(view.lower, at, 1);
}

struct CountMatch {
  const char* metric = nullptr;
  size_t begin = 0;  // the phrase naming the metric
  size_t end = 0;
};

// The metric named by the words starting at `idx`, if any: "daily active users", "active
// clinicians", "active B2B accounts", "concurrent websockets", "paying customers", "signups",
// "nodes online", or (in a report) "sites".
CountMatch NameAt(const std::vector<Word>& words, size_t idx, bool in_report) {
  auto word = [&](size_t offset) {
    return idx + offset < words.size() ? words[idx + offset].text : std::string_view();
  };
  auto match = [&](const char* metric, size_t count) {
    return CountMatch{metric, words[idx].begin, words[idx + count - 1].end};
  };
  std::string_view first = word(0);
  if (OneOf(first, {"daily", "weekly", "monthly"}) && word(1) == "active" && word(2) == "users") {
    return match(first == "daily" ? "dau" : (first == "weekly" ? "wau" : "mau"), 3);
  }
  if (OneOf(first, {"dau", "wau", "mau"})) {
    return match(first == "dau" ? "dau" : (first == "wau" ? "wau" : "mau"), 1);
  }
  if (first == "active") {
    for (size_t span = 1; span <= 2; ++span) {
      if (IsPersonNoun(word(span))) return match("active_users", span + 1);
      if (IsAccountNoun(word(span))) return match("active_accounts", span + 1);
    }
  }
  if (first == "concurrent" && OneOf(word(1), {"users", "websockets", "connections", "sessions",
                                               "players", "viewers", "streams"})) {
    return match("concurrent_users", 2);
  }
  if (OneOf(first, {"paying", "paid"}) && IsAccountNoun(word(1))) {
    return match("paying_customers", 2);
  }
  if (OneOf(first, {"signups", "sign-ups"})) return match("signups", 1);
  if (first == "users" || first == "subscribers") return match("users", 1);
  if (first == "headcount") return match("headcount", 1);
  if (IsDeviceNoun(first) &&
      OneOf(word(1), {"online", "live", "deployed", "installed", "connected", "active"})) {
    return match("devices", 2);
  }
  if (in_report && IsAccountNoun(first) && !OneOf(word(1), {"added", "churned", "lost"})) {
    return match("active_accounts", 1);
  }
  return {};
}

// A count not fit for a series: a test, simulation or target, a projection, someone else's.
bool NotACount(const MessageView& view, const CountMatch& name, const Amount& count) {
  Span sentence = SentenceAt(view.text, name.begin);
  std::string_view part =
      std::string_view(view.lower).substr(sentence.begin, sentence.end - sentence.begin);
  if (FindFirst(part, {"synthetic", "simulated", "load test", "test", "staging", "pilot"}) !=
      kNpos) {
    return true;
  }
  std::string_view before = std::string_view(view.lower).substr(0, count.begin);
  if (count.value < 1 || before.ends_with("new ") || before.ends_with("+")) return true;
  return NotOwnFigure(view, count.begin) || NotOwnFigure(view, name.begin);
}

}  // namespace

void CountObservations(const MessageView& view, bool in_report, Observations* out) {
  std::vector<Word> words = Words(view.lower);
  for (size_t idx = 0; idx < words.size(); ++idx) {
    CountMatch name = NameAt(words, idx, in_report);
    if (name.metric == nullptr) continue;
    std::optional<Amount> count = LinkedCount(view, name.begin, name.end);
    if (!count) continue;
    bool small_total =
        (std::string_view(name.metric) == "users" || std::string_view(name.metric) == "signups") &&
        count->value < 100;
    if (small_total || NotACount(view, name, *count)) continue;
    std::vector<Amount> counts;
    for (size_t later = idx + 1; later < words.size(); ++later) {
      if (!ascii::IsDigit(words[later].text[0])) continue;
      auto value = ReadAmount(view.lower, words[later].begin);
      if (value) counts.push_back({value->value, words[later].begin, value->end, "", false});
    }
    AddObservation(out, name.metric, RefineRoundFigure(counts, *count), "count");
    while (idx + 1 < words.size() && words[idx + 1].begin < name.end) ++idx;  // one name, one use
  }
}

}  // namespace ms::rules
