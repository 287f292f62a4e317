#include "adapters/llm/retry_after.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ms::llm {
namespace {

using std::chrono::milliseconds;

std::optional<double> ParseNumber(std::string_view text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  std::string copy(text);
  char* end = nullptr;
  double value = std::strtod(copy.c_str(), &end);
  if (end != copy.c_str() + copy.size() || !std::isfinite(value) || value < 0) return std::nullopt;
  return value;
}

std::optional<milliseconds> EpochMs(int year, int month, int day, int hour, int minute,
                                    double second) {
  using namespace std::chrono;
  year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                      std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok() || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 ||
      second >= 61) {
    return std::nullopt;
  }
  auto days_ms = duration_cast<milliseconds>(sys_days(date).time_since_epoch());
  return days_ms + hours(hour) + minutes(minute) +
         milliseconds(static_cast<int64_t>(std::llround(second * 1000)));
}

int MonthIndex(const char* name) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int idx = 0; idx < 12; ++idx) {
    if (std::strcmp(name, kMonths[idx]) == 0) return idx + 1;
  }
  return 0;
}

std::optional<milliseconds> Header(const HttpHeaders& headers, const std::string& name) {
  auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  auto number = ParseNumber(it->second);
  if (!number) return std::nullopt;
  return milliseconds(static_cast<int64_t>(std::ceil(*number)));
}

std::optional<milliseconds> RetryAfter(const HttpHeaders& headers, milliseconds now) {
  auto it = headers.find("retry-after");
  if (it == headers.end()) return std::nullopt;
  if (auto seconds = ParseNumber(it->second))
    return milliseconds(static_cast<int64_t>(std::ceil(*seconds * 1000)));
  if (auto date = ParseHttpDate(it->second)) return std::max(milliseconds(0), *date - now);
  return std::nullopt;
}

bool Exhausted(const HttpHeaders& headers, const std::string& remaining_name) {
  auto it = headers.find(remaining_name);
  return it == headers.end() || it->second == "0";
}

// The longest reset among the exhausted limits, OpenAI and Anthropic spellings.
std::optional<milliseconds> LimitReset(const HttpHeaders& headers, milliseconds now) {
  std::optional<milliseconds> longest;
  auto consider = [&](std::optional<milliseconds> delay) {
    if (delay && (!longest || *delay > *longest)) longest = delay;
  };
  for (const char* limit : {"requests", "tokens"}) {
    std::string name = std::string("x-ratelimit-reset-") + limit;
    auto it = headers.find(name);
    if (it != headers.end() && Exhausted(headers, std::string("x-ratelimit-remaining-") + limit))
      consider(ParseGoDuration(it->second));
  }
  for (const char* limit : {"requests", "tokens", "input-tokens", "output-tokens"}) {
    std::string prefix = std::string("anthropic-ratelimit-") + limit;
    auto it = headers.find(prefix + "-reset");
    if (it == headers.end() || !Exhausted(headers, prefix + "-remaining")) continue;
    if (auto at = ParseRfc3339(it->second)) consider(std::max(milliseconds(0), *at - now));
  }
  return longest;
}

}  // namespace

std::optional<milliseconds> RetryAfterFromHeaders(const HttpHeaders& headers, milliseconds now) {
  if (auto delay = Header(headers, "retry-after-ms")) return delay;
  if (auto delay = RetryAfter(headers, now)) return delay;
  return LimitReset(headers, now);
}

std::optional<milliseconds> ParseHttpDate(std::string_view text) {
  std::string copy(text.substr(0, 64));
  char weekday[4] = {0};
  char month[4] = {0};
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  int consumed = 0;
  if (std::sscanf(copy.c_str(), "%3s, %d %3s %d %d:%d:%d GMT%n", weekday, &day, month, &year, &hour,
                  &minute, &second, &consumed) != 7 ||
      static_cast<size_t>(consumed) != copy.size()) {
    return std::nullopt;
  }
  int month_idx = MonthIndex(month);
  if (month_idx == 0) return std::nullopt;
  return EpochMs(year, month_idx, day, hour, minute, second);
}

std::optional<milliseconds> ParseRfc3339(std::string_view text) {
  std::string copy(text.substr(0, 64));
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, consumed = 0;
  double second = 0;
  if (std::sscanf(copy.c_str(), "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%lf%n", &year, &month, &day, &hour,
                  &minute, &second, &consumed) != 6) {
    return std::nullopt;
  }
  auto base = EpochMs(year, month, day, hour, minute, second);
  if (!base) return std::nullopt;
  std::string_view zone = std::string_view(copy).substr(static_cast<size_t>(consumed));
  if (zone == "Z" || zone == "z") return base;
  int zone_hours = 0, zone_minutes = 0;
  char sign = 0;
  std::string zone_copy(zone);
  if (std::sscanf(zone_copy.c_str(), "%c%2d:%2d", &sign, &zone_hours, &zone_minutes) != 3 ||
      (sign != '+' && sign != '-')) {
    return std::nullopt;
  }
  milliseconds offset = std::chrono::hours(zone_hours) + std::chrono::minutes(zone_minutes);
  return sign == '+' ? *base - offset : *base + offset;
}

std::optional<milliseconds> ParseGoDuration(std::string_view text) {
  static constexpr std::pair<const char*, double> kUnits[] = {
      {"ms", 1.0}, {"us", 1e-3}, {"ns", 1e-6}, {"h", 3.6e6}, {"m", 6e4}, {"s", 1e3}};
  if (text.empty()) return std::nullopt;
  double total = 0;
  while (!text.empty()) {
    size_t digits = 0;
    while (digits < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[digits])) || text[digits] == '.')) {
      ++digits;
    }
    auto number = ParseNumber(text.substr(0, digits));
    if (!number) return std::nullopt;
    text.remove_prefix(digits);
    bool matched = false;
    for (const auto& [unit, scale] : kUnits) {
      if (!text.starts_with(unit)) continue;
      total += *number * scale;
      text.remove_prefix(std::strlen(unit));
      matched = true;
      break;
    }
    if (!matched) return std::nullopt;
  }
  return milliseconds(static_cast<int64_t>(std::ceil(total)));
}

}  // namespace ms::llm
