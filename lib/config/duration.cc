#include "config/duration.h"

#include <array>
#include <cctype>
#include <cstdint>
#include <limits>

#include "config/config_values.h"

namespace ms {
namespace {

struct Unit {
  std::string_view name;
  int64_t millis;
};

// Longest names first so "ms" is not read as "m" followed by garbage.
constexpr std::array<Unit, 5> kUnits = {
    {{"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}}};

Status Malformed(std::string_view text) {
  return InvalidArgument(config::QuoteForError(text) + " is not a duration (expected " +
                         std::string(kDurationForm) + ")");
}

// The unit at the front of `rest`, or one with millis == 0 when there is none.
Unit ReadUnit(std::string_view rest) {
  for (const Unit& unit : kUnits) {
    if (rest.substr(0, unit.name.size()) == unit.name) return unit;
  }
  return {"", 0};
}

}  // namespace

StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  if (text.empty()) return Malformed(text);
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!std::isdigit(static_cast<unsigned char>(text[pos]))) return Malformed(text);
    int64_t number = 0;
    for (; pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos])); ++pos) {
      if (number > (kMax - 9) / 10) return Malformed(text);
      number = number * 10 + (text[pos] - '0');
    }
    Unit unit = ReadUnit(text.substr(pos));
    if (unit.millis == 0) return Malformed(text);
    pos += unit.name.size();
    if (number > (kMax - total) / unit.millis) return Malformed(text);
    total += number * unit.millis;
  }
  return std::chrono::milliseconds(total);
}

std::string FormatDuration(std::chrono::milliseconds value) {
  const int64_t millis = value.count();
  if (millis == 0) return "0s";
  for (auto unit = kUnits.rbegin(); unit != kUnits.rend(); ++unit) {
    if (millis % unit->millis == 0) {
      return std::to_string(millis / unit->millis) + std::string(unit->name);
    }
  }
  return std::to_string(millis) + "ms";
}

}  // namespace ms
