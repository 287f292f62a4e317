// The systemd watchdog thread: WATCHDOG=1 every WatchdogPeriod while the ingest loop beats
// (HealthRegistry liveness), nothing while it is wedged, so systemd restarts a daemon whose
// loop stopped. A thread of its own, so that slow probes on the ops thread (each bounded by
// seconds) cannot delay a ping past a short WatchdogSec.
#pragma once

#include <chrono>
#include <optional>
#include <thread>

#include "core/sleeper.h"
#include "observability/health.h"

namespace ms::app {

// The longest wait between two pings, with or without a WatchdogSec.
inline constexpr std::chrono::milliseconds kMaxWatchdogPeriod{2000};

// How often to ping for WatchdogSec `watchdog_sec` (systemd::WatchdogInterval): half of it, as
// sd_watchdog_enabled(3) asks, between 1 ms and kMaxWatchdogPeriod; kMaxWatchdogPeriod
// without one.
std::chrono::milliseconds WatchdogPeriod(std::optional<std::chrono::microseconds> watchdog_sec);

class WatchdogThread {
 public:
  // `health` must outlive the thread.
  explicit WatchdogThread(const HealthRegistry* health) : health_(health) {}
  ~WatchdogThread() { Stop(); }
  WatchdogThread(const WatchdogThread&) = delete;
  WatchdogThread& operator=(const WatchdogThread&) = delete;

  // Starts pinging (the period read from the environment now). Once.
  void Start();
  // Ends the pings at once and joins the thread. Idempotent. The daemon stops it last of its
  // threads, so pings go on while it drains.
  void Stop();

 private:
  void Run(std::chrono::milliseconds period);

  const HealthRegistry* health_;
  InterruptibleSleeper sleeper_;  // Stop interrupts the wait between pings
  std::thread thread_;
};

}  // namespace ms::app
