// Server-given delays: how long a provider asked us to wait before the next call.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "adapters/llm/http_client.h"

namespace ms::llm {

// The delay the response headers ask for, by precedence: `retry-after-ms`, `Retry-After`
// (delta-seconds or an HTTP-date), then the rate-limit reset headers of whichever limit is
// exhausted (OpenAI `x-ratelimit-reset-{requests,tokens}` as "6m0s"/"20ms", Anthropic
// `anthropic-ratelimit-*-reset` as RFC 3339). `now` is Unix-epoch time, used for dates. A date
// in the past gives zero; nothing parseable gives nullopt.
std::optional<std::chrono::milliseconds> RetryAfterFromHeaders(const HttpHeaders& headers,
                                                               std::chrono::milliseconds now);

// "Wed, 21 Oct 2015 07:28:00 GMT" (IMF-fixdate) as Unix-epoch milliseconds.
std::optional<std::chrono::milliseconds> ParseHttpDate(std::string_view text);

// "2024-05-01T12:00:30Z" / "...30.5+02:00" (RFC 3339) as Unix-epoch milliseconds.
std::optional<std::chrono::milliseconds> ParseRfc3339(std::string_view text);

// Go-style durations as OpenAI and Gemini print them: "1s", "6m0s", "20ms", "1h2m3.5s", "37s".
std::optional<std::chrono::milliseconds> ParseGoDuration(std::string_view text);

}  // namespace ms::llm
