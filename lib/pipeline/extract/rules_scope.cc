// Scope of a statement for the rules extractor: clauses, negation, quotation, conditional and
// projected wording, unreal messages (drafts, mock-ups, rumours) and prompt injections.
#include <algorithm>
#include <vector>

#include "pipeline/extract/rules_text.h"
#include "pipeline/text/ascii.h"

namespace ms::rules {
namespace {

constexpr size_t kNpos = std::string_view::npos;

std::string_view Part(std::string_view lower, Span span) {
  return lower.substr(span.begin, span.end - span.begin);
}

bool IsClauseBreak(std::string_view text, size_t at) {
  char c = text[at];
  if (c == '(' || c == ')') return true;
  if ((c == ',' || c == ';') && at + 1 < text.size() && text[at + 1] == ' ') return true;
  std::string_view rest = text.substr(at);
  return rest.starts_with(" - ") || rest.starts_with(" but ") || rest.starts_with(" \xe2\x80\x94 ");
}

// Where quotations open and close: a quote mark after a space (or the start, or an opening
// bracket) opens; the same kind followed by a space, punctuation or the end closes.
std::vector<Span> QuotedSpans(std::string_view text) {
  struct Kind {
    std::string_view open, close;
  };
  constexpr Kind kKinds[] = {
      {"'", "'"}, {"\"", "\""}, {"\xe2\x80\x98", "\xe2\x80\x99"}, {"\xe2\x80\x9c", "\xe2\x80\x9d"}};
  std::vector<Span> spans;
  for (size_t at = 0; at < text.size(); ++at) {
    bool opens_here = at == 0 || text[at - 1] == ' ' || text[at - 1] == '(' || text[at - 1] == ':';
    if (!opens_here) continue;
    for (const Kind& kind : kKinds) {
      if (!text.substr(at).starts_with(kind.open)) continue;
      size_t begin = at + kind.open.size();
      if (begin >= text.size() || text[begin] == ' ') continue;
      for (size_t end = text.find(kind.close, begin); end != kNpos;
           end = text.find(kind.close, end + 1)) {
        size_t after = end + kind.close.size();
        if (after < text.size() && ascii::IsAlnum(text[after])) continue;  // an apostrophe
        if (end > begin && text[end - 1] == ' ') continue;
        spans.push_back({begin, end});
        at = after;
        break;
      }
      break;
    }
  }
  return spans;
}

bool IsNegator(std::string_view word) {
  constexpr std::string_view kNegators[] = {
      "not",  "no",    "never",  "nothing", "nobody", "without", "neither", "nor",
      "than", "didnt", "havent", "hasnt",   "isnt",   "wasnt",   "dont",    "doesnt",
      "wont", "cant",  "arent",  "werent",  "hadnt",  "couldnt", "wouldnt"};
  if (word.ends_with("n't")) return true;
  return std::find(std::begin(kNegators), std::end(kNegators), word) != std::end(kNegators);
}

}  // namespace

Span ClauseAt(std::string_view text, size_t pos) {
  Span span = SentenceAt(text, pos);
  for (size_t at = pos; at > span.begin; --at) {
    if (IsClauseBreak(text, at - 1)) {
      span.begin = at;
      break;
    }
  }
  for (size_t at = pos + 1; at < span.end; ++at) {
    if (IsClauseBreak(text, at)) {
      span.end = at;
      break;
    }
  }
  return span;
}

bool IsConditional(std::string_view lower, Span sentence) {
  return FindFirst(Part(lower, sentence),
                   {"would",       "could",    "if",       "will",     "might",     "should",
                    "once",        "plan to",  "plans to", "planning", "projected", "projection",
                    "projections", "forecast", "target",   "goal",     "expect",    "expected",
                    "hope",        "hoping",   "approach", "aim",      "want",      "need",
                    "needs",       "we'd",     "they'd",   "we'll",    "they'll",   "unless",
                    "assuming",    "likely"}) != kNpos;
}

bool IsProjection(std::string_view lower, Span clause) {
  if (IsConditional(lower, clause)) return true;
  return FindFirst(Part(lower, clause), {"tracking to",   "on track",  "by end of",
                                         "by the end of", "by eoy",    "exit arr",
                                         "run-rate",      "run rate",  "at full rollout",
                                         "weighted",      "pipeline",  "stretch",
                                         "budget",        "plan",      "scenario",
                                         "still says",    "aiming",    "targeted",
                                         "estimate",      "potential", "up to"}) != kNpos;
}

bool NegatedBefore(std::string_view lower, size_t pos, int words) {
  Span sentence = SentenceAt(lower, pos);
  size_t at = pos;
  for (int seen = 0; seen < words && at > sentence.begin; ++seen) {
    while (at > sentence.begin && !ascii::IsAlpha(lower[at - 1]) && lower[at - 1] != '\'') --at;
    size_t end = at;
    while (at > sentence.begin && (ascii::IsAlpha(lower[at - 1]) || lower[at - 1] == '\'')) --at;
    std::string_view word = lower.substr(at, end - at);
    if (IsNegator(word)) return true;
    if (word == "yet" && lower.substr(end).starts_with(" to")) return true;
  }
  return false;
}

bool InQuotes(std::string_view text, size_t pos) {
  for (Span span : QuotedSpans(text)) {
    if (pos >= span.begin && pos < span.end) return true;
  }
  return false;
}

bool IsUnreal(const MessageView& view) {
  const std::string& lower = view.lower;
  if (FindFirst(lower, {"draft",        "mock",           "mock-up", "mockup",  "placeholder",
                        "hypothetical", "hypothetically", "what-if", "what if", "napkin",
                        "scenario",     "rumour",         "rumours", "rumor",   "rumors",
                        "grapevine",    "joked",          "joking",  "kidding", "aspirational",
                        "dummy",        "lorem ipsum"}) != kNpos) {
    return true;
  }
  for (size_t at = FindPhrase(lower, "joke"); at != kNpos; at = FindPhrase(lower, "joke", at + 1)) {
    if (!NegatedBefore(lower, at, 2)) return true;  // "no joke, we closed" is a fact
  }
  return false;
}

bool IsInjection(const MessageView& view) {
  const std::string& lower = view.lower;
  if (FindFirst(lower, {"assistant-instructions", "assistant instructions", "system note",
                        "system prompt", "for any ai", "ai system", "ai summariser",
                        "ai summarisers", "ai summarizer", "ai summarizers", "ai assistant",
                        "language model", "prompt injection"}) != kNpos) {
    return true;
  }
  for (std::string_view verb : {"ignore", "disregard", "stop following", "forget", "override"}) {
    for (size_t at = FindPhrase(lower, verb); at != kNpos; at = FindPhrase(lower, verb, at + 1)) {
      std::string_view after = std::string_view(lower).substr(at, 60);
      if (FindFirst(after, {"instructions", "guidance", "rules", "prompt", "previous", "prior"}) !=
          kNpos) {
        return true;
      }
    }
  }
  return false;
}

bool IsFactual(const MessageView& view, size_t pos) {
  return !InQuotes(view.text, pos) && !NegatedBefore(view.lower, pos) &&
         !IsConditional(view.lower, ClauseAt(view.text, pos));
}

}  // namespace ms::rules
