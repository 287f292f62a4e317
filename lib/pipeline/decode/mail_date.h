// Date parsing for e-mail headers and producer timestamps.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace ms {

// Parses a timestamp into Unix epoch milliseconds (UTC). Accepts
//   - RFC 5322 dates, "Tue, 4 Nov 2025 11:00:00 +0000": day name optional, seconds optional,
//     two-digit years (obsolete syntax), zone as +hhmm/-hhmm or UT/GMT/UTC/Z/EST/EDT/CST/CDT/MST/
//     MDT/PST/PDT (other letters count as +0000), a trailing "(comment)" ignored;
//   - ISO 8601-like, "2025-11-01 12:00:00", "2025-11-01T12:00:00.250Z", "...+01:00": a space or
//     'T' between date and time, no zone meaning UTC.
// Returns nullopt if the text is neither, or a field is out of range.
std::optional<int64_t> ParseMailDateMs(std::string_view text);

}  // namespace ms
