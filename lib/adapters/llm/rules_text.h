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
// Hypothetical or future wording (would, if, will, once, plan, ...) in the span.
bool IsConditional(std::string_view lower, Span sentence);
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
};
// Dollar amounts: "$192,400", "$12.4M", "$ 75k".
std::vector<Amount> FindMoney(std::string_view text);
// The amount in `within` closest to `pos` (distance measured between the nearest edges),
// at most `max_distance` bytes away.
std::optional<Amount> NearestMoney(const std::vector<Amount>& money, Span within, size_t pos,
                                   size_t max_distance);
// A count that ends at most `max_words` words before `pos` ("10,000 weekly active" + users);
// percentages and dollar amounts do not count.
std::optional<Amount> CountBefore(std::string_view lower, size_t pos, int max_words);
// The first plain number within `window` bytes after `pos` ("headcount is now 45").
std::optional<Amount> NumberAfter(std::string_view lower, size_t pos, size_t window);
// A percentage ending within `window` bytes before `pos` ("+12.5% WoW"), or starting within
// `window` bytes after it ("NRR hit 137%").
std::optional<double> PercentBefore(std::string_view lower, size_t pos, size_t window);
std::optional<double> PercentAfter(std::string_view lower, size_t pos, size_t window);

// Capitalized words ("Blue Chip Ventures", "Delta Airlines", "AWS") ending just before `pos`
// or starting at `pos` (after spaces). Connectors "of", "&", "and" may join two of them.
std::string CapitalizedBefore(std::string_view text, size_t pos);
std::string CapitalizedAfter(std::string_view text, size_t pos);
// A quoted name ('ScaleFlow 2.0', "X", ‘X’) starting within `window` bytes after `pos`.
std::string QuotedAfter(std::string_view text, size_t pos, size_t window);

// Redacted, trimmed text safe to copy into an event (no PII leaves through titles either).
std::string Clean(std::string_view text, size_t max_bytes = 280);
// The redacted sentence around `pos`, for descriptions.
std::string Excerpt(const MessageView& view, size_t pos);

// 4000 -> "4,000", 25000 -> "25,000".
std::string FormatCount(double value);

// "series_a" -> "Series A", "seed" -> "Seed".
std::string RoundLabel(std::string_view round);

}  // namespace ms::rules
