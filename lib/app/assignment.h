// This member's partition assignment, for the /readyz `partitions` check: an instance that
// is up but owns no partitions for a long time (evicted from the group, stuck joining) is not
// doing its share, though every dependency is reachable.
//
// The rebalance callbacks (consumer thread) write the tracker; readiness (HTTP threads) reads
// a snapshot. Each field is atomic; a snapshot taken during a callback may mix the states
// before and after it, which only shifts the answer by one rebalance.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "observability/health.h"

namespace ms::app {

struct AssignmentState {
  enum class Phase {
    kNotSubscribed,  // no subscription yet (start-up)
    kAwaiting,       // subscribed, or revoked/lost everything: a rebalance is due
    kAssigned,       // a rebalance completed; `partitions` may be 0
  };
  Phase phase = Phase::kNotSubscribed;
  int64_t partitions = 0;              // owned now
  std::chrono::milliseconds since{0};  // kAwaiting: clock time it began
  bool lost = false;                   // kAwaiting because the group took our partitions
};

// The readiness decision, a pure function of the state and the clock. Ok: partitions assigned,
// or none after a completed rebalance (more members than partitions is normal), or awaiting
// one for less than `grace`. Not ok: awaiting for `grace` or longer, or not subscribed.
CheckResult PartitionCheck(const AssignmentState& state, std::chrono::milliseconds now,
                           std::chrono::milliseconds grace);

class AssignmentTracker {
 public:
  // The consumer subscribed at `now`: the first assignment is awaited from then.
  void Subscribed(std::chrono::milliseconds now);
  // A rebalance completed, adding `added` partitions (0 is a valid, empty assignment).
  void Assigned(size_t added);
  // `removed` partitions were revoked (`lost`: taken by the group). Leaving none, an
  // assignment is awaited from `now`.
  void Revoked(size_t removed, bool lost, std::chrono::milliseconds now);
  AssignmentState Snapshot() const;

 private:
  std::atomic<AssignmentState::Phase> phase_{AssignmentState::Phase::kNotSubscribed};
  std::atomic<int64_t> partitions_{0};
  std::atomic<int64_t> since_ms_{0};
  std::atomic<bool> lost_{false};
};

}  // namespace ms::app
