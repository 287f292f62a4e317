// What the claim and extract/store stages report to Metrics, over fakes behind their ports:
// batch sizes and claim durations per batch created; extract and store durations and the LLM
// cost per stored batch. Without metrics the stages run the same (null-safe). And how the
// extract stage disposes of a failed extraction: handed back (transient, shutdown, circuit
// open) or failed (permanent, or out of attempts), its spending counted either way.
#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <thread>

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

struct HandedBack {
  std::string reason;
  std::chrono::milliseconds retry_in;
  bool count_attempt;
};

struct TicketLog {
  std::vector<double> stored_costs;
  std::vector<std::string> failures;
  std::vector<HandedBack> handed_back;
  std::vector<double> failed_costs;  // of failed or handed-back attempts
};

class FakeTicket final : public BatchTicket {
 public:
  FakeTicket(TicketLog* log, bool already_done, int attempts)
      : log_(log), already_done_(already_done), attempts_(attempts) {}
  int64_t batch_id() const override { return 7; }
  const std::string& company_id() const override { return company_; }
  int attempts() const override { return attempts_; }
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
  Status Fail(const std::string& error, const ExtractionResult&,
              const Accounting& accounting) override {
    log_->failures.push_back(error);
    log_->failed_costs.push_back(accounting.cost_usd);
    return Status::Ok();
  }
  Status HandBack(const std::string& reason, const ExtractionResult&, const Accounting& accounting,
                  std::chrono::milliseconds retry_in, bool count_attempt) override {
    log_->handed_back.push_back({reason, retry_in, count_attempt});
    log_->failed_costs.push_back(accounting.cost_usd);
    return Status::Ok();
  }

 private:
  TicketLog* log_;
  bool already_done_;
  int attempts_;
  std::string company_ = "acme";
};

struct OneBatchQueue : BatchQueue {
  TicketLog log;
  std::atomic<bool> taken{false};
  bool already_done = false;
  int attempts = 1;  // this attempt's number
  StatusOr<std::unique_ptr<BatchTicket>> Take() override {
    if (taken) return std::unique_ptr<BatchTicket>();
    taken = true;
    return std::unique_ptr<BatchTicket>(std::make_unique<FakeTicket>(&log, already_done, attempts));
  }
};

