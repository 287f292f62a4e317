// "YYYY-MM-DD" of a UTC instant, without the C library's time zone state.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace ms {

inline std::string UtcDate(int64_t epoch_ms) {
  using namespace std::chrono;
  const year_month_day date{floor<days>(sys_time<milliseconds>(milliseconds(epoch_ms)))};
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return buffer;
}

}  // namespace ms
