#include "pipeline/extract/prefilter.h"

#include <initializer_list>
#include <string>

#include "pipeline/text/ascii.h"

namespace ms {
namespace {

constexpr size_t kShortWords = 8;

// Whole words that carry signal.
constexpr std::string_view kSignalWords[] = {
    "arr",     "mrr",    "acv",      "tcv",    "dau",   "wau",   "mau",       "nrr",     "vp",
    "svp",     "evp",    "cto",      "cfo",    "coo",   "cmo",   "cro",       "cpo",     "ga",
    "ipo",     "soc",    "soc2",     "iso",    "hipaa", "gdpr",  "pci",       "fedramp", "seed",
    "round",   "deal",   "deals",    "users",  "seats", "pilot", "pilots",    "press",   "patent",
    "patents", "office", "emea",     "apac",   "latam", "hired", "hires",     "signed",  "raised",
    "closed",  "won",    "acquired", "joined", "joins", "live",  "headcount", "upvotes", "grew",
    "vc",      "vcs",    "shipped",  "p99",    "p95",   "p50",   "gmv",       "ts",      "ce",
    "ukca",    "sqf",    "hitrust",  "quoted", "piece", "story", "segment",   "marked",  "gmbh",
    "licence", "license"};

// Word prefixes (stems) that carry signal: "launch" covers launched, launching, launches.
constexpr std::string_view kSignalStems[] = {
    "launch",     "releas",      "introduc",   "announc",   "fund",        "invest",
    "valuation",  "series",      "venture",    "revenue",   "booking",     "contract",
    "enterprise", "customer",    "partner",    "alliance",  "marketplace", "hiring",
    "welcom",     "certif",      "complian",   "audit",     "attest",      "signup",
    "subscri",    "techcrunch",  "forbes",     "bloomberg", "reuters",     "article",
    "interview",  "podcast",     "coverage",   "featur",    "expan",       "international",
    "latency",    "uptime",      "throughput", "benchmark", "milestone",   "record",
    "crossed",    "testimonial", "upgrad",     "renew",     "churn",       "growth",
    "doubled",    "tripled",     "acqui",      "merger",    "termsheet",   "producthunt",
    "concurrent", "websocket",   "opened",     "secured",   "oversubscri", "valuat",
    "publish",    "award",       "agreement",  "agreed",    "licens",      "commitment"};

// Multi-word signals, matched on the lowercased text.
constexpr std::string_view kSignalPhrases[] = {"term sheet",
                                               "head of",
                                               "product hunt",
                                               "data room",
                                               "case study",
                                               "customer story",
                                               "success story",
                                               "product of the day",
                                               "press release",
                                               "new office",
                                               "general availability",
                                               "iso 27001",
                                               "pci dss",
                                               "led by",
                                               "active users",
                                               "sign-ups",
                                               "sign ups",
                                               "rolled out",
                                               "generally available",
                                               "new hire",
                                               "offer accepted",
                                               "accepted our offer",
                                               "error rate",
                                               "response time",
                                               "open-sourced",
                                               "open sourced",
                                               "first truck",
                                               "first deliveries",
                                               "first delivery",
                                               "we're in the",
                                               "is out",
                                               "went live",
                                               "is registered",
                                               "pro rata",
                                               "pro-rata",
                                               "paper's back",
                                               "came back signed",
                                               "all recipients",
                                               "purchase order",
                                               "winding down",
                                               "shut down"};

// Routine chatter with no business signal (used only when nothing above matched).
constexpr std::string_view kChatterPhrases[] = {
    // greetings and small talk
    "good morning", "morning all", "morning everyone", "morning team", "hi all", "hi team",
    "hello all", "hello team", "hey team", "hey all", "good night", "great weekend", "happy friday",
    "happy monday", "happy birthday", "coffee", "lunch", "pizza", "snacks", "dinner",
    // meetings and logistics
    "standup", "stand-up", "retro", "the sync", "reschedul", "meeting", "calendar", "1:1",
    "all-hands", "reminder",
    // thanks and acknowledgements
    "thanks", "thank you", "thx", "cheers", "+1",
    // out of office
    "out of office", "ooo", "out this afternoon", "out today", "out tomorrow", "vacation", "pto",
    "sick today", "dentist", "doctor", "working from home", "wfh", "heading out",
    // routine engineering traffic
    "pr #", "pull request", "review my pr", "code review", "merged", "ci ", "ci/cd", "flaky",
    "hotfix", "stack trace", "sentry", "heap snapshot", "memory usage", "staging", "deploy", "bug",
    "lockfile", "refactor", "technical debt", "tech debt", "race condition", "integration tests",
    "test suite", "budget alert", "cpu", "postmortem", "post-mortem", "outage", "incident",
    "pen test", "phishing", "load test", "sandbox", "sync job", "ios build", "android build",
    "app store", "app stores",
    // office life and logistics
    "expense report", "swag", "offsite", "focus time", "heat wave", "inspection", "lead time",
    "customs", "farm walk", "drinks",
    // not facts
    "rumour", "rumor", "hypothetically", "mock", "draft"};

bool HasMoney(std::string_view lower) {
  for (size_t idx = 0; idx + 1 < lower.size(); ++idx) {
    size_t next = idx + 1;
    if (lower[idx] == '$') {
      if (lower[next] == ' ' && next + 1 < lower.size()) ++next;
      if (ascii::IsDigit(lower[next])) return true;
    }
    // UTF-8 euro (E2 82 AC) and pound (C2 A3) signs followed by a digit.
    if (lower.substr(idx).starts_with("\xe2\x82\xac") && idx + 3 < lower.size() &&
        ascii::IsDigit(lower[idx + 3])) {
      return true;
    }
    if (lower.substr(idx).starts_with("\xc2\xa3") && idx + 2 < lower.size() &&
        ascii::IsDigit(lower[idx + 2])) {
      return true;
    }
  }
  for (std::string_view unit : {" usd", " eur", " gbp", " million", " billion"}) {
    for (size_t at = lower.find(unit); at != std::string_view::npos;
         at = lower.find(unit, at + 1)) {
      if (at > 0 && ascii::IsDigit(lower[at - 1])) return true;
    }
  }
  return false;
}

bool HasPercent(std::string_view lower) {
  for (size_t idx = 1; idx < lower.size(); ++idx) {
    if (lower[idx] != '%') continue;
    size_t before = lower[idx - 1] == ' ' && idx >= 2 ? idx - 2 : idx - 1;
    if (ascii::IsDigit(lower[before])) return true;
  }
  for (size_t at = lower.find(" percent"); at != std::string_view::npos;
       at = lower.find(" percent", at + 1)) {
    if (at > 0 && ascii::IsDigit(lower[at - 1])) return true;
  }
  return false;
}

bool IsSignalWord(std::string_view word) {
  for (std::string_view signal : kSignalWords) {
    if (word == signal) return true;
  }
  for (std::string_view stem : kSignalStems) {
    if (word.starts_with(stem)) return true;
  }
  return false;
}

struct WordScan {
  size_t words = 0;
  bool digits = false;
  bool signal = false;
};

WordScan ScanWords(std::string_view lower) {
  WordScan scan;
  size_t pos = 0;
  while (pos < lower.size()) {
    while (pos < lower.size() && !ascii::IsAlnum(lower[pos])) ++pos;
    size_t begin = pos;
    while (pos < lower.size() && ascii::IsAlnum(lower[pos])) {
      scan.digits = scan.digits || ascii::IsDigit(lower[pos]);
      ++pos;
    }
    if (pos == begin) break;
    ++scan.words;
    scan.signal = scan.signal || IsSignalWord(lower.substr(begin, pos - begin));
  }
  return scan;
}

// Whether `lower` contains one of `phrases` starting at a word boundary ("pto" is not in
// "crypto"); the end is open so that stems match ("reschedul" in "rescheduled").
template <size_t N>
bool ContainsAny(std::string_view lower, const std::string_view (&phrases)[N]) {
  for (std::string_view phrase : phrases) {
    for (size_t at = lower.find(phrase); at != std::string_view::npos;
         at = lower.find(phrase, at + 1)) {
      if (at == 0 || !ascii::IsAlnum(lower[at - 1])) return true;
    }
  }
  return false;
}

bool HasSignalLower(std::string_view lower, const WordScan& scan) {
  return scan.signal || HasMoney(lower) || HasPercent(lower) || ContainsAny(lower, kSignalPhrases);
}

}  // namespace

bool HasSignal(std::string_view text) {
  std::string lower = ascii::Lower(text);
  return HasSignalLower(lower, ScanWords(lower));
}

PrefilterVerdict ClassifyMessage(std::string_view subject, std::string_view text) {
  std::string lower = ascii::Lower(subject);
  lower.push_back('\n');
  lower.append(ascii::Lower(text));
  WordScan scan = ScanWords(lower);
  if (HasSignalLower(lower, scan)) return PrefilterVerdict::kKeepSignal;
  if (ContainsAny(lower, kChatterPhrases)) return PrefilterVerdict::kDropChatter;
  if (scan.words < kShortWords && !scan.digits) return PrefilterVerdict::kDropShort;
  return PrefilterVerdict::kKeepUnsure;
}

}  // namespace ms
