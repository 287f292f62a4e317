// Digit-based detectors: IBANs, card numbers, phone numbers.
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/extract/redact_internal.h"

namespace ms::redact_internal {
namespace {

bool IsIbanChar(char c) {
  return IsUpper(c) || ascii::IsDigit(c);
}

struct DigitGroup {
  size_t digits = 0;
  char separator_before = 0;  // 0 for the first group
  bool in_parens = false;
};

// A run of digit groups: "4111 1111 1111 1111", "555-123-4567", "(555) 123-4567".
struct DigitRun {
  std::vector<DigitGroup> groups;
  std::string digits;
  std::vector<size_t> group_begins;  // text offset of each group ("(" included)
  std::vector<size_t> group_ends;    // text offset just past each group
  bool plus = false;
  bool parens = false;
};

bool IsSeparator(char c) {
  return c == ' ' || c == '-' || c == '.';
}

// Reads one group at text[*pos] (digits, or "(digits)" when `allow_parens`); false if none.
bool ReadGroup(std::string_view text, size_t* pos, bool allow_parens, char separator,
               DigitRun* run) {
  size_t at = *pos;
  bool parens = allow_parens && at < text.size() && text[at] == '(';
  if (parens) ++at;
  size_t begin = at;
  while (at < text.size() && ascii::IsDigit(text[at])) ++at;
  if (at == begin) return false;
  if (parens) {
    if (at >= text.size() || text[at] != ')') return false;
    run->parens = true;
  }
  run->digits.append(text.substr(begin, at - begin));
  run->groups.push_back({at - begin, separator, parens});
  *pos = parens ? at + 1 : at;
  return true;
}

// Scans digit groups joined by single separators (phones also take '.' and parenthesized
// groups), stopping once more than `max_digits` digits were read.
DigitRun ScanDigitRun(std::string_view text, size_t pos, bool phone, size_t max_digits) {
  DigitRun run;
  if (phone && text[pos] == '+') {
    run.plus = true;
    ++pos;
  }
  char separator = 0;
  for (size_t begin = pos; ReadGroup(text, &pos, phone, separator, &run); begin = pos) {
    run.group_begins.push_back(begin);
    run.group_ends.push_back(pos);
    if (run.digits.size() > max_digits || pos >= text.size()) break;
    size_t next = pos;
    separator = 0;
    if (IsSeparator(text[next]) && (phone || text[next] != '.')) separator = text[next++];
    if (next >= text.size()) break;
    bool digit_follows = ascii::IsDigit(text[next]);
    bool parens_follow = phone && text[next] == '(';
    // Digits straight after digits cannot happen (the group took them all) except after ")".
    if (digit_follows && separator == 0 && !run.groups.back().in_parens) break;
    if (!digit_follows && !parens_follow) break;
    pos = next;
  }
  return run;
}

// The text after a number must not continue it: no letter, digit, '%', or decimal part.
bool NumberEndsAt(std::string_view text, size_t end) {
  if (end >= text.size()) return true;
  char next = text[end];
  if (ascii::IsAlnum(next) || next == '_' || next == '%') return false;
  bool joiner = next == '.' || next == ',';
  return !(joiner && end + 1 < text.size() && ascii::IsDigit(text[end + 1]));
}

bool IsYear(std::string_view four) {
  return four.starts_with("19") || four.starts_with("20");
}

// 2025-11-01, 01.11.2025: first three groups 4-2-2 or 2-2-4 with one separator.
bool LooksLikeDate(const DigitRun& run) {
  if (run.groups.size() < 3 || run.parens) return false;
  const auto& groups = run.groups;
  char sep = groups[1].separator_before;
  if (sep == ' ' || sep != groups[2].separator_before) return false;
  bool ymd = groups[0].digits == 4 && groups[1].digits == 2 && groups[2].digits == 2;
  bool dmy = groups[0].digits == 2 && groups[1].digits == 2 && groups[2].digits == 4;
  return ymd || dmy;
}

// 192.168.10.200 and 1.000.000 are not phone numbers.
bool LooksLikeDottedNumber(const DigitRun& run) {
  bool all_dots = true;
  bool thousands = run.groups.front().digits <= 3;
  bool ipv4 = run.groups.size() == 4;
  for (size_t idx = 0; idx < run.groups.size(); ++idx) {
    const DigitGroup& group = run.groups[idx];
    if (idx > 0 && group.separator_before != '.') all_dots = false;
    if (idx > 0 && group.digits != 3) thousands = false;
    if (group.digits > 3) ipv4 = false;
  }
  return all_dots && (thousands || ipv4);
}

bool AcceptPhoneShape(const DigitRun& run) {
  size_t total = run.digits.size();
  if (total < 7 || total > 15) return false;
  if (run.plus || run.parens) return true;
  const auto& groups = run.groups;
  if (groups.size() == 1) return total >= 10 && total <= 12;
  if (LooksLikeDate(run) || LooksLikeDottedNumber(run)) return false;
  bool leading_zero = run.digits[0] == '0';
  if (groups.size() == 2) {
    bool year_range = groups[0].digits == 4 && groups[1].digits == 4 &&
                      IsYear(std::string_view(run.digits).substr(0, 4)) &&
                      IsYear(std::string_view(run.digits).substr(4, 4));
    if (year_range) return false;
    bool local = groups[0].digits == 3 && groups[1].digits == 4;
    return local || leading_zero || total >= 10;
  }
  bool spaces_only = true;
  for (size_t idx = 1; idx < groups.size(); ++idx) {
    if (groups[idx].separator_before != ' ') spaces_only = false;
  }
  if (!spaces_only) return true;
  auto sizes_are = [&](std::initializer_list<size_t> sizes) {
    if (sizes.size() != groups.size()) return false;
    size_t idx = 0;
    for (size_t size : sizes) {
      if (groups[idx++].digits != size) return false;
    }
    return true;
  };
  return leading_zero || sizes_are({3, 3, 4}) || sizes_are({1, 3, 3, 4});
}

}  // namespace

std::optional<Hit> MatchIban(std::string_view text, size_t pos) {
  if (pos + 4 > text.size() || !IsUpper(text[pos]) || !IsUpper(text[pos + 1])) return {};
  if (!ascii::IsDigit(text[pos + 2]) || !ascii::IsDigit(text[pos + 3])) return {};
  if (pos > 0 && ascii::IsAlnum(text[pos - 1])) return {};
  std::string compact;
  std::vector<std::pair<size_t, size_t>> ends;  // (text offset, compact length) at group ends
  size_t at = pos;
  while (at < text.size() && compact.size() <= 34) {
    if (IsIbanChar(text[at])) {
      compact.push_back(text[at++]);
      continue;
    }
    ends.emplace_back(at, compact.size());
    if (text[at] == ' ' && at + 1 < text.size() && IsIbanChar(text[at + 1])) {
      ++at;
      continue;
    }
    break;
  }
  if (at >= text.size() || compact.size() > 34) ends.emplace_back(at, compact.size());
  for (size_t idx = ends.size(); idx-- > 0;) {
    auto [end, length] = ends[idx];
    if (length > 34 || length < 15 || (end < text.size() && ascii::IsAlnum(text[end]))) continue;
    if (IbanValid(std::string_view(compact).substr(0, length))) {
      return Hit{pos, end, PiiKind::kIban};
    }
  }
  return {};
}

std::optional<Hit> MatchCard(std::string_view text, size_t pos) {
  constexpr size_t kMaxScan = 40;  // digits; bounds the window search below
  if (!ascii::IsDigit(text[pos]) || !DigitRunBoundary(text, pos)) return {};
  DigitRun run = ScanDigitRun(text, pos, /*phone=*/false, kMaxScan);
  std::vector<size_t> offset(1, 0);  // digits before each group
  for (const DigitGroup& group : run.groups) offset.push_back(offset.back() + group.digits);
  // Leftmost, then longest, window of whole groups with 13..19 digits that passes Luhn:
  // "ref 12 4111 1111 1111 1111" finds the card. As cards are printed, every group of the
  // window but the last has 3+ digits ("1 2 3 4 5 6 7 8 9 0 1 2 3" is not a card).
  for (size_t first = 0; first < run.groups.size(); ++first) {
    for (size_t last = run.groups.size(); last-- > first;) {
      size_t digits = offset[last + 1] - offset[first];
      if (digits < 13 || digits > 19 || !NumberEndsAt(text, run.group_ends[last])) continue;
      bool printed = true;
      for (size_t idx = first; idx < last && printed; ++idx) {
        printed = run.groups[idx].digits >= 3;
      }
      if (printed && LuhnValid(std::string_view(run.digits).substr(offset[first], digits))) {
        return Hit{run.group_begins[first], run.group_ends[last], PiiKind::kCard};
      }
    }
  }
  return {};
}

std::optional<Hit> MatchPhone(std::string_view text, size_t pos) {
  char first = text[pos];
  bool opener = first == '+' || first == '(';
  if (!opener && !ascii::IsDigit(first)) return {};
  if (opener && (pos + 1 >= text.size() || !ascii::IsDigit(text[pos + 1]))) return {};
  if (opener ? (pos > 0 && (ascii::IsAlnum(text[pos - 1]) || text[pos - 1] == '+'))
             : !DigitRunBoundary(text, pos)) {
    return {};
  }
  if (pos > 0 && (text[pos - 1] == '$' || text[pos - 1] == '#')) return {};
  DigitRun run = ScanDigitRun(text, pos, /*phone=*/true, /*max_digits=*/15);
  // The whole run, else its longest prefix of whole groups that reads as a phone number
  // ("555-123-4567 4111111111111111": the phone, then another number).
  while (!run.groups.empty()) {
    size_t end = run.group_ends.back();
    if (AcceptPhoneShape(run) && NumberEndsAt(text, end)) return Hit{pos, end, PiiKind::kPhone};
    run.digits.resize(run.digits.size() - run.groups.back().digits);
    run.groups.pop_back();
    run.group_ends.pop_back();
    run.group_begins.pop_back();
    run.parens = false;
    for (const DigitGroup& group : run.groups) run.parens = run.parens || group.in_parens;
  }
  return {};
}

}  // namespace ms::redact_internal
