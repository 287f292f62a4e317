// Liveness and readiness, as served on /healthz and /readyz and fed to the systemd watchdog.
//
// Liveness: the daemon's main loop calls Beat() on every iteration; the process is alive while
// the last beat is younger than `liveness_timeout`. A wedged loop therefore fails /healthz (and
// stops the watchdog pings), while a merely idle one does not. While kStarting there is no loop
// yet: the process counts as alive (systemd's TimeoutStartSec bounds start-up), and entering
// kServing counts as a beat, so a long start-up does not read as a stall.
//
// Readiness: named checks (Kafka, Postgres, Redis, LLM circuit, ...) registered at start-up,
// each a callback returning {ok, detail}. Ready means: the phase is kServing and every check
// passes. Checks run on the caller's thread each time readiness is asked for, one after the
// other, so each must bound its own time (a short timeout, or report a state kept by a
// stage) and must not throw (a throwing check counts as failed).
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"

namespace ms {

struct CheckResult {
  bool ok = false;
  std::string detail;  // short, operator-facing; never a secret or message content
};

using ReadinessCheck = std::function<CheckResult()>;

// Start-up and shutdown are not ready whatever the checks say.
enum class HealthPhase { kStarting, kServing, kDraining };

struct Readiness {
  bool ready = false;
  std::vector<std::pair<std::string, CheckResult>> checks;  // in registration order
  // {"status":"ready|not_ready","checks":{"<name>":{"ok":true,"detail":"..."},...}}
  std::string ToJson() const;
};

struct Liveness {
  bool alive = false;
  std::chrono::milliseconds since_beat{0};
};

class HealthRegistry {
 public:
  // `clock` must outlive the registry. The construction time counts as the first beat.
  HealthRegistry(const Clock* clock, std::chrono::milliseconds liveness_timeout);

  // Adds (or replaces) the check called `name`. Thread-safe.
  void AddCheck(std::string name, ReadinessCheck check);
  void SetPhase(HealthPhase phase);
  HealthPhase phase() const { return phase_; }

  void Beat();
  Liveness CheckLiveness() const;
  Readiness CheckReadiness() const;

 private:
  const Clock* clock_;
  const std::chrono::milliseconds liveness_timeout_;
  std::atomic<int64_t> last_beat_ms_;
  std::atomic<HealthPhase> phase_{HealthPhase::kStarting};
  mutable std::mutex mu_;
  std::vector<std::pair<std::string, ReadinessCheck>> checks_;  // guarded by mu_
};

}  // namespace ms
