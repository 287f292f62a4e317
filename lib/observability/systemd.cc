#include "observability/systemd.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ms::systemd {
namespace {

bool Notify(const std::string& state) {
  if (std::getenv("NOTIFY_SOCKET") == nullptr) return false;
  int rc = sd_notify(0, state.c_str());
  if (rc < 0) {
    spdlog::warn("systemd notify failed: {}", std::strerror(-rc));
    return false;
  }
  return rc > 0;
}

}  // namespace

bool Ready() {
  return Notify("READY=1");
}

bool Stopping() {
  return Notify("STOPPING=1");
}

bool NotifyStatus(std::string_view text) {
  std::string line = "STATUS=";
  for (char c : text) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
  return Notify(line);
}

bool Watchdog() {
  return Notify("WATCHDOG=1");
}

std::optional<std::chrono::microseconds> WatchdogInterval() {
  uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec);
}

}  // namespace ms::systemd
