#include "app/assignment.h"

#include <algorithm>
#include <string>

namespace ms::app {
namespace {

std::string Seconds(std::chrono::milliseconds duration) {
  return std::to_string(std::max<int64_t>(0, duration.count()) / 1000) + " s";
}

}  // namespace

CheckResult PartitionCheck(const AssignmentState& state, std::chrono::milliseconds now,
                           std::chrono::milliseconds grace) {
  using Phase = AssignmentState::Phase;
  switch (state.phase) {
    case Phase::kNotSubscribed:
      return {false, "not subscribed yet"};
    case Phase::kAssigned:
      return {true, "assigned " + std::to_string(state.partitions) + " partitions"};
    case Phase::kAwaiting:
      break;
  }
  const std::chrono::milliseconds waited = now - state.since;
  if (waited < grace) {
    return {true, std::string(state.lost ? "partitions lost; " : "") + "awaiting assignment for " +
                      Seconds(waited)};
  }
  return {false, std::string(state.lost ? "partitions lost; " : "") + "no assignment for " +
                     Seconds(waited)};
}

void AssignmentTracker::Subscribed(std::chrono::milliseconds now) {
  since_ms_ = now.count();
  lost_ = false;
  phase_ = AssignmentState::Phase::kAwaiting;
}

void AssignmentTracker::Assigned(size_t added) {
  partitions_ += static_cast<int64_t>(added);
  lost_ = false;
  phase_ = AssignmentState::Phase::kAssigned;
}

void AssignmentTracker::Revoked(size_t removed, bool lost, std::chrono::milliseconds now) {
  const int64_t left = std::max<int64_t>(0, partitions_ -= static_cast<int64_t>(removed));
  if (left > 0) return;
  partitions_ = 0;
  since_ms_ = now.count();
  lost_ = lost;
  phase_ = AssignmentState::Phase::kAwaiting;
}

AssignmentState AssignmentTracker::Snapshot() const {
  AssignmentState state;
  state.phase = phase_.load();
  state.partitions = partitions_.load();
  state.since = std::chrono::milliseconds(since_ms_.load());
  state.lost = lost_.load();
  return state;
}

}  // namespace ms::app
