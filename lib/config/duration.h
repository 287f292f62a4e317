// Durations as written in config: an integer followed by a unit, optionally repeated.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "core/status.h"

namespace ms {

// The form every duration error message asks for.
inline constexpr std::string_view kDurationForm =
    "a whole number with a unit ms, s, m, h or d, e.g. 100ms, 5s, 10m, 2h, 7d, 1h30m";

// Parses "100ms", "5s", "10m", "2h", "7d" and sums like "1h30m". A bare number is rejected: a
// missing unit is the classic seconds-vs-milliseconds bug. Fails with InvalidArgument whose
// message names the text and kDurationForm.
StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);

// The shortest exact spelling using the largest unit that divides the value: 604800000ms ->
// "7d", 90000ms -> "90s" ... round-trips through ParseDuration.
std::string FormatDuration(std::chrono::milliseconds value);

}  // namespace ms
