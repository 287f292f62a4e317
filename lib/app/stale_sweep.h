// The stale sweep (design §3 events: open → stale after events.stale_after unseen): a periodic
// job of its own, on a worker thread of its own, apart from the outbox relay.
//
// It runs on every instance, with no leadership: EventLifecycle::MarkStale is one idempotent,
// atomic change that is safe to run from several processes at once (an event goes stale once,
// with one history row and one outbox row, however many sweeps race for it). Tying it to the
// relay's leadership would only make the lifecycle depend on a relay that can lead, which
// neither needs; what it costs is one cheap update per instance and interval that finds
// nothing to do on all but one.
#pragma once

#include <atomic>
#include <chrono>

#include "core/sleeper.h"
#include "core/status.h"
#include "ports/event_lifecycle.h"

namespace ms::app {

inline constexpr std::chrono::milliseconds kStaleSweepInterval = std::chrono::minutes(1);

class StaleSweep {
 public:
  // `stale_after`: events.stale_after. Every pointer must outlive the sweep.
  StaleSweep(EventLifecycle* events, std::chrono::milliseconds stale_after, Sleeper* sleeper,
             std::chrono::milliseconds interval = kStaleSweepInterval);

  // One sweep: how many events became stale (logged when any did), or MarkStale's error.
  StatusOr<int64_t> SweepOnce();

  // Sweeps at once, then every `interval`, until `stop` is set or a wait is interrupted. A
  // failed sweep is logged at warn and tried again after the next interval.
  void Run(const std::atomic<bool>& stop);

  // Events this sweep made stale since it was built.
  int64_t staled() const { return staled_.load(); }

 private:
  EventLifecycle* events_;
  std::chrono::milliseconds stale_after_;
  Sleeper* sleeper_;
  std::chrono::milliseconds interval_;
  std::atomic<int64_t> staled_{0};
};

}  // namespace ms::app
