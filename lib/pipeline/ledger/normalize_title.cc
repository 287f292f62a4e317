// NormalizeTitle: the word-set form of a title used by fingerprints.
#include <algorithm>
#include <string>
#include <vector>

#include "pipeline/ledger/fingerprint.h"
#include "pipeline/text/amount.h"
#include "pipeline/text/ascii.h"

namespace ms {
namespace {

// Compared after stemming.
constexpr std::string_view kStopWords[] = {
    "a", "an", "the", "of", "for", "to", "in", "on", "at", "by", "with", "and", "or", "our", "we",
    "us", "is", "are", "were", "be", "been", "have", "had", "it", "its", "thi", "that", "new",
    "just", "now", "official", "officially", "today", "from", "as", "into", "over", "up", "per",
    "usd", "their", "they", "has", "was", "this", "all", "my", "your",
    // generic event verbs: the type already says what happened
    "rais", "clos", "secur", "land", "complet", "reach", "hit", "cross", "achiev", "pass",
    "surpass", "announc", "sign", "launch", "releas", "ship", "shipp", "hir", "hire", "welcom",
    "join", "open", "win", "won", "get", "got", "receiv", "lead", "led", "huge", "big", "news",
    "record"};

bool IsWordByte(char c) {
  return ascii::IsAlnum(c) || static_cast<unsigned char>(c) >= 0x80;
}

std::string Stem(std::string word) {
  auto strip = [&](std::string_view suffix, size_t min_size) {
    if (word.size() >= min_size && word.ends_with(suffix)) {
      word.resize(word.size() - suffix.size());
      return true;
    }
    return false;
  };
  if (!strip("ing", 6) && !strip("ed", 5) && !strip("es", 5)) {
    if (!word.ends_with("ss")) strip("s", 4);
  }
  strip("e", 5);
  return word;
}

bool IsStopWord(std::string_view stem) {
  return std::find(std::begin(kStopWords), std::end(kStopWords), stem) != std::end(kStopWords);
}

}  // namespace

std::string NormalizeTitle(std::string_view title) {
  std::string lower = ascii::Lower(title);
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos < lower.size()) {
    if (ascii::IsDigit(lower[pos]) && (pos == 0 || !IsWordByte(lower[pos - 1]))) {
      AmountMatch amount = *ReadAmount(lower, pos);
      words.push_back(FormatNumber(amount.value));
      pos = amount.end;
      continue;
    }
    if (!IsWordByte(lower[pos])) {
      ++pos;
      continue;
    }
    size_t begin = pos;
    while (pos < lower.size() && IsWordByte(lower[pos])) ++pos;
    std::string word = lower.substr(begin, pos - begin);
    if (word == "series" && pos + 2 <= lower.size() && lower[pos] == ' ' &&
        ascii::IsAlpha(lower[pos + 1]) &&
        (pos + 2 == lower.size() || !IsWordByte(lower[pos + 2]))) {
      words.push_back("series_" + std::string(1, lower[pos + 1]));  // "Series A" != "Series B"
      pos += 2;
      continue;
    }
    std::string stem = Stem(std::move(word));
    if (!IsStopWord(stem)) words.push_back(std::move(stem));
  }
  std::sort(words.begin(), words.end());
  words.erase(std::unique(words.begin(), words.end()), words.end());
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out.push_back(' ');
    out += word;
  }
  return out;
}

}  // namespace ms
