#include "pipeline/extract/prefilter.h"

#include <algorithm>
#include <array>
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

// A vocabulary list by first byte, so a word or a text position is compared only with the
// entries that can match it. The lists hold no empty entry.
class Vocabulary {
 public:
  template <size_t N>
  explicit Vocabulary(const std::string_view (&list)[N]) {
    for (std::string_view entry : list) {
      if (!entry.empty()) by_first_[static_cast<unsigned char>(entry.front())].push_back(entry);
    }
  }
  // Entries that could start at `first`.
  const std::vector<std::string_view>& StartingWith(char first) const {
    return by_first_[static_cast<unsigned char>(first)];
  }
  bool Has(std::string_view word) const {
    if (word.empty()) return false;
    const auto& entries = StartingWith(word.front());
    return std::find(entries.begin(), entries.end(), word) != entries.end();
  }
  bool HasPrefixOf(std::string_view word) const {
    if (word.empty()) return false;
    const auto& entries = StartingWith(word.front());
    return std::any_of(entries.begin(), entries.end(),
                       [&](std::string_view entry) { return word.starts_with(entry); });
  }

 private:
  std::array<std::vector<std::string_view>, 256> by_first_;
};

const Vocabulary kSignalWords(vocab::kSignalWords);
const Vocabulary kSignalStems(vocab::kSignalStems);
const Vocabulary kSignalPhrases(vocab::kSignalPhrases);
const Vocabulary kNotAFactPhrases(vocab::kNotAFactPhrases);
const Vocabulary kRoutinePhrases(vocab::kRoutinePhrases);
const Vocabulary kChatterPhrases(vocab::kChatterPhrases);
const Vocabulary kNegators(vocab::kNegators);
const Vocabulary kEventWords(vocab::kEventWords);
const Vocabulary kDoneWords(vocab::kDoneWords);
const Vocabulary kConditionals(vocab::kConditionals);

bool IsSignalWord(std::string_view word) {
  return kSignalWords.Has(word) || kSignalStems.HasPrefixOf(word);
}

// Whether `lower` contains one of `phrases` starting at a word boundary ("pto" is not in
// "crypto"). The end is open so that stems match ("reschedul" in "rescheduled") unless
// `whole_words` ("lol" is not in "lollipop"). One pass over the word boundaries.
bool ContainsAny(std::string_view lower, const Vocabulary& phrases, bool whole_words = false) {
  for (size_t at = 0; at < lower.size(); ++at) {
    if (at > 0 && ascii::IsAlnum(lower[at - 1])) continue;
    for (std::string_view phrase : phrases.StartingWith(lower[at])) {
      if (lower.compare(at, phrase.size(), phrase) != 0) continue;
      const size_t end = at + phrase.size();
      if (!whole_words || end == lower.size() || !ascii::IsAlnum(lower[end])) return true;
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
bool PrecededBy(const std::vector<std::string_view>& words, size_t idx, const Vocabulary& list) {
  for (size_t back = 1; back <= kNegationReach && back <= idx; ++back) {
    if (list.Has(words[idx - back])) return true;
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
    const bool event = kEventWords.Has(word);
    const bool done = kDoneWords.Has(word);
    if (!event && !done) continue;
    const bool negated = PrecededBy(words, idx, kNegators);
    reading->negated = reading->negated || (event && negated);
    reading->done = reading->done || (done && !negated && !PrecededBy(words, idx, kConditionals));
  }
}

Reading Read(std::string_view lower) {
  Reading reading;
  ReadWords(lower, &reading);
  reading.signal = reading.signal || ContainsAny(lower, kSignalPhrases);
  reading.figure = HasMoney(lower) || HasPercent(lower);
  reading.not_a_fact = ContainsAny(lower, kNotAFactPhrases, /*whole_words=*/true);
  reading.routine = ContainsAny(lower, kRoutinePhrases);
  reading.chatter = ContainsAny(lower, kChatterPhrases);
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
