// The systemd notify protocol (sd_notify(3)) for a Type=notify service: start-up done,
// shutdown begun, a status line for `systemctl status`, and watchdog keep-alives.
//
// Every call is a no-op returning false when the process was not started by systemd with a
// notify socket (NOTIFY_SOCKET unset), so the daemon calls them unconditionally. A failed
// send is logged at warn and returns false; it never fails the caller (systemd then restarts
// the unit through the watchdog or the start timeout, which is the right outcome).
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace ms::systemd {

// READY=1: start-up finished; systemd considers the unit started.
bool Ready();
// STOPPING=1: shutdown began (send on SIGTERM, before draining).
bool Stopping();
// STATUS=<text>: one line; newlines are replaced by spaces so the text cannot inject other
// assignments.
bool NotifyStatus(std::string_view text);
// WATCHDOG=1: keep-alive. Send at least every WatchdogInterval() / 2, and only while the main
// loop is known to be alive (HealthRegistry::CheckLiveness), or the watchdog is pointless.
bool Watchdog();
// WatchdogSec= of the unit as seen by this process (WATCHDOG_USEC for our pid), or nullopt
// when the watchdog is off.
std::optional<std::chrono::microseconds> WatchdogInterval();

}  // namespace ms::systemd
