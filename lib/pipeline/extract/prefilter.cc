#include "pipeline/extract/prefilter.h"

#include <algorithm>
#include <string>
#include <vector>

#include "pipeline/extract/prefilter_vocab.h"
#include "pipeline/text/ascii.h"

namespace ms {
namespace {

namespace vocab = prefilter_vocab;

constexpr size_t kShortWords = 8;
// How many words before an event word a negator still negates it ("haven't even signed").
constexpr size_t kNegationReach = 3;

// Lowercase ASCII, with the typographic apostrophe read as "'".
std::string Normalize(std::string_view subject, std::string_view text) {
  std::string out;
  out.reserve(subject.size() + text.size() + 1);
  for (std::string_view part : {subject, std::string_view("\n"), text}) {
    for (size_t idx = 0; idx < part.size(); ++idx) {
      if (part.substr(idx).starts_with("\xe2\x80\x99")) {
        out.push_back('\'');
        idx += 2;
        continue;
      }
      out.push_back(ascii::ToLower(part[idx]));
    }
  }
  return out;
}

bool IsWordChar(char c) {
  return ascii::IsAlnum(c) || c == '\'';
}

// Words of `lower`: runs of letters, digits and apostrophes, quotes at either end trimmed.
std::vector<std::string_view> SplitWords(std::string_view lower) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (pos < lower.size()) {
    while (pos < lower.size() && !IsWordChar(lower[pos])) ++pos;
    size_t begin = pos;
    while (pos < lower.size() && IsWordChar(lower[pos])) ++pos;
    std::string_view word = lower.substr(begin, pos - begin);
    while (!word.empty() && word.front() == '\'') word.remove_prefix(1);
    while (!word.empty() && word.back() == '\'') word.remove_suffix(1);
    if (!word.empty()) words.push_back(word);
  }
  return words;
}

template <size_t N>
bool IsOneOf(std::string_view word, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

bool IsSignalWord(std::string_view word) {
  if (IsOneOf(word, vocab::kSignalWords)) return true;
  return std::any_of(std::begin(vocab::kSignalStems), std::end(vocab::kSignalStems),
                     [&](std::string_view stem) { return word.starts_with(stem); });
}

// Whether `lower` contains one of `phrases` starting at a word boundary ("pto" is not in
// "crypto"). The end is open so that stems match ("reschedul" in "rescheduled") unless
// `whole_words` ("lol" is not in "lollipop").
template <size_t N>
bool ContainsAny(std::string_view lower, const std::string_view (&phrases)[N],
                 bool whole_words = false) {
  for (std::string_view phrase : phrases) {
    for (size_t at = lower.find(phrase); at != std::string_view::npos;
         at = lower.find(phrase, at + 1)) {
      const size_t end = at + phrase.size();
      const bool starts = at == 0 || !ascii::IsAlnum(lower[at - 1]);
      const bool ends = !whole_words || end == lower.size() || !ascii::IsAlnum(lower[end]);
      if (starts && ends) return true;
    }
  }
  return false;
}

bool DigitFollows(std::string_view lower, size_t at) {
  if (at < lower.size() && lower[at] == ' ') ++at;
  return at < lower.size() && ascii::IsDigit(lower[at]);
}

bool HasMoney(std::string_view lower) {
  // "$", the UTF-8 euro sign (E2 82 AC) and pound sign (C2 A3), each followed by a digit.
  for (std::string_view sign : {"$", "\xe2\x82\xac", "\xc2\xa3"}) {
    for (size_t at = lower.find(sign); at != std::string_view::npos;
         at = lower.find(sign, at + 1)) {
      if (DigitFollows(lower, at + sign.size())) return true;
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

// What one message says, read once.
struct Reading {
  size_t words = 0;
  bool digits = false;
  bool signal = false;      // business vocabulary
  bool figure = false;      // an amount or a percentage
  bool negated = false;     // an event word with a negator just before it
  bool done = false;        // an event stated as done, not negated
  bool not_a_fact = false;  // plan, scenario, rumour, lost outcome, caution, internal test
  bool routine = false;
  bool chatter = false;
};

// Whether one of `list` is among the kNegationReach words before words[idx].
template <size_t N>
bool PrecededBy(const std::vector<std::string_view>& words, size_t idx,
                const std::string_view (&list)[N]) {
  for (size_t back = 1; back <= kNegationReach && back <= idx; ++back) {
    if (IsOneOf(words[idx - back], list)) return true;
  }
  return false;
}

void ReadWords(std::string_view lower, Reading* reading) {
  std::vector<std::string_view> words = SplitWords(lower);
  reading->words = words.size();
  for (size_t idx = 0; idx < words.size(); ++idx) {
    std::string_view word = words[idx];
    reading->digits = reading->digits || std::any_of(word.begin(), word.end(), ascii::IsDigit);
    reading->signal = reading->signal || IsSignalWord(word);
    const bool event = IsOneOf(word, vocab::kEventWords);
    const bool done = IsOneOf(word, vocab::kDoneWords);
    if (!event && !done) continue;
    const bool negated = PrecededBy(words, idx, vocab::kNegators);
    reading->negated = reading->negated || (event && negated);
    reading->done =
        reading->done || (done && !negated && !PrecededBy(words, idx, vocab::kConditionals));
  }
}

Reading Read(std::string_view lower) {
  Reading reading;
  ReadWords(lower, &reading);
  reading.signal = reading.signal || ContainsAny(lower, vocab::kSignalPhrases);
  reading.figure = HasMoney(lower) || HasPercent(lower);
  reading.not_a_fact = ContainsAny(lower, vocab::kNotAFactPhrases, /*whole_words=*/true);
  reading.routine = ContainsAny(lower, vocab::kRoutinePhrases);
  reading.chatter = ContainsAny(lower, vocab::kChatterPhrases);
  return reading;
}

}  // namespace

bool HasSignal(std::string_view text) {
  Reading reading = Read(Normalize("", text));
  return reading.signal || reading.figure;
}

PrefilterVerdict ClassifyMessage(std::string_view subject, std::string_view text) {
  Reading reading = Read(Normalize(subject, text));
  // A negated event word alone ("not signed yet") does not drop a message with a figure: a
  // term sheet received is an event though it is not signed.
  if ((reading.not_a_fact || (reading.negated && !reading.figure)) && !reading.done) {
    return PrefilterVerdict::kDropNotAFact;
  }
  if (reading.signal) return PrefilterVerdict::kKeepSignal;
  if (reading.routine) return PrefilterVerdict::kDropRoutine;
  if (reading.figure) return PrefilterVerdict::kKeepSignal;
  if (reading.chatter) return PrefilterVerdict::kDropChatter;
  if (reading.words < kShortWords && !reading.digits) return PrefilterVerdict::kDropShort;
  return PrefilterVerdict::kKeepUnsure;
}

}  // namespace ms
