#include "pipeline/extract/rules_text.h"

#include "pipeline/extract/redact.h"
#include "pipeline/text/amount.h"
#include "pipeline/text/ascii.h"
#include "pipeline/text/utc_date.h"

namespace ms::rules {
namespace {

bool IsBoundary(std::string_view lower, size_t at) {
  return at >= lower.size() || !ascii::IsAlnum(lower[at]);
}

// The word ending at the period `at` is an abbreviation ("est.", "approx.", "Dr."), so the
// period does not end the sentence.
bool AbbreviationBefore(std::string_view text, size_t at) {
  size_t begin = at;
  while (begin > 0 && ascii::IsAlpha(text[begin - 1])) --begin;
  std::string word = ascii::Lower(text.substr(begin, at - begin));
  constexpr std::string_view kAbbreviations[] = {"est", "approx", "incl", "excl", "vs",  "dr",
                                                 "mr",  "mrs",    "ms",   "prof", "no",  "st",
                                                 "jr",  "sr",     "ca",   "appr", "e.g", "i.e"};
  for (std::string_view abbreviation : kAbbreviations) {
    if (word == abbreviation) return true;
  }
  return false;
}

// A number may start at `at`: not inside a word, a number, an amount or a reference.
bool NumberStart(std::string_view lower, size_t at) {
  if (!ascii::IsDigit(lower[at])) return false;
  if (at == 0) return true;
  char prev = lower[at - 1];
  if (ascii::IsAlnum(prev) || prev == '$' || prev == '#') return false;
  if (static_cast<unsigned char>(prev) >= 0x80) return false;  // "£1.4m", "€8m"
  return !((prev == '.' || prev == ',') && at >= 2 && ascii::IsDigit(lower[at - 2]));
}

bool IsNameWordChar(char c) {
  return ascii::IsAlnum(c) || c == '&' || c == '-' || c == '.' || c == '\'' ||
         static_cast<unsigned char>(c) >= 0x80;  // "Kjølelager"
}

// The word [begin, end) as a name part: starts with a capital (or is "&"), no other punctuation.
bool IsCapitalizedWord(std::string_view text, size_t begin, size_t end) {
  if (begin >= end) return false;
  if (text.substr(begin, end - begin) == "&") return true;
  if (!(text[begin] >= 'A' && text[begin] <= 'Z')) return false;
  for (size_t idx = begin; idx < end; ++idx) {
    if (!IsNameWordChar(text[idx])) return false;
  }
  return true;
}

bool IsLeadingFiller(std::string_view word) {
  constexpr std::string_view kFillers[] = {
      "The",   "Our",    "We",   "Today", "Just",      "And",     "Also", "Huge", "Big",
      "Great", "Please", "This", "That",  "Yesterday", "Subject", "Hi",   "Hey",  "Update"};
  for (std::string_view filler : kFillers) {
    if (word == filler) return true;
  }
  return false;
}

std::string JoinWords(const std::vector<std::string_view>& words) {
  std::string out;
  for (std::string_view word : words) {
    if (!out.empty()) out.push_back(' ');
    out.append(word);
  }
  while (!out.empty() && (out.back() == '.' || out.back() == '-' || out.back() == '\'')) {
    out.pop_back();
  }
  return out;
}

}  // namespace

MessageView MakeView(const BatchMessage& message) {
  MessageView view;
  bool folded = message.subject.empty() || ascii::Trim(message.text).starts_with("Subject:");
  view.text = ascii::CollapseSpace(folded ? message.text
                                          : "Subject: " + message.subject + ". " + message.text);
  view.lower = ascii::Lower(view.text);
  view.sender = ascii::CollapseSpace(message.sender);
  view.sender_lower = ascii::Lower(view.sender);
  view.date = UtcDate(message.sent_at_ms);
  view.email = message.source == Source::kGmail || view.text.starts_with("Subject:") ||
               view.sender.find('@') != std::string::npos;
  return view;
}

size_t FindPhrase(std::string_view lower, std::string_view phrase, size_t from) {
  bool check_before = ascii::IsAlnum(phrase.front());
  bool check_after = ascii::IsAlnum(phrase.back());
  for (size_t at = lower.find(phrase, from); at != std::string_view::npos;
       at = lower.find(phrase, at + 1)) {
    bool before_ok = !check_before || at == 0 || !ascii::IsAlnum(lower[at - 1]);
    bool after_ok = !check_after || IsBoundary(lower, at + phrase.size());
    if (before_ok && after_ok) return at;
  }
  return std::string_view::npos;
}

size_t FindFirst(std::string_view lower, std::initializer_list<std::string_view> phrases) {
  size_t first = std::string_view::npos;
  for (std::string_view phrase : phrases) {
    size_t at = FindPhrase(lower, phrase);
    if (at < first) first = at;
  }
  return first;
}

size_t FindStem(std::string_view lower, std::string_view stem) {
  for (size_t at = lower.find(stem); at != std::string_view::npos; at = lower.find(stem, at + 1)) {
    if (at == 0 || !ascii::IsAlnum(lower[at - 1])) return at;
  }
  return std::string_view::npos;
}

Span SentenceAt(std::string_view text, size_t pos) {
  auto is_stop = [&](size_t at) {
    char c = text[at];
    if (!((c == '.' || c == '!' || c == '?') && (at + 1 >= text.size() || text[at + 1] == ' '))) {
      return false;
    }
    return c != '.' || !AbbreviationBefore(text, at);
  };
  Span span{0, text.size()};
  for (size_t at = pos; at-- > 0;) {
    if (is_stop(at)) {
      span.begin = at + 2;
      break;
    }
  }
  for (size_t at = pos; at < text.size(); ++at) {
    if (is_stop(at)) {
      span.end = at + 1;
      break;
    }
  }
  if (span.begin > span.end) span.begin = span.end;
  return span;
}

bool HasFirstPerson(std::string_view lower, Span sentence) {
  std::string_view part = lower.substr(sentence.begin, sentence.end - sentence.begin);
  return FindFirst(part, {"we", "our", "us", "ours"}) != std::string_view::npos;
}

bool IsCommentary(std::string_view lower, Span sentence) {
  std::string_view part = lower.substr(sentence.begin, sentence.end - sentence.begin);
  return FindFirst(part, {"is huge", "is impressive", "is insane", "is amazing", "is incredible",
                          "is massive", "is big", "is great", "is solid", "is nice",
                          "is a big deal", "are impressive", "looks great", "is wild"}) !=
         std::string_view::npos;
}

std::string NameKey(std::string_view name) {
  std::string key;
  for (char c : name) {
    if (ascii::IsAlnum(c)) key.push_back(ascii::ToLower(c));
  }
  return key;
}

std::optional<Amount> NearestMoney(const std::vector<Amount>& money, Span within, size_t pos,
                                   size_t max_distance) {
  std::optional<Amount> best;
  size_t best_distance = max_distance + 1;
  for (const Amount& amount : money) {
    if (amount.begin < within.begin || amount.end > within.end) continue;
    size_t distance =
        amount.end <= pos ? pos - amount.end : (amount.begin >= pos ? amount.begin - pos : 0);
    if (distance < best_distance) {
      best = amount;
      best_distance = distance;
    }
  }
  return best;
}

std::optional<Amount> CountBefore(std::string_view lower, size_t pos, int max_words) {
  constexpr size_t kWindow = 64;
  std::optional<Amount> last;
  for (size_t at = pos > kWindow ? pos - kWindow : 0; at < pos; ++at) {
    if (!NumberStart(lower, at)) continue;
    AmountMatch match = *ReadAmount(lower, at);
    if (match.end > pos) break;
    int words = 0;
    bool clean = true;
    bool in_word = false;
    for (size_t gap = match.end; gap < pos && clean; ++gap) {
      char c = lower[gap];
      clean = c == ' ' || ascii::IsAlpha(c) || c == '-';
      if (ascii::IsAlpha(c) && !in_word) ++words;
      in_word = ascii::IsAlpha(c) || c == '-';
    }
    if (clean && words <= max_words)
      last = Amount{match.value, at, match.end, "", match.has_suffix};
    at = match.end;
  }
  return last;
}

std::optional<Amount> NumberAfter(std::string_view lower, size_t pos, size_t window) {
  for (size_t at = pos; at < lower.size() && at < pos + window; ++at) {
    if (!NumberStart(lower, at)) continue;
    AmountMatch match = *ReadAmount(lower, at);
    if (match.end < lower.size() && lower[match.end] == '%') return std::nullopt;
    return Amount{match.value, at, match.end, "", match.has_suffix};
  }
  return std::nullopt;
}

std::optional<double> PercentBefore(std::string_view lower, size_t pos, size_t window) {
  size_t from = pos > window ? pos - window : 0;
  for (size_t at = pos; at-- > from;) {
    if (lower[at] != '%') continue;
    size_t begin = at;
    while (begin > 0 && (ascii::IsDigit(lower[begin - 1]) || lower[begin - 1] == '.')) --begin;
    if (begin == at || !ascii::IsDigit(lower[begin])) continue;
    return ReadAmount(lower, begin)->value;
  }
  return std::nullopt;
}

std::optional<double> PercentAfter(std::string_view lower, size_t pos, size_t window) {
  for (size_t at = pos; at < lower.size() && at < pos + window; ++at) {
    if (!NumberStart(lower, at) && !(ascii::IsDigit(lower[at]) && lower[at - 1] == '+')) continue;
    size_t end = at;
    while (end < lower.size() && (ascii::IsDigit(lower[end]) || lower[end] == '.')) ++end;
    if (end < lower.size() && lower[end] == '%') return ReadAmount(lower, at)->value;
    at = end;
  }
  return std::nullopt;
}

std::string CapitalizedBefore(std::string_view text, size_t pos) {
  std::vector<std::string_view> words =
      WordsBefore(text, pos, 6, [&](std::string_view word, const auto&) {
        const auto begin = static_cast<size_t>(word.data() - text.data());
        return IsCapitalizedWord(text, begin, begin + word.size());
      });
  while (!words.empty() && (IsLeadingFiller(words.front()) || words.front() == "&")) {
    words.erase(words.begin());
  }
  return JoinWords(words);
}

std::string CapitalizedAfter(std::string_view text, size_t pos) {
  std::vector<std::string_view> words;
  size_t at = pos;
  while (at < text.size() && text[at] == ' ') ++at;
  if (at >= text.size()) return "";
  if (text.substr(at).starts_with("the ")) at += 4;
  while (words.size() < 6 && at < text.size()) {
    size_t begin = at;
    while (at < text.size() && text[at] != ' ') ++at;
    size_t end = at;
    bool stop = false;
    while (end > begin && (text[end - 1] == '!' || text[end - 1] == ',' || text[end - 1] == ';' ||
                           text[end - 1] == ':' || text[end - 1] == '?' || text[end - 1] == ')')) {
      --end;
      stop = true;
    }
    std::string_view word = text.substr(begin, end - begin);
    bool connector = word == "of" || word == "and" || word == "&";
    if (!connector && !IsCapitalizedWord(text, begin, end)) break;
    words.push_back(word);
    if (stop || (end > begin && text[end - 1] == '.')) break;
    while (at < text.size() && text[at] == ' ') ++at;
  }
  while (!words.empty() && (words.back() == "of" || words.back() == "and" || words.back() == "&")) {
    words.pop_back();
  }
  while (!words.empty() && IsLeadingFiller(words.front())) words.erase(words.begin());
  return JoinWords(words);
}

std::string QuotedAfter(std::string_view text, size_t pos, size_t window) {
  constexpr std::string_view kOpen[] = {"'", "\"", "\xe2\x80\x98", "\xe2\x80\x9c"};
  constexpr std::string_view kClose[] = {"'", "\"", "\xe2\x80\x99", "\xe2\x80\x9d"};
  for (size_t at = pos; at < text.size() && at < pos + window; ++at) {
    for (size_t kind = 0; kind < 4; ++kind) {
      if (!text.substr(at).starts_with(kOpen[kind])) continue;
      if (at > 0 && ascii::IsAlnum(text[at - 1])) continue;  // an apostrophe, not a quote
      size_t begin = at + kOpen[kind].size();
      size_t end = text.find(kClose[kind], begin);
      if (end == std::string_view::npos || end == begin || end - begin > 60) continue;
      return std::string(ascii::Trim(text.substr(begin, end - begin)));
    }
  }
  return "";
}

std::string Clean(std::string_view text, size_t max_bytes) {
  std::string out = Redact(ascii::Trim(text)).text;
  if (out.size() <= max_bytes) return out;
  size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  out.resize(cut);
  out.append("\xe2\x80\xa6");  // "…"
  return out;
}

std::string Excerpt(const MessageView& view, size_t pos) {
  constexpr size_t kShort = 80;
  Span span = SentenceAt(view.text, pos);
  // A short sentence ("Signed!") says little: take the following ones too.
  while (span.end - span.begin < kShort && span.end + 1 < view.text.size()) {
    span.end = SentenceAt(view.text, span.end + 1).end;
  }
  return Clean(std::string_view(view.text).substr(span.begin, span.end - span.begin));
}

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
                   phrases) != std::string_view::npos;
}

std::string FormatCount(double value) {
  return value >= 1e6 ? FormatNumber(value) : FormatUsd(value).substr(1);
}

std::string RoundLabel(std::string_view round) {
  if (round.starts_with("series_") && round.size() == 8) {
    return "Series " + std::string(1, static_cast<char>(round[7] - 'a' + 'A'));
  }
  if (round == "pre_seed") return "Pre-seed";
  if (round.empty()) return "";
  std::string label(round);
  if (label[0] >= 'a' && label[0] <= 'z') label[0] = static_cast<char>(label[0] - 'a' + 'A');
  return label;
}

}  // namespace ms::rules
