#include "pipeline/decode/mail_date.h"

#include <array>

#include "pipeline/text/ascii.h"

namespace ms {
namespace {

// Left-to-right reader over a date string; every method fails softly by returning nullopt/false.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  void SkipSpaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }
  bool Eat(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) return ++pos_, true;
    return false;
  }
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool AtEnd() const { return pos_ >= text_.size(); }
  size_t Position() const { return pos_; }
  size_t Consumed(size_t since) const { return pos_ - since; }

  // An unsigned decimal of min_digits..max_digits digits.
  std::optional<int> Int(int min_digits, int max_digits) {
    int value = 0;
    int digits = 0;
    while (digits < max_digits && Peek() >= '0' && Peek() <= '9') {
      value = value * 10 + (text_[pos_++] - '0');
      ++digits;
    }
    if (digits < min_digits) return std::nullopt;
    return value;
  }
  std::string_view Word() {
    const size_t start = pos_;
    while ((Peek() >= 'a' && Peek() <= 'z') || (Peek() >= 'A' && Peek() <= 'Z')) ++pos_;
    return text_.substr(start, pos_ - start);
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

struct Fields {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  int zone_minutes = 0;  // east of UTC
};

// Howard Hinnant's days_from_civil: days since 1970-01-01 in the proleptic Gregorian calendar.
int64_t DaysFromCivil(int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const int64_t year_of_era = year - era * 400;
  const int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

int DaysInMonth(int year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

std::optional<int64_t> ToEpochMs(const Fields& f) {
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > DaysInMonth(f.year, f.month) ||
      f.hour > 23 || f.minute > 59 || f.second > 60) {
    return std::nullopt;
  }
  const int64_t seconds = DaysFromCivil(f.year, f.month, f.day) * 86400 + f.hour * 3600 +
                          f.minute * 60 + f.second - int64_t{f.zone_minutes} * 60;
  return seconds * 1000 + f.millis;
}

int MonthFromName(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths = {
      "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};
  if (name.size() < 3) return 0;
  for (size_t idx = 0; idx < kMonths.size(); ++idx) {
    if (ascii::EqualsIgnoreCase(name.substr(0, 3), kMonths[idx])) return static_cast<int>(idx) + 1;
  }
  return 0;
}

int ZoneFromName(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, int>, 8> kZones = {{{"EST", -5},
                                                                              {"EDT", -4},
                                                                              {"CST", -6},
                                                                              {"CDT", -5},
                                                                              {"MST", -7},
                                                                              {"MDT", -6},
                                                                              {"PST", -8},
                                                                              {"PDT", -7}}};
  for (const auto& [zone, hours] : kZones) {
    if (ascii::EqualsIgnoreCase(name, zone)) return hours * 60;
  }
  return 0;  // UT, GMT, UTC, Z, military and unknown zones: RFC 5322 says treat as +0000
}

// "+hhmm", "-hh:mm", "+hh"; returns false on a malformed numeric zone.
bool ParseNumericZone(Cursor* cur, Fields* f) {
  int sign = 1;
  if (cur->Eat('-')) {
    sign = -1;
  } else {
    cur->Eat('+');
  }
  const auto hours = cur->Int(2, 2);
  cur->Eat(':');
  const auto minutes = cur->Int(0, 2);
  if (!hours || !minutes || *hours > 23 || *minutes > 59) return false;
  f->zone_minutes = sign * (*hours * 60 + *minutes);
  return true;
}

bool ParseTime(Cursor* cur, Fields* f) {
  const auto hour = cur->Int(1, 2);
  if (!hour || !cur->Eat(':')) return false;
  const auto minute = cur->Int(2, 2);
  if (!minute) return false;
  f->hour = *hour;
  f->minute = *minute;
  if (!cur->Eat(':')) return true;
  const auto second = cur->Int(2, 2);
  if (!second) return false;
  f->second = *second;
  if (cur->Eat('.') || cur->Eat(',')) {
    const size_t millis_start = cur->Position();
    const auto millis = cur->Int(1, 3);  // digits past milliseconds are dropped
    if (!millis) return false;
    const size_t digits = cur->Consumed(millis_start);
    f->millis = *millis * (digits == 1 ? 100 : digits == 2 ? 10 : 1);
    while (cur->Peek() >= '0' && cur->Peek() <= '9') cur->Eat(cur->Peek());
  }
  return true;
}

bool ParseRfc5322Zone(Cursor* cur, Fields* f) {
  cur->SkipSpaces();
  if (cur->Peek() == '+' || cur->Peek() == '-') {
    if (!ParseNumericZone(cur, f)) return false;
  } else {
    f->zone_minutes = ZoneFromName(cur->Word());
  }
  cur->SkipSpaces();
  return cur->AtEnd() || cur->Peek() == '(';
}

std::optional<int64_t> ParseRfc5322(std::string_view text) {
  Cursor cur(text);
  Fields f;
  cur.SkipSpaces();
  if (!cur.Word().empty()) {  // optional day name
    cur.SkipSpaces();
    if (!cur.Eat(',')) return std::nullopt;
    cur.SkipSpaces();
  }
  const auto day = cur.Int(1, 2);
  cur.SkipSpaces();
  f.month = MonthFromName(cur.Word());
  cur.SkipSpaces();
  const auto year = cur.Int(2, 4);
  cur.SkipSpaces();
  if (!day || !year || f.month == 0 || !ParseTime(&cur, &f) || !ParseRfc5322Zone(&cur, &f)) {
    return std::nullopt;
  }
  f.day = *day;
  f.year = *year >= 1000 ? *year : (*year < 50 ? 2000 + *year : 1900 + *year);
  return ToEpochMs(f);
}

std::optional<int64_t> ParseIsoLike(std::string_view text) {
  Cursor cur(text);
  Fields f;
  cur.SkipSpaces();
  const auto year = cur.Int(4, 4);
  if (!year || !cur.Eat('-')) return std::nullopt;
  const auto month = cur.Int(2, 2);
  if (!month || !cur.Eat('-')) return std::nullopt;
  const auto day = cur.Int(2, 2);
  if (!day || !(cur.Eat('T') || cur.Eat('t') || cur.Eat(' ')) || !ParseTime(&cur, &f)) {
    return std::nullopt;
  }
  f.year = *year;
  f.month = *month;
  f.day = *day;
  cur.SkipSpaces();
  if (cur.Eat('Z') || cur.Eat('z')) {
    f.zone_minutes = 0;
  } else if ((cur.Peek() == '+' || cur.Peek() == '-') && !ParseNumericZone(&cur, &f)) {
    return std::nullopt;
  }
  cur.SkipSpaces();
  if (!cur.AtEnd()) return std::nullopt;
  return ToEpochMs(f);
}

}  // namespace

std::optional<int64_t> ParseMailDateMs(std::string_view text) {
  if (auto iso = ParseIsoLike(text)) return iso;
  return ParseRfc5322(text);
}

}  // namespace ms
