// The ops thread's round over fake dependencies: the gauges it sets from each probe and the
// readiness it stores for /readyz, on a frozen clock.
#include "app/ops_loop.h"

#include <gtest/gtest.h>

#include "fake_time.h"

namespace ms {
namespace {

using namespace std::chrono_literals;

class OpsLoopTest : public ::testing::Test {
 protected:
  OpsLoopTest() {
    deps_.ping_brokers = [] { return Status::Ok(); };
    deps_.partition_offsets = []() -> StatusOr<std::vector<app::PartitionOffsets>> {
      return std::vector<app::PartitionOffsets>{{"slack-messages", 0, 90, 100},
                                                {"slack-messages", 1, -1, 50},
                                                {"gmail-messages", 0, 5, 8}};
    };
    deps_.outbox_backlog = []() -> StatusOr<int64_t> { return 7; };
    deps_.pending = [this]() -> StatusOr<app::PendingSummary> {
      return app::PendingSummary{3, clock_.Now() - 42s};
    };
  }
  void RunOnce() {
    app::OpsLoop loop({&clock_, &metrics_, &health_, &probes_, deps_, nullptr});
    loop.RunOnce();
  }

  test::FakeClock clock_;
  Metrics metrics_;
  HealthRegistry health_{&clock_, 20s};
  app::Probes probes_;
  app::OpsDependencies deps_;
};

TEST_F(OpsLoopTest, ARoundSetsTheGaugesFromEachProbe) {
  RunOnce();
  EXPECT_EQ(metrics_.Gauge<MetricId::outbox_backlog>().Value(), 7);
  EXPECT_EQ(metrics_.Gauge<MetricId::pending_companies>().Value(), 3);
  EXPECT_EQ(metrics_.Gauge<MetricId::oldest_pending_age>().Value(), 42);
  EXPECT_EQ(metrics_.Total(MetricId::consumer_lag), 13) << "a partition with nothing committed";
  for (const char* name : {"kafka", "postgres", "redis", "llm"}) {
    EXPECT_TRUE(probes_.Check(name)().ok) << name;
  }
}

TEST_F(OpsLoopTest, AFailedProbeMakesItsDependencyNotReadyAndLeavesTheOthers) {
  deps_.outbox_backlog = []() -> StatusOr<int64_t> {
    return Unavailable("postgres: connection refused");
  };
  deps_.ping_brokers = [] { return Unavailable("all brokers down"); };
  RunOnce();
  const CheckResult postgres = probes_.Check("postgres")();
  EXPECT_FALSE(postgres.ok);
  EXPECT_NE(postgres.detail.find("connection refused"), std::string::npos);
  EXPECT_FALSE(probes_.Check("kafka")().ok);
  EXPECT_TRUE(probes_.Check("redis")().ok);
  EXPECT_EQ(metrics_.Gauge<MetricId::pending_companies>().Value(), 3);
}

}  // namespace
}  // namespace ms
