// HealthRegistry: liveness from the heartbeat, readiness from phase and checks, and the JSON.
#include "observability/health.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "fake_time.h"

namespace ms {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::FakeClock;

TEST(HealthTest, LivenessFailsWithoutARecentBeat) {
  FakeClock clock;
  HealthRegistry health(&clock, seconds(30));
  health.SetPhase(HealthPhase::kServing);
  EXPECT_TRUE(health.CheckLiveness().alive);
  clock.Advance(seconds(29));
  EXPECT_TRUE(health.CheckLiveness().alive);
  clock.Advance(seconds(1));
  EXPECT_FALSE(health.CheckLiveness().alive);
  EXPECT_EQ(health.CheckLiveness().since_beat, seconds(30));
  health.Beat();
  EXPECT_TRUE(health.CheckLiveness().alive);
}

TEST(HealthTest, StartUpIsAliveAndServingStartsTheHeartbeat) {
  FakeClock clock;
  HealthRegistry health(&clock, seconds(30));
  clock.Advance(seconds(45));  // no loop beats while starting
  EXPECT_TRUE(health.CheckLiveness().alive);
  EXPECT_FALSE(health.CheckReadiness().ready);
  health.SetPhase(HealthPhase::kServing);  // counts as a beat
  EXPECT_TRUE(health.CheckLiveness().alive);
  EXPECT_EQ(health.CheckLiveness().since_beat, seconds(0));
  clock.Advance(seconds(30));
  EXPECT_FALSE(health.CheckLiveness().alive);
}

TEST(HealthTest, ReadyOnlyWhileServingAndEveryCheckPasses) {
  FakeClock clock;
  HealthRegistry health(&clock, seconds(30));
  bool redis_up = true;
  health.AddCheck("kafka", [] { return CheckResult{true, "3 partitions"}; });
  health.AddCheck("redis", [&] { return CheckResult{redis_up, redis_up ? "ok" : "down"}; });
  EXPECT_FALSE(health.CheckReadiness().ready) << "starting";
  health.SetPhase(HealthPhase::kServing);
  EXPECT_TRUE(health.CheckReadiness().ready);
  redis_up = false;
  EXPECT_FALSE(health.CheckReadiness().ready);
  redis_up = true;
  health.SetPhase(HealthPhase::kDraining);
  EXPECT_FALSE(health.CheckReadiness().ready);
}

TEST(HealthTest, ReadinessJsonNamesEveryCheck) {
  FakeClock clock;
  HealthRegistry health(&clock, seconds(30));
  health.SetPhase(HealthPhase::kServing);
  health.AddCheck("kafka", [] { return CheckResult{true, "assigned 3"}; });
  health.AddCheck("postgres", [] { return CheckResult{false, "connection refused"}; });
  auto body = nlohmann::json::parse(health.CheckReadiness().ToJson());
  EXPECT_EQ(body["status"], "not_ready");
  EXPECT_EQ(body["checks"]["kafka"]["ok"], true);
  EXPECT_EQ(body["checks"]["kafka"]["detail"], "assigned 3");
  EXPECT_EQ(body["checks"]["postgres"]["ok"], false);
  EXPECT_EQ(body["checks"]["lifecycle"]["detail"], "serving");
}

TEST(HealthTest, AThrowingCheckFailsReadinessInsteadOfEscaping) {
  FakeClock clock;
  HealthRegistry health(&clock, seconds(30));
  health.SetPhase(HealthPhase::kServing);
  health.AddCheck("llm", []() -> CheckResult { throw std::runtime_error("boom"); });
  Readiness ready = health.CheckReadiness();
  EXPECT_FALSE(ready.ready);
  EXPECT_EQ(ready.checks.back().second.detail, "check threw: boom");
}

TEST(HealthTest, AddingACheckTwiceReplacesIt) {
  FakeClock clock;
  HealthRegistry health(&clock, seconds(30));
  health.SetPhase(HealthPhase::kServing);
  health.AddCheck("redis", [] { return CheckResult{false, "old"}; });
  health.AddCheck("redis", [] { return CheckResult{true, "new"}; });
  Readiness ready = health.CheckReadiness();
  EXPECT_TRUE(ready.ready);
  EXPECT_EQ(ready.checks.size(), 2u);  // lifecycle + redis
}

}  // namespace
}  // namespace ms
