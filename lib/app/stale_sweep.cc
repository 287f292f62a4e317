#include "app/stale_sweep.h"

#include <spdlog/spdlog.h>

namespace ms::app {

StaleSweep::StaleSweep(EventLifecycle* events, std::chrono::milliseconds stale_after,
                       Sleeper* sleeper, std::chrono::milliseconds interval)
    : events_(events), stale_after_(stale_after), sleeper_(sleeper), interval_(interval) {}

StatusOr<int64_t> StaleSweep::SweepOnce() {
  MS_ASSIGN_OR_RETURN(int64_t staled, events_->MarkStale(stale_after_));
  if (staled > 0) {
    staled_ += staled;
    spdlog::info("stale sweep: {} event(s) unseen for events.stale_after became stale", staled);
  }
  return staled;
}

void StaleSweep::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    StatusOr<int64_t> swept = SweepOnce();
    if (!swept.ok()) spdlog::warn("stale sweep: {}", swept.status().ToString());
    if (stop.load() || !sleeper_->SleepFor(interval_)) return;
  }
}

}  // namespace ms::app
