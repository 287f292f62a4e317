// Port of the events' lifecycle (design §3 events: open → stale after N days unseen → closed).
#pragma once

#include <chrono>
#include <cstdint>

#include "core/status.h"

namespace ms {

class EventLifecycle {
 public:
  virtual ~EventLifecycle() = default;

  // Open events unseen for `stale_after` become stale, each with a state_changed history row
  // and an `event.stale` outbox row, atomically; returns how many changed. Idempotent, and safe
  // to run from several processes at once: an event changes state once, so of two concurrent
  // runs the later one finds it stale already and records nothing for it. Unavailable when the
  // database cannot be reached: try again later.
  virtual StatusOr<int64_t> MarkStale(std::chrono::milliseconds stale_after) = 0;
};

}  // namespace ms
