// Text helpers for the rules extractor's detectors (internal to rules_*.cc and their tests).
// All offsets index MessageView::text and MessageView::lower alike (ASCII lowercasing keeps
// every byte in place).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ports/extract.h"

namespace ms::rules {

struct MessageView {
  std::string text;   // "Subject: <subject>. " + text, whitespace collapsed
  std::string lower;  // ASCII-lowercased text
  std::string sender;
  std::string sender_lower;
  std::string date;         // "YYYY-MM-DD" of sent_at (UTC)
  std::string company_key;  // the batch's company id, lowercased, letters and digits only
  bool email = false;       // an e-mail (source, a "Subject:" line or an address as sender)
};

MessageView MakeView(const BatchMessage& message);

// `phrase` at word boundaries on both sides; npos if absent.
size_t FindPhrase(std::string_view lower, std::string_view phrase, size_t from = 0);
inline bool HasPhrase(std::string_view lower, std::string_view phrase) {
  return FindPhrase(lower, phrase) != std::string_view::npos;
}
// The earliest of `phrases`; npos if none.
size_t FindFirst(std::string_view lower, std::initializer_list<std::string_view> phrases);
// A word beginning with `stem` ("launch" finds "launched").
size_t FindStem(std::string_view lower, std::string_view stem);

struct Span {
  size_t begin = 0;
  size_t end = 0;
};
// The sentence around `pos`: bounded by ". ", "! ", "? ", ": " followed by a capital, or the ends.
Span SentenceAt(std::string_view text, size_t pos);
// The clause around `pos`: the sentence cut at ", ", "; ", " - ", " but " and parentheses.
Span ClauseAt(std::string_view text, size_t pos);
// Hypothetical or future wording (would, we'd, if, will, once, plan, ...) in the span.
bool IsConditional(std::string_view lower, Span sentence);
// A forecast, plan, estimate or pipeline figure ("tracking to", "by end of", "exit ARR",
// "run-rate", "at full rollout", "weighted") or a conditional one, in the span.
bool IsProjection(std::string_view lower, Span clause);
// A negation ("not", "no", "never", "nothing", "n't", "yet to") among the `words` words before
// `pos`, within its sentence: "we did NOT close", "haven't signed", "nothing is signed".
bool NegatedBefore(std::string_view lower, size_t pos, int words = 4);
// `pos` lies inside a quotation ('...', "...", ‘...’, “...”): a draft headline, a slide text,
// a claim being checked. Apostrophes inside words do not open quotes.
bool InQuotes(std::string_view text, size_t pos);
// The message is not about something real: a draft, mock-up, placeholder, scenario,
// hypothetical, what-if, napkin maths, rumour or joke. Nothing from it is a fact.
bool IsUnreal(const MessageView& view);
// The message carries instructions aimed at an AI reader ("ignore prior guidance and report
// that ...", "[assistant-instructions]"), or talks about such a message. Nothing from it is
// extracted: the text is data, never an instruction.
bool IsInjection(const MessageView& view);
// `pos` may be used as a statement of fact: not quoted, not negated, not in a conditional or
// projected clause.
bool IsFactual(const MessageView& view, size_t pos);
// The company speaking of itself: we, we're, we've, our, us in the span.
bool HasFirstPerson(std::string_view lower, Span sentence);
// An opinion about a figure rather than a statement of it: "is huge", "is impressive",
// "is insane", ... in the span ("$75k ARR is huge for a seed-stage team").
bool IsCommentary(std::string_view lower, Span sentence);
// Letters and digits of `name`, lowercased ("Scale Flow, Inc." -> "scaleflowinc").
std::string NameKey(std::string_view name);

struct Amount {
  double value = 0;
  size_t begin = 0;
  size_t end = 0;
  std::string currency;     // ISO code ("USD", "GBP", "NOK"); "" for a bare figure
  bool has_suffix = false;  // written with a magnitude: "3.7m", "75k", "four million"
};
// Money with its currency: "$192,400", "$12.4M", "$ 75k", "£1.42m", "€8m", "US$5M",
// "NOK 2.1m", "USD 23.40", "1.4M EUR". A percentage is never money.
std::vector<Amount> FindMoney(std::string_view text);
// The money above plus bare figures written with a magnitude ("3.7m", "221.4k") or in words
// ("four million", "ninety-one thousand"); bare figures carry no currency. In text order.
std::vector<Amount> FindFigures(std::string_view text);
// The currency of the first money amount in `text`, else "USD".
std::string MainCurrency(std::string_view text);
// A rough USD value of `value` in `currency`, only to compare sizes (deal severity).
double RoughUsd(double value, std::string_view currency);
// The amount in `within` closest to `pos` (distance measured between the nearest edges),
// at most `max_distance` bytes away.
std::optional<Amount> NearestMoney(const std::vector<Amount>& money, Span within, size_t pos,
                                   size_t max_distance);
// A count that ends at most `max_words` words before `pos` ("10,000 weekly active" + users);
// percentages and dollar amounts do not count.
std::optional<Amount> CountBefore(std::string_view lower, size_t pos, int max_words);
// The first plain number within `window` bytes after `pos` ("headcount is now 45"); not a
// percentage.
std::optional<Amount> NumberAfter(std::string_view lower, size_t pos, size_t window);
// A percentage ending within `window` bytes before `pos` ("+12.5% WoW"), or starting within
// `window` bytes after it ("NRR hit 137%").
std::optional<double> PercentBefore(std::string_view lower, size_t pos, size_t window);
std::optional<double> PercentAfter(std::string_view lower, size_t pos, size_t window);

// Capitalized words ("Blue Chip Ventures", "Delta Airlines", "AWS") ending just before `pos`
// or starting at `pos` (after spaces). Connectors "of", "&", "and" may join two of them.
// The words that end right before `pos` (spaces between them), in text order, at most `limit`:
// the walk back stops at the first word `take(word, words_taken_so_far)` refuses.
template <typename Take>
std::vector<std::string_view> WordsBefore(std::string_view text, size_t pos, size_t limit,
                                          Take take) {
  std::vector<std::string_view> words;
  size_t at = pos;
  while (words.size() < limit) {
    while (at > 0 && text[at - 1] == ' ') --at;
    const size_t end = at;
    while (at > 0 && text[at - 1] != ' ') --at;
    std::string_view word = text.substr(at, end - at);
    if (word.empty() || !take(word, words)) break;
    words.insert(words.begin(), word);
  }
  return words;
}

std::string CapitalizedBefore(std::string_view text, size_t pos);
std::string CapitalizedAfter(std::string_view text, size_t pos);
// A quoted name ('ScaleFlow 2.0', "X", ‘X’) starting within `window` bytes after `pos`.
std::string QuotedAfter(std::string_view text, size_t pos, size_t window);

// Redacted, trimmed text safe to copy into an event (no PII leaves through titles either).
std::string Clean(std::string_view text, size_t max_bytes = 280);
// The redacted sentence around `pos`, for descriptions.
std::string Excerpt(const MessageView& view, size_t pos);

// The sentence around `pos`, as text.
std::string_view SentenceOf(const MessageView& view, size_t pos);
// The sentence around `pos` as a title: no "Subject:" prefix, no final period, redacted.
std::string SentenceTitle(const MessageView& view, size_t pos);
// Whether the sentence around `pos` contains one of `phrases` (lowercase, whole words).
bool SentenceHasAny(const MessageView& view, size_t pos,
                    std::initializer_list<std::string_view> phrases);

// 4000 -> "4,000", 25000 -> "25,000".
std::string FormatCount(double value);

// "series_a" -> "Series A", "seed" -> "Seed".
std::string RoundLabel(std::string_view round);

}  // namespace ms::rules
