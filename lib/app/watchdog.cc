#include "app/watchdog.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "observability/systemd.h"

namespace ms::app {

std::chrono::milliseconds WatchdogPeriod(std::optional<std::chrono::microseconds> watchdog_sec) {
  if (!watchdog_sec) return kMaxWatchdogPeriod;
  auto half = std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_sec / 2);
  return std::clamp(half, std::chrono::milliseconds(1), kMaxWatchdogPeriod);
}

void WatchdogThread::Start() {
  const std::chrono::milliseconds period = WatchdogPeriod(systemd::WatchdogInterval());
  thread_ = std::thread([this, period] { Run(period); });
}

void WatchdogThread::Stop() {
  sleeper_.Interrupt();
  if (thread_.joinable()) thread_.join();
}

void WatchdogThread::Run(std::chrono::milliseconds period) {
  do {
    Liveness live = health_->CheckLiveness();
    if (live.alive) {
      systemd::Watchdog();
    } else {
      spdlog::warn(
          "liveness: no heartbeat from the ingest loop for {} ms; withholding the "
          "watchdog ping",
          live.since_beat.count());
    }
  } while (sleeper_.SleepFor(period));
}

}  // namespace ms::app