// Spends 1M prompt and 0.5M completion tokens in `calls` calls, then fails with `error` or
// answers with no events.
struct FixedExtractor : Extractor {
  Status error;
  int calls = 1;
  std::string model = "gpt-test";
  std::chrono::milliseconds ready_in{0};
  std::chrono::milliseconds ReadyIn() const override { return ready_in; }
  Status ExtractInto(const ExtractionRequest&, ExtractionResult* out) override {
    out->usage = {1'000'000, 500'000};
    out->provider = "openai";
    out->model = model;
    out->requested_model = "gpt-test";
    out->llm_calls = calls;
    return error;
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

TEST_F(ExtractStageMetricsTest, TransientFailureIsHandedBackWithItsSpendingCounted) {
  extractor_.error = Unavailable("retry budget exhausted after 4 retries");
  ASSERT_TRUE(ProcessOne());
  ASSERT_EQ(queue_.log.handed_back.size(), 1u);
  EXPECT_TRUE(queue_.log.failures.empty()) << "a provider outage must not fail the batch";
  EXPECT_EQ(queue_.log.handed_back[0].retry_in, std::chrono::seconds(30));
  EXPECT_TRUE(queue_.log.handed_back[0].count_attempt);
  EXPECT_NE(queue_.log.handed_back[0].reason.find("retry budget"), std::string::npos);
  // The tokens the failed attempt used are paid for: they count in the stats and the cost.
  EXPECT_EQ(queue_.log.failed_costs, std::vector<double>{4.0});
  EXPECT_DOUBLE_EQ(metrics_.LlmCost("openai").Value(), 4.0);
  EXPECT_EQ(stats_.prompt_tokens.load(), 1'000'000);
  EXPECT_EQ(stats_.llm_calls.load(), 1);
  EXPECT_EQ(stats_.batches_handed_back.load(), 1);
  EXPECT_EQ(stats_.batches_failed.load(), 0);
  EXPECT_EQ(StageCount(Stage::kExtract), 1u);
  EXPECT_EQ(StageCount(Stage::kStore), 0u);
}

TEST_F(ExtractStageMetricsTest, TheWaitBetweenAttemptsDoublesUpToThirtyMinutes) {
  config_.llm.batch_attempts = 20;
  extractor_.error = DeadlineExceeded("llm call deadline");
  std::vector<std::chrono::milliseconds> waits;
  for (int attempt : {2, 3, 7, 12}) {
    queue_.taken = false;
    queue_.attempts = attempt;
    ASSERT_TRUE(ProcessOne());
    waits.push_back(queue_.log.handed_back.back().retry_in);
  }
  using std::chrono::minutes;
  using std::chrono::seconds;
  EXPECT_EQ(waits, (std::vector<std::chrono::milliseconds>{seconds(60), seconds(120), minutes(30),
                                                           minutes(30)}));
}

TEST_F(ExtractStageMetricsTest, TheLastAttemptFailsTheBatchSayingItGaveUp) {
  queue_.attempts = config_.llm.batch_attempts;
  extractor_.error = Unavailable("openai: HTTP 503");
  ASSERT_TRUE(ProcessOne());
  ASSERT_EQ(queue_.log.failures.size(), 1u);
  EXPECT_TRUE(queue_.log.handed_back.empty());
  EXPECT_NE(queue_.log.failures[0].find("HTTP 503"), std::string::npos);
  EXPECT_NE(queue_.log.failures[0].find("gave up after 5 attempts"), std::string::npos);
  EXPECT_EQ(stats_.batches_failed.load(), 1);
}

TEST_F(ExtractStageMetricsTest, APermanentErrorFailsTheBatchAtOnce) {
  extractor_.error = FailedPrecondition("openai: HTTP 401: invalid API key");
  ASSERT_TRUE(ProcessOne());
  ASSERT_EQ(queue_.log.failures.size(), 1u);
  EXPECT_TRUE(queue_.log.handed_back.empty());
  EXPECT_EQ(stats_.batches_failed.load(), 1);
}

TEST_F(ExtractStageMetricsTest, ShutdownHandsTheBatchBackWithoutCountingTheAttempt) {
  extractor_.error = Cancelled("interrupted while backing off: HTTP 503");
  ASSERT_TRUE(ProcessOne());
  ASSERT_EQ(queue_.log.handed_back.size(), 1u);
  EXPECT_FALSE(queue_.log.handed_back[0].count_attempt);
  EXPECT_EQ(queue_.log.handed_back[0].retry_in, std::chrono::milliseconds(0));
  EXPECT_TRUE(queue_.log.failures.empty());
}

TEST_F(ExtractStageMetricsTest, RefusedBeforeAnyCallIsHandedBackUncounted) {
  extractor_.error = Unavailable("openai: circuit breaker open, next probe in 20000 ms");
  extractor_.calls = 0;
  ASSERT_TRUE(ProcessOne());
  ASSERT_EQ(queue_.log.handed_back.size(), 1u);
  EXPECT_FALSE(queue_.log.handed_back[0].count_attempt);
  EXPECT_EQ(queue_.log.handed_back[0].retry_in, std::chrono::seconds(5));
}

TEST_F(ExtractStageMetricsTest, ADatedModelNameIsPricedAsTheModelItExtends) {
  extractor_.model = "gpt-test-2024-07-18";  // priced only as "gpt-test"
  ASSERT_TRUE(ProcessOne());
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{4.0});
}

TEST_F(ExtractStageMetricsTest, AnotherModelSharingAPrefixIsNotPricedAsIt) {
  config_.llm.prices.clear();
  config_.llm.prices["gpt-t"] = {2.0, 4.0};
  extractor_.model = "gpt-test-2024-07-18";  // neither it nor "gpt-test" is priced
  ASSERT_TRUE(ProcessOne());
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{0.0});
}

// While the circuit is open every batch would fail without a call: workers leave them queued.
TEST_F(ExtractStageMetricsTest, WorkersTakeNothingWhileTheCircuitIsOpen) {
  extractor_.ready_in = std::chrono::seconds(30);
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &stats_);
  std::atomic<bool> stop{false};
  std::thread worker([&] { stage.RunWorker(stop); });
  for (int hint = 0; hint < 3; ++hint)
    ASSERT_TRUE(hints_.TryPush(ClaimedBatch{hint + 1, "acme", 1}));
  // The worker wakes on each hint and looks at the circuit; await all three consumed.
  for (int spin = 0; spin < 5000 && hints_.size() > 0; ++spin)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  EXPECT_EQ(hints_.size(), 0u);
  stop = true;
  hints_.Close();
  worker.join();
  EXPECT_FALSE(queue_.taken.load()) << "a batch was taken while the circuit was open";
}

TEST_F(ExtractStageMetricsTest, WorkersTakeBatchesWhenTheCircuitIsClosed) {
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &stats_);
  std::atomic<bool> stop{false};
  std::thread worker([&] { stage.RunWorker(stop); });
  for (int spin = 0; spin < 5000 && stats_.batches_done.load() == 0; ++spin)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  stop = true;
  hints_.Close();
  worker.join();
  EXPECT_TRUE(queue_.taken.load());
  EXPECT_EQ(stats_.batches_done.load(), 1);
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
