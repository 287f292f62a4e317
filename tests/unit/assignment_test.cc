// The /readyz `partitions` decision: a pure function of the tracked assignment and the clock.
#include "app/assignment.h"

#include <gtest/gtest.h>

namespace ms::app {
namespace {

using namespace std::chrono_literals;

constexpr std::chrono::milliseconds kGrace = 12s;

CheckResult Check(const AssignmentTracker& tracker, std::chrono::milliseconds now) {
  return PartitionCheck(tracker.Snapshot(), now, kGrace);
}

TEST(PartitionCheckTest, NotReadyBeforeSubscribing) {
  AssignmentTracker tracker;
  CheckResult result = Check(tracker, 1000s);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.detail, "not subscribed yet");
}

TEST(PartitionCheckTest, AwaitingTheFirstAssignmentIsNormalWithinTheGrace) {
  AssignmentTracker tracker;
  tracker.Subscribed(1000s);
  CheckResult result = Check(tracker, 1000s + 2500ms);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.detail, "awaiting assignment for 2 s");
  result = Check(tracker, 1000s + kGrace);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.detail, "no assignment for 12 s");
}

TEST(PartitionCheckTest, AssignedPartitionsAreReadyWhateverTheTime) {
  AssignmentTracker tracker;
  tracker.Subscribed(1000s);
  tracker.Assigned(3);
  CheckResult result = Check(tracker, 5000s);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.detail, "assigned 3 partitions");
}

TEST(PartitionCheckTest, AnEmptyAssignmentAfterARebalanceIsReady) {
  // More members than partitions: the rebalance completed and gave this one nothing.
  AssignmentTracker tracker;
  tracker.Subscribed(1000s);
  tracker.Assigned(0);
  CheckResult result = Check(tracker, 5000s);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.detail, "assigned 0 partitions");
}

TEST(PartitionCheckTest, ACooperativeRevokeOfSomePartitionsKeepsTheRest) {
  AssignmentTracker tracker;
  tracker.Subscribed(1000s);
  tracker.Assigned(6);
  tracker.Revoked(2, /*lost=*/false, 1010s);
  CheckResult result = Check(tracker, 5000s);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.detail, "assigned 4 partitions");
}

TEST(PartitionCheckTest, LostPartitionsNotReassignedWithinTheGraceAreNotReady) {
  AssignmentTracker tracker;
  tracker.Subscribed(1000s);
  tracker.Assigned(3);
  tracker.Revoked(3, /*lost=*/true, 1100s);
  CheckResult result = Check(tracker, 1105s);
  EXPECT_TRUE(result.ok) << "a rejoin takes a moment";
  EXPECT_EQ(result.detail, "partitions lost; awaiting assignment for 5 s");
  result = Check(tracker, 1175s);
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.detail, "partitions lost; no assignment for 75 s");
  tracker.Assigned(2);  // rejoined
  result = Check(tracker, 1180s);
  EXPECT_TRUE(result.ok);
  EXPECT_EQ(result.detail, "assigned 2 partitions");
}

TEST(PartitionCheckTest, AnEagerRevokeOfEverythingAwaitsTheNextAssignment) {
  AssignmentTracker tracker;
  tracker.Subscribed(1000s);
  tracker.Assigned(3);
  tracker.Revoked(3, /*lost=*/false, 1200s);
  EXPECT_EQ(Check(tracker, 1201s).detail, "awaiting assignment for 1 s");
  EXPECT_FALSE(Check(tracker, 1200s + kGrace).ok);
}

}  // namespace
}  // namespace ms::app
