#include "observability/health.h"

#include <exception>
#include <nlohmann/json.hpp>

namespace ms {
namespace {

CheckResult RunCheck(const ReadinessCheck& check) {
  try {
    return check();
  } catch (const std::exception& e) {
    return {false, std::string("check threw: ") + e.what()};
  } catch (...) {
    return {false, "check threw"};
  }
}

// The phase as a pseudo-check, so a client sees why start-up or shutdown is not ready.
std::pair<std::string, CheckResult> PhaseCheck(HealthPhase phase) {
  switch (phase) {
    case HealthPhase::kStarting:
      return {"lifecycle", {false, "starting"}};
    case HealthPhase::kServing:
      return {"lifecycle", {true, "serving"}};
    case HealthPhase::kDraining:
      return {"lifecycle", {false, "draining for shutdown"}};
  }
  return {"lifecycle", {false, "unknown"}};
}

}  // namespace

std::string Readiness::ToJson() const {
  nlohmann::ordered_json checks_json = nlohmann::ordered_json::object();
  for (const auto& [name, result] : checks) {
    checks_json[name] = {{"ok", result.ok}, {"detail", result.detail}};
  }
  nlohmann::ordered_json body = {{"status", ready ? "ready" : "not_ready"},
                                 {"checks", std::move(checks_json)}};
  // Replace invalid UTF-8 in details (library error strings) instead of throwing.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HealthRegistry::HealthRegistry(const Clock* clock, std::chrono::milliseconds liveness_timeout)
    : clock_(clock), liveness_timeout_(liveness_timeout), last_beat_ms_(clock->Now().count()) {}

void HealthRegistry::AddCheck(std::string name, ReadinessCheck check) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [existing, fn] : checks_) {
    if (existing == name) {
      fn = std::move(check);
      return;
    }
  }
  checks_.emplace_back(std::move(name), std::move(check));
}

void HealthRegistry::SetPhase(HealthPhase phase) {
  if (phase == HealthPhase::kServing) Beat();
  phase_ = phase;
}

void HealthRegistry::Beat() {
  last_beat_ms_ = clock_->Now().count();
}

Liveness HealthRegistry::CheckLiveness() const {
  std::chrono::milliseconds since(clock_->Now().count() - last_beat_ms_.load());
  return {phase_ == HealthPhase::kStarting || since < liveness_timeout_, since};
}

Readiness HealthRegistry::CheckReadiness() const {
  std::vector<std::pair<std::string, ReadinessCheck>> checks;
  {
    std::lock_guard<std::mutex> lock(mu_);
    checks = checks_;  // run them without the lock: they may be slow
  }
  Readiness out;
  out.checks.push_back(PhaseCheck(phase_));
  for (const auto& [name, check] : checks) out.checks.emplace_back(name, RunCheck(check));
  out.ready = true;
  for (const auto& entry : out.checks) out.ready = out.ready && entry.second.ok;
  return out;
}

}  // namespace ms
