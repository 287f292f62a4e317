// Money and figures for the rules extractor: amounts with their currency, bare figures with a
// magnitude, numbers in words.
#include <algorithm>

#include "pipeline/extract/rules_text.h"
#include "pipeline/text/amount.h"
#include "pipeline/text/ascii.h"

namespace ms::rules {
namespace {

struct Symbol {
  std::string_view mark;
  const char* code;
};

// Longer marks first: "US$" before "$".
constexpr Symbol kSymbols[] = {{"US$", "USD"},      {"CA$", "CAD"},         {"AU$", "AUD"},
                               {"C$", "CAD"},       {"A$", "AUD"},          {"S$", "SGD"},
                               {"$", "USD"},        {"\xc2\xa3", "GBP"},    {"\xe2\x82\xac", "EUR"},
                               {"\xc2\xa5", "JPY"}, {"\xe2\x82\xb9", "INR"}};

constexpr std::string_view kCodes[] = {"USD", "EUR", "GBP", "NOK", "SEK", "DKK", "CHF",
                                       "CAD", "AUD", "JPY", "INR", "SGD", "NZD", "PLN",
                                       "CZK", "BRL", "MXN", "ZAR", "HKD", "CNY", "AED"};

bool WordStart(std::string_view text, size_t at) {
  return at == 0 || !ascii::IsAlnum(text[at - 1]);
}

// An ISO code at `at` as a whole word ("NOK", "usd"); "" if none.
std::string_view CodeAt(std::string_view text, size_t at) {
  if (at + 3 > text.size() || !WordStart(text, at)) return {};
  if (at + 3 < text.size() && ascii::IsAlpha(text[at + 3])) return {};
  for (std::string_view code : kCodes) {
    if (ascii::EqualsIgnoreCase(text.substr(at, 3), code)) return code;
  }
  return {};
}

bool DigitAt(std::string_view text, size_t at) {
  return at < text.size() && ascii::IsDigit(text[at]);
}

// Money starting at `at` with a symbol or a code before the number.
std::optional<Amount> PrefixedMoney(std::string_view text, size_t at) {
  for (const Symbol& symbol : kSymbols) {
    if (!text.substr(at).starts_with(symbol.mark)) continue;
    if (ascii::IsAlpha(symbol.mark[0]) && !WordStart(text, at)) continue;
    size_t digit = at + symbol.mark.size();
    if (digit < text.size() && text[digit] == ' ') ++digit;
    if (!DigitAt(text, digit)) return std::nullopt;
    AmountMatch match = *ReadAmount(text, digit);
    return Amount{match.value, at, match.end, symbol.code, match.has_suffix};
  }
  std::string_view code = CodeAt(text, at);
  if (code.empty() || at + 4 >= text.size() || text[at + 3] != ' ' || !DigitAt(text, at + 4)) {
    return std::nullopt;
  }
  AmountMatch match = *ReadAmount(text, at + 4);
  return Amount{match.value, at, match.end, std::string(code), match.has_suffix};
}

bool FigureStart(std::string_view text, size_t at) {
  if (!ascii::IsDigit(text[at])) return false;
  if (at == 0) return true;
  char prev = text[at - 1];
  return !ascii::IsAlnum(prev) && prev != '.' && prev != ',' && prev != '#' && prev != '/';
}

// A number at `at` followed by a code ("1.4M EUR"), or bare; nullopt for a percentage.
std::optional<Amount> NumberFigure(std::string_view text, size_t at) {
  AmountMatch match = *ReadAmount(text, at);
  if (match.end < text.size() &&
      (text[match.end] == '%' || text.substr(match.end).starts_with(" %"))) {
    return std::nullopt;
  }
  Amount amount{match.value, at, match.end, "", match.has_suffix};
  size_t code_at = match.end < text.size() && text[match.end] == ' ' ? match.end + 1 : match.end;
  std::string_view code = CodeAt(text, code_at);
  if (!code.empty()) {
    amount.currency = std::string(code);
    amount.end = code_at + 3;
  }
  return amount;
}

// Every amount in `text`; `bare` adds figures without currency (with a magnitude only).
std::vector<Amount> Scan(std::string_view text, bool bare) {
  std::vector<Amount> found;
  for (size_t at = 0; at < text.size(); ++at) {
    std::optional<Amount> amount = PrefixedMoney(text, at);
    if (!amount && FigureStart(text, at)) amount = NumberFigure(text, at);
    if (!amount && bare && WordStart(text, at) && ascii::IsAlpha(text[at])) {
      if (auto words = ReadNumberWords(text, at))
        amount = Amount{words->value, at, words->end, "", true};
    }
    if (!amount) continue;
    at = amount->end > at ? amount->end - 1 : at;
    if (amount->currency.empty() && !(bare && amount->has_suffix)) continue;
    found.push_back(std::move(*amount));
  }
  return found;
}

}  // namespace

std::vector<Amount> FindMoney(std::string_view text) {
  return Scan(text, false);
}

std::vector<Amount> FindFigures(std::string_view text) {
  return Scan(text, true);
}

std::string MainCurrency(std::string_view text) {
  std::vector<Amount> money = FindMoney(text);
  return money.empty() ? "USD" : money.front().currency;
}

double RoughUsd(double value, std::string_view currency) {
  struct Rate {
    std::string_view code;
    double usd;
  };
  constexpr Rate kRates[] = {{"EUR", 1.08},   {"GBP", 1.27},  {"CHF", 1.12}, {"NOK", 0.095},
                             {"SEK", 0.095},  {"DKK", 0.145}, {"CAD", 0.73}, {"AUD", 0.66},
                             {"JPY", 0.0067}, {"INR", 0.012}, {"SGD", 0.74}, {"NZD", 0.6}};
  for (const Rate& rate : kRates) {
    if (rate.code == currency) return value * rate.usd;
  }
  return value;
}

}  // namespace ms::rules
