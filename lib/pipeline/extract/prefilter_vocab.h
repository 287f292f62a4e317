// The prefilter's vocabulary (pipeline/extract/prefilter.h), by the role each list plays in
// ClassifyMessage. Everything is lowercase; "’" is read as "'".
#pragma once

#include <string_view>

namespace ms::prefilter_vocab {

// ---- Business signal: the vocabulary of the events the ledger records -----------------------

// Whole words.
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

// Word prefixes: "launch" covers launched, launching, launches.
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

// Phrases, matched from a word start.
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
                                               "shut down",
                                               "first time",
                                               "first-ever",
                                               "first ever",
                                               "all-time"};

// ---- Not a fact: the message is about an event that has not happened -------------------------

// Phrases that mark a plan, scenario, placeholder, rumour, joke, lost or declined outcome, an
// internal test, or a caution not to treat something as done; matched as whole words.
constexpr std::string_view kNotAFactPhrases[] = {
    // scenarios, placeholders and drafts
    "hypothetical", "hypothetically", "what-if", "what if", "napkin", "scenario", "scenarios",
    "stretch case", "mock", "placeholder", "draft", "not actuals", "not a plan", "not a forecast",
    // rumours and jokes
    "rumour", "rumor", "rumours", "rumors", "grapevine", "lol", "joked", "joking", "spam call",
    // outcomes that went the other way
    "we lost", "lost on", "lost to", "we didn't win", "declined our", "declined the", "turned down",
    "passing on", "pass on this", "won't be moving forward", "not moving forward", "not a fit",
    "fell through", "walked away", "pulled out", "didn't make the", "did not make the",
    "no next step", "nobody is selling", "nobody is buying", "yes if",
    // not yet
    "soft-circled", "soft circled", "leaning towards", "not holding my breath", "nothing's out",
    "nothing is out",
    // cautions
    "don't celebrate", "don't ring", "no gong", "don't get excited", "don't quote", "do not quote",
    "don't share", "do not share", "do not send", "don't put", "do not put", "don't call it",
    "don't promise",
    // internal tests and evaluations
    "load test", "synthetic", "simulated", "internal eval", "internal set", "internal benchmark",
    // press and diligence questions
    "interview request", "fact check"};

// Words that negate the event word after them ("not signed", "haven't even signed", "no paper").
constexpr std::string_view kNegators[] = {
    "not",   "no",      "nothing", "never", "haven't", "hasn't", "hadn't",  "didn't",
    "don't", "doesn't", "won't",   "isn't", "aren't",  "wasn't", "weren't", "without"};

// Words naming an event as done; negated they mark a non-event, unnegated a done one.
constexpr std::string_view kEventWords[] = {
    "signed",  "sign", "signing",   "closed", "close",    "closing",   "raised",
    "raising", "get",  "got",       "won",    "win",      "certified", "paper",
    "term",    "done", "published", "live",   "launched", "hired",     "funded"};

// The done forms among kEventWords, plus words that state completion on their own.
constexpr std::string_view kDoneWords[] = {
    "signed",     "closed",   "won",     "certified", "done",     "published", "live",
    "launched",   "hired",    "funded",  "raised",    "acquired", "secured",   "renewed",
    "completed",  "issued",   "welcome", "joins",     "joined",   "crossed",   "official",
    "registered", "received", "hit",     "reached",   "surpassed"};

// Words that make the done word after them a condition ("if we raised").
constexpr std::string_view kConditionals[] = {"if", "unless", "once"};

// ---- Routine traffic: operations that carry figures but no business event -------------------

// Engineering, operations, logistics and administration. Business signal wins over these; a
// bare figure (an amount or a percentage) does not.
constexpr std::string_view kRoutinePhrases[] = {
    // engineering
    "pr #", "pull request", "code review", "merged", "ci ", "ci/cd", "flaky", "hotfix",
    "stack trace", "sentry", "heap snapshot", "memory usage", "staging", "deploy", "bug",
    "lockfile", "refactor", "tech debt", "technical debt", "race condition", "integration tests",
    "test suite", "cpu", "postmortem", "post-mortem", "outage", "incident", "pen test", "phishing",
    "sandbox", "sync job", "root cause", "firmware", "fw ", "ota ", "config", "cluster",
    "read-only", "migration", "rollback", "behind a flag", "eval ",
    // operations and logistics
    "ios build", "android build", "app store", "route", "dock", "shipment", "customs", "inspection",
    "lead time", "heat wave", "ice packs", "huddle", "sop ", "battery", "refunds", "double charged",
    "resubmit", "backfill", "ship dates",
    // administration and billing
    "reminder", "expense", "budget", "invoice", "balance due", "payment due", "payouts",
    "write off", "renewal reminder", "agenda", "checklist", "booth", "sign up if",
    // office life
    "swag", "hoodies", "offsite", "focus time", "farm walk", "drinks", "laptops"};

// Chatter: small talk, meetings, thanks, absence. Any signal or figure wins over these.
constexpr std::string_view kChatterPhrases[] = {"good morning",
                                                "morning all",
                                                "morning everyone",
                                                "morning team",
                                                "hi all",
                                                "hi team",
                                                "hello all",
                                                "hello team",
                                                "hey team",
                                                "hey all",
                                                "good night",
                                                "great weekend",
                                                "happy friday",
                                                "happy monday",
                                                "happy birthday",
                                                "coffee",
                                                "lunch",
                                                "pizza",
                                                "snacks",
                                                "dinner",
                                                "standup",
                                                "stand-up",
                                                "retro",
                                                "the sync",
                                                "reschedul",
                                                "meeting",
                                                "calendar",
                                                "1:1",
                                                "all-hands",
                                                "thanks",
                                                "thank you",
                                                "thx",
                                                "cheers",
                                                "+1",
                                                "out of office",
                                                "ooo",
                                                "out this afternoon",
                                                "out today",
                                                "out tomorrow",
                                                "vacation",
                                                "pto",
                                                "sick today",
                                                "dentist",
                                                "doctor",
                                                "working from home",
                                                "wfh",
                                                "heading out"};

}  // namespace ms::prefilter_vocab
