// What the claim and extract/store stages report to Metrics, over fakes behind their ports:
// batch sizes and claim durations per batch created; extract and store durations and the LLM
// cost per stored batch. Without metrics the stages run the same (null-safe).
#include <gtest/gtest.h>

#include <deque>

#include "app/claimer.h"
#include "app/extract_stage.h"
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
    return app::Claimer(config_, &buffer_, &store_, &ledger_, &full_, &claimed_, &clock_, &stats_);
  }

  Config config_;
  test::FakeBuffer buffer_;
  test::FakeStore store_;
  FakeLedger ledger_;
  BoundedQueue<std::string> full_{8};
  BoundedQueue<ClaimedBatch> claimed_{8};
  test::FakeClock clock_;
  app::ClaimStats stats_;
  Metrics metrics_;
};

TEST_F(ClaimerMetricsTest, EachBatchCreatedObservesItsSizeAndTheClaimDuration) {
  buffer_.claims = {{"c1", "acme", {1, 2, 3}, "threshold"},
                    {"dup1", "acme", {4}, "threshold"},
                    {"c2", "acme", {5, 6}, "max_age"}};
  app::Claimer claimer = MakeClaimer();
  claimer.SetMetrics(&metrics_);
  ASSERT_TRUE(claimer.ClaimAll("acme").ok());
  EXPECT_EQ(stats_.batches.load(), 2);
  auto sizes = Snapshot(metrics_.BatchSize());
  EXPECT_EQ(sizes.sample_count, 2u) << "the claim that made no batch is not a batch";
  EXPECT_DOUBLE_EQ(sizes.sample_sum, 5);
  EXPECT_EQ(Snapshot(metrics_.StageLatency(Stage::kClaim)).sample_count, 2u);
  EXPECT_EQ(Snapshot(metrics_.StageLatency(Stage::kPersist)).sample_count, 0u);
}

TEST_F(ClaimerMetricsTest, WithoutMetricsClaimsAllTheSame) {
  buffer_.claims = {{"c1", "acme", {1, 2}, "threshold"}};
  app::Claimer claimer = MakeClaimer();
  ASSERT_TRUE(claimer.ClaimAll("acme").ok());
  EXPECT_EQ(stats_.batches.load(), 1);
  EXPECT_EQ(Snapshot(metrics_.BatchSize()).sample_count, 0u);
}

// ---- extract and store -----------------------------------------------------------------------

struct TicketLog {
  std::vector<double> stored_costs;
  std::vector<std::string> failures;
};

class FakeTicket final : public BatchTicket {
 public:
  FakeTicket(TicketLog* log, bool already_done) : log_(log), already_done_(already_done) {}
  int64_t batch_id() const override { return 7; }
  const std::string& company_id() const override { return company_; }
  int attempts() const override { return 1; }
  StatusOr<ExtractionRequest> Load() override {
    ExtractionRequest request;
    request.batch_id = 7;
    request.company_id = company_;
    request.messages.push_back({1, Source::kSlack, "ana", "", "We closed the seed round.", 0});
    return request;
  }
  StatusOr<StoreOutcome> Store(const ExtractionResult&, const std::vector<std::string>&,
                               const Accounting& accounting) override {
    log_->stored_costs.push_back(accounting.cost_usd);
    StoreOutcome outcome;
    outcome.already_done = already_done_;
    return outcome;
  }
  Status Fail(const std::string& error, const ExtractionResult*) override {
    log_->failures.push_back(error);
    return Status::Ok();
  }

 private:
  TicketLog* log_;
  bool already_done_;
  std::string company_ = "acme";
};

struct OneBatchQueue : BatchQueue {
  TicketLog log;
  bool taken = false;
  bool already_done = false;
  StatusOr<std::unique_ptr<BatchTicket>> Take() override {
    if (taken) return std::unique_ptr<BatchTicket>();
    taken = true;
    return std::unique_ptr<BatchTicket>(std::make_unique<FakeTicket>(&log, already_done));
  }
};

struct FixedExtractor : Extractor {
  Status error;
  StatusOr<ExtractionResult> Extract(const ExtractionRequest&) override {
    if (!error.ok()) return error;
    ExtractionResult result;
    result.usage = {1'000'000, 500'000};
    result.provider = "openai";
    result.model = "gpt-test";
    result.llm_calls = 1;
    return result;
  }
};

class ExtractStageMetricsTest : public ::testing::Test {
 protected:
  ExtractStageMetricsTest() { config_.llm.prices["gpt-test"] = {2.0, 4.0}; }

  bool ProcessOne(bool with_metrics = true) {
    app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &stats_);
    if (with_metrics) stage.SetMetrics(&metrics_);
    bool found = false;
    Status st = stage.ProcessOne(&found);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return found;
  }
  uint64_t StageCount(Stage stage) { return Snapshot(metrics_.StageLatency(stage)).sample_count; }

  Config config_;
  OneBatchQueue queue_;
  FixedExtractor extractor_;
  BoundedQueue<ClaimedBatch> hints_{8};
  app::ExtractStats stats_;
  Metrics metrics_;
};

TEST_F(ExtractStageMetricsTest, StoredBatchObservesExtractAndStoreAndAddsItsCost) {
  ASSERT_TRUE(ProcessOne());
  // 1M prompt tokens at $2/M + 0.5M completion tokens at $4/M.
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{4.0});
  EXPECT_DOUBLE_EQ(metrics_.LlmCost("openai").Value(), 4.0);
  EXPECT_EQ(StageCount(Stage::kExtract), 1u);
  EXPECT_EQ(StageCount(Stage::kStore), 1u);
  EXPECT_EQ(stats_.batches_done.load(), 1);
}

TEST_F(ExtractStageMetricsTest, FailedExtractionIsTimedButStoresAndCostsNothing) {
  extractor_.error = Unavailable("retry budget exhausted");
  ASSERT_TRUE(ProcessOne());
  EXPECT_EQ(queue_.log.failures.size(), 1u);
  EXPECT_EQ(StageCount(Stage::kExtract), 1u);
  EXPECT_EQ(StageCount(Stage::kStore), 0u);
  EXPECT_DOUBLE_EQ(metrics_.LlmCost("openai").Value(), 0);
}

TEST_F(ExtractStageMetricsTest, ABatchStoredBeforeIsNotCostedTwice) {
  queue_.already_done = true;
  ASSERT_TRUE(ProcessOne());
  EXPECT_EQ(StageCount(Stage::kStore), 1u);
  EXPECT_DOUBLE_EQ(metrics_.LlmCost("openai").Value(), 0);
  EXPECT_EQ(stats_.batches_done.load(), 0);
}

TEST_F(ExtractStageMetricsTest, WithoutMetricsStoresAllTheSame) {
  ASSERT_TRUE(ProcessOne(/*with_metrics=*/false));
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{4.0});
  EXPECT_EQ(StageCount(Stage::kExtract), 0u);
  EXPECT_DOUBLE_EQ(metrics_.LlmCost("openai").Value(), 0);
}

}  // namespace
}  // namespace ms
