// Numbers as people write them in business chat: "$192,400", "$12.4M", "75k", "12 million",
// "12.5", "ninety-one thousand". Shared by fingerprinting (normalizing metric values) and the rules
// extractor. Pure and locale-independent.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ms {

struct AmountMatch {
  double value = 0;
  size_t end = 0;           // offset just past the number and its suffix
  bool has_suffix = false;  // k / M / B / million / billion / thousand
};

// Reads the number starting at text[pos], which must be a digit: digits with optional ","
// thousands groups and "." decimals, then an optional magnitude suffix, either glued ("12M",
// "75k", "1.4bn", "2MM") or a following word ("12 million"). A glued letter that is not a
// suffix ("85ms", "2.4GB") ends the number without one.
std::optional<AmountMatch> ReadAmount(std::string_view text, size_t pos);

// Reads a number written in words starting at text[pos] (a word start): "four million",
// "two hundred twenty-one thousand", "ninety-one thousand", "one hundred and five". Words are
// separated by spaces or hyphens, case is ignored. Only numbers of 100 or more (a "hundred" or
// a scale word) are read, so "two quick checks" is not a number; nullopt otherwise.
std::optional<AmountMatch> ReadNumberWords(std::string_view text, size_t pos);

// The first number in `text`, whatever precedes it ("$", "USD ", "~"); nullopt if none.
// "$12.4M" -> 12400000, "12,000,000" -> 12000000, "12.5%" -> 12.5. Text without digits may
// spell the number: "four million" -> 4000000.
std::optional<double> ParseAmount(std::string_view text);

// Shortest plain decimal form: 192400 -> "192400", 12.5 -> "12.5", 1.25e7 -> "12500000".
std::string FormatNumber(double value);

// Compact dollars for titles: 12400000 -> "$12.4M", 192400 -> "$192,400", 2500000000 -> "$2.5B".
std::string FormatUsd(double value);

}  // namespace ms
