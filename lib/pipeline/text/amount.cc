#include "pipeline/text/amount.h"

#include <cmath>
#include <cstdio>
#include <iterator>
#include <utility>

#include "pipeline/text/ascii.h"

namespace ms {
namespace {

// Magnitude of a suffix starting at text[pos], and where it ends; 0 when there is none.
double GluedSuffix(std::string_view text, size_t pos, size_t* end) {
  struct Suffix {
    std::string_view word;
    double scale;
  };
  constexpr Suffix kGlued[] = {{"mm", 1e6}, {"bn", 1e9}, {"k", 1e3}, {"m", 1e6}, {"b", 1e9}};
  for (const Suffix& suffix : kGlued) {
    size_t stop = pos + suffix.word.size();
    if (stop > text.size()) continue;
    if (!ascii::EqualsIgnoreCase(text.substr(pos, suffix.word.size()), suffix.word)) continue;
    if (stop < text.size() && ascii::IsAlpha(text[stop])) continue;  // "85ms", "2.4GB"
    *end = stop;
    return suffix.scale;
  }
  return 0;
}

double WordSuffix(std::string_view text, size_t pos, size_t* end) {
  if (pos >= text.size() || text[pos] != ' ') return 0;
  constexpr std::pair<std::string_view, double> kWords[] = {
      {"thousand", 1e3}, {"million", 1e6}, {"billion", 1e9}};
  for (auto [word, scale] : kWords) {
    size_t stop = pos + 1 + word.size();
    if (stop > text.size()) continue;
    if (!ascii::EqualsIgnoreCase(text.substr(pos + 1, word.size()), word)) continue;
    if (stop < text.size() && ascii::IsAlpha(text[stop])) continue;
    *end = stop;
    return scale;
  }
  return 0;
}

// The value of one number word ("seven" 7, "ninety" 90); -1 when it is none.
int SmallNumberWord(std::string_view word) {
  constexpr std::string_view kUnits[] = {"zero",    "one",     "two",       "three",    "four",
                                         "five",    "six",     "seven",     "eight",    "nine",
                                         "ten",     "eleven",  "twelve",    "thirteen", "fourteen",
                                         "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
  constexpr std::string_view kTens[] = {"twenty", "thirty",  "forty",  "fifty",
                                        "sixty",  "seventy", "eighty", "ninety"};
  for (size_t idx = 0; idx < std::size(kUnits); ++idx) {
    if (ascii::EqualsIgnoreCase(word, kUnits[idx])) return static_cast<int>(idx);
  }
  for (size_t idx = 0; idx < std::size(kTens); ++idx) {
    if (ascii::EqualsIgnoreCase(word, kTens[idx])) return static_cast<int>(20 + 10 * idx);
  }
  return -1;
}

double ScaleWord(std::string_view word) {
  if (ascii::EqualsIgnoreCase(word, "thousand")) return 1e3;
  if (ascii::EqualsIgnoreCase(word, "million")) return 1e6;
  if (ascii::EqualsIgnoreCase(word, "billion")) return 1e9;
  return 0;
}

}  // namespace

std::optional<AmountMatch> ReadNumberWords(std::string_view text, size_t pos) {
  double total = 0;
  double group = 0;  // the part below the last scale word
  bool any = false;
  bool large = false;
  size_t end = pos;
  size_t at = pos;
  while (at < text.size()) {
    size_t word_end = at;
    while (word_end < text.size() && ascii::IsAlpha(text[word_end])) ++word_end;
    std::string_view word = text.substr(at, word_end - at);
    if (word.empty()) break;
    int small = SmallNumberWord(word);
    double scale = ScaleWord(word);
    if (small >= 0) {
      group += small;
    } else if (ascii::EqualsIgnoreCase(word, "hundred") && group > 0) {
      group *= 100;
      large = true;
    } else if (scale > 0 && group > 0) {
      total += group * scale;
      group = 0;
      large = true;
    } else if (!(any && ascii::EqualsIgnoreCase(word, "and"))) {
      break;
    }
    any = true;
    if (!ascii::EqualsIgnoreCase(word, "and")) end = word_end;
    at = word_end;
    if (at < text.size() && (text[at] == ' ' || text[at] == '-')) ++at;
  }
  if (!large) return std::nullopt;
  return AmountMatch{total + group, end, true};
}

std::optional<AmountMatch> ReadAmount(std::string_view text, size_t pos) {
  if (pos >= text.size() || !ascii::IsDigit(text[pos])) return std::nullopt;
  double value = 0;
  size_t at = pos;
  while (at < text.size()) {
    if (ascii::IsDigit(text[at])) {
      value = value * 10 + (text[at++] - '0');
    } else if (text[at] == ',' && at + 3 < text.size() && ascii::IsDigit(text[at + 1]) &&
               ascii::IsDigit(text[at + 2]) && ascii::IsDigit(text[at + 3]) &&
               (at + 4 >= text.size() || !ascii::IsDigit(text[at + 4]))) {
      ++at;  // thousands separator: exactly three digits follow
    } else {
      break;
    }
  }
  if (at + 1 < text.size() && text[at] == '.' && ascii::IsDigit(text[at + 1])) {
    double scale = 0.1;
    for (++at; at < text.size() && ascii::IsDigit(text[at]); ++at, scale /= 10) {
      value += (text[at] - '0') * scale;
    }
  }
  AmountMatch match{value, at, false};
  size_t end = at;
  double magnitude = GluedSuffix(text, at, &end);
  if (magnitude == 0) magnitude = WordSuffix(text, at, &end);
  if (magnitude != 0) {
    match.value = value * magnitude;
    match.end = end;
    match.has_suffix = true;
  }
  return match;
}

std::optional<double> ParseAmount(std::string_view text) {
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (ascii::IsDigit(text[pos])) return ReadAmount(text, pos)->value;
  }
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (pos > 0 && ascii::IsAlpha(text[pos - 1])) continue;
    if (auto words = ReadNumberWords(text, pos)) return words->value;
  }
  return std::nullopt;
}

std::string FormatNumber(double value) {
  double rounded = std::round(value);
  char buffer[64];
  if (std::fabs(value - rounded) < 1e-6 && std::fabs(rounded) < 1e15) {
    std::snprintf(buffer, sizeof buffer, "%.0f", rounded);
    return buffer;
  }
  std::snprintf(buffer, sizeof buffer, "%.4f", value);
  std::string text = buffer;
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  return text;
}

std::string FormatUsd(double value) {
  if (value >= 1e9) return "$" + FormatNumber(std::round(value / 1e8) / 10) + "B";
  if (value >= 1e6) return "$" + FormatNumber(std::round(value / 1e5) / 10) + "M";
  std::string digits = FormatNumber(std::round(value));
  std::string grouped;
  for (size_t idx = 0; idx < digits.size(); ++idx) {
    if (idx > 0 && (digits.size() - idx) % 3 == 0) grouped.push_back(',');
    grouped.push_back(digits[idx]);
  }
  return "$" + grouped;
}

}  // namespace ms
