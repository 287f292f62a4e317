// What the claim stage counts into Metrics, over fakes behind its ports: batches, their sizes
// and claim durations per batch created, failures and rebuilds.
#include "app/claimer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>

#include "fake_time.h"
#include "ingest_fakes.h"

namespace ms {
namespace {

using std::chrono::milliseconds;

prometheus::ClientMetric::Histogram Snapshot(prometheus::Histogram& histogram) {
  return histogram.Collect().histogram;
}

// ---- claim -----------------------------------------------------------------------------------

// Claims whose id starts with "dup" hold only messages batched already: no batch.
struct FakeLedger : BatchLedger {
  int64_t next_id = 1;
  StatusOr<ClaimedBatch> RecordClaim(const Claim& claim) override {
    if (claim.claim_id.starts_with("dup")) return ClaimedBatch{0, claim.company_id, 0};
    return ClaimedBatch{next_id++, claim.company_id,
                        static_cast<int64_t>(claim.message_ids.size())};
  }
};

class ClaimerMetricsTest : public ::testing::Test {
 protected:
  app::Claimer MakeClaimer() {
    return app::Claimer(config_, &buffer_, &store_, &ledger_, &full_, &claimed_, &clock_,
                        &metrics_);
  }

  Config config_;
  test::FakeBuffer buffer_;
  test::FakeStore store_;
  FakeLedger ledger_;
  BoundedQueue<std::string> full_{8};
  BoundedQueue<ClaimedBatch> claimed_{8};
  test::FakeClock clock_;
  Metrics metrics_;
};

TEST_F(ClaimerMetricsTest, EachBatchCreatedObservesItsSizeAndTheClaimDuration) {
  buffer_.claims = {{"c1", "acme", {1, 2, 3}, "threshold"},
                    {"dup1", "acme", {4}, "threshold"},
                    {"c2", "acme", {5, 6}, "max_age"}};
  app::Claimer claimer = MakeClaimer();
  ASSERT_TRUE(claimer.ClaimAll("acme").ok());
  EXPECT_EQ(metrics_.Total(MetricId::batches_claimed), 2);
  auto sizes = Snapshot(metrics_.Histogram<MetricId::batch_size>());
  EXPECT_EQ(sizes.sample_count, 2u) << "the claim that made no batch is not a batch";
  EXPECT_DOUBLE_EQ(sizes.sample_sum, 5);
  EXPECT_EQ(Snapshot(metrics_.StageLatency(Stage::kClaim)).sample_count, 2u);
  EXPECT_EQ(Snapshot(metrics_.StageLatency(Stage::kPersist)).sample_count, 0u);
}

// Redis down: each failed sweep waits longer than the one before (100 ms doubling up to 5 s,
// with jitter), instead of retrying in a tight loop.
struct DownBuffer : test::FakeBuffer {
  StatusOr<bool> NeedsRebuild() override { return Unavailable("redis: connection refused"); }
};

TEST_F(ClaimerMetricsTest, AFailingSweepIsRetriedAfterGrowingWaits) {
  DownBuffer down;
  app::Claimer claimer(config_, &down, &store_, &ledger_, &full_, &claimed_, &clock_, &metrics_);
  std::atomic<bool> stop{false};
  test::StoppingSleeper sleeper(&stop, 10);
  claimer.SetSleeper(&sleeper);
  claimer.Run(stop);
  ASSERT_EQ(sleeper.waits().size(), 10u);
  EXPECT_EQ(metrics_.Total(MetricId::claim_failures), 10);
  for (auto wait : sleeper.waits()) {
    EXPECT_GE(wait, std::chrono::milliseconds(10));
    EXPECT_LE(wait, std::chrono::seconds(5));
  }
  EXPECT_GT(*std::max_element(sleeper.waits().begin(), sleeper.waits().end()),
            std::chrono::milliseconds(400))
      << "no growing wait between attempts";
}

// A rebuild re-offers a large backlog a page at a time, never all of it at once, and misses none.
TEST_F(ClaimerMetricsTest, ARebuildReoffersTheBacklogPageByPage) {
  for (int64_t id = 1; id <= 12001; ++id) {
    store_.pending.push_back({id, "co" + std::to_string(id % 7), Source::kSlack, true});
  }
  buffer_.needs_rebuild = true;
  app::Claimer claimer = MakeClaimer();
  ASSERT_TRUE(claimer.Sweep().ok());
  // The rebuild pass, then the first periodic re-offer (the fake never batches anything).
  EXPECT_EQ(store_.page_sizes, (std::vector<int>{5000, 5000, 2001, 5000, 5000, 2001}));
  ASSERT_EQ(buffer_.appended.size(), 24002u);
  for (size_t idx = 0; idx < 12001; ++idx) {
    ASSERT_EQ(buffer_.appended[idx].id, static_cast<int64_t>(idx + 1));
  }
  EXPECT_EQ(metrics_.Total(MetricId::pending_rebuilds), 1);
}

}  // namespace
}  // namespace ms
