// The extract → store stage over fakes behind its ports: what it counts into Metrics (extract
// and store durations, tokens, the LLM cost per stored batch, batches done, failed and handed
// back), how it disposes of a failed extraction (handed back when transient, at shutdown or with
// the circuit open; failed when permanent or out of attempts; its spending counted either way),
// and how an answer is paid for once: kept before the store, stored from there after a failed
// store, held in memory when even keeping it failed, cleaned of what the database refuses.
#include "app/extract_stage.h"

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <thread>

#include "fake_time.h"

namespace ms {
namespace {

using std::chrono::milliseconds;

prometheus::ClientMetric::Histogram Snapshot(prometheus::Histogram& histogram) {
  return histogram.Collect().histogram;
}

// ---- extract and store -----------------------------------------------------------------------

struct HandedBack {
  std::string reason;
  std::chrono::milliseconds retry_in;
  bool count_attempt;
};

// The batch row as the tickets see it, across takes.
struct TicketLog {
  std::vector<double> stored_costs;
  std::vector<ExtractionResult> stored;
  std::vector<std::string> failures;
  std::vector<HandedBack> handed_back;
  std::vector<HandedBack> store_retries;  // RetryStore: reason and wait (count_attempt unused)
  std::vector<double> failed_costs;       // of failed or handed-back attempts
  std::optional<KeptAnswer> kept;         // batches.answer
  std::deque<Status> keep_errors;         // the next Keep calls fail with these
  std::deque<Status> store_errors;        // the next Store calls fail with these
  int store_attempts = 0;                 // batches.store_attempts
  std::optional<ProviderJob> job;         // provider_job_id, job_state, job_requests
  std::deque<Status> mark_errors;         // the next MarkSubmitted calls fail with these
  std::vector<std::string> awaited;       // AwaitJob's provider states
  std::vector<std::string> ended;         // EndJob's states
  int fallbacks = 0;                      // batches.job_fallbacks
};

class FakeTicket final : public BatchTicket {
 public:
  FakeTicket(TicketLog* log, bool already_done, int attempts)
      : log_(log), already_done_(already_done), attempts_(attempts) {}
  int64_t batch_id() const override { return 7; }
  const std::string& company_id() const override { return company_; }
  int attempts() const override { return attempts_; }
  int store_attempts() const override { return log_->store_attempts; }
  StatusOr<std::optional<KeptAnswer>> LoadKept() override { return log_->kept; }
  Status Keep(const KeptAnswer& answer) override {
    if (!log_->keep_errors.empty()) {
      Status error = log_->keep_errors.front();
      log_->keep_errors.pop_front();
      return error;
    }
    log_->kept = answer;
    return Status::Ok();
  }
  Status RetryStore(const std::string& reason, std::chrono::milliseconds retry_in) override {
    log_->store_retries.push_back({reason, retry_in, false});
    log_->store_attempts += 1;
    return Status::Ok();
  }
  StatusOr<ExtractionRequest> Load() override {
    ExtractionRequest request;
    request.batch_id = 7;
    request.company_id = company_;
    request.messages.push_back({1, Source::kSlack, "ana", "", "We closed the seed round.", 0});
    return request;
  }
  StatusOr<StoreOutcome> Store(const ExtractionResult& result, const std::vector<std::string>&,
                               const Accounting& accounting) override {
    if (!log_->store_errors.empty()) {
      Status error = log_->store_errors.front();
      log_->store_errors.pop_front();
      return error;
    }
    log_->stored_costs.push_back(accounting.cost_usd);
    log_->stored.push_back(result);
    log_->kept.reset();  // done clears the answer
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
  std::optional<ProviderJob> job() const override { return log_->job; }
  Status MarkSubmitting() override {
    if (log_->job) return FailedPrecondition("already being submitted or has a provider job");
    log_->job = ProviderJob{"", "submitting", 0, ""};
    return Status::Ok();
  }
  Status ClearSubmitting() override {
    if (log_->job && log_->job->id.empty()) log_->job.reset();
    return Status::Ok();
  }
  Status MarkSubmitted(const std::string& provider, const std::string& job_id,
                       const std::vector<std::string>& hashes, std::chrono::milliseconds) override {
    if (!log_->mark_errors.empty()) {
      Status error = log_->mark_errors.front();
      log_->mark_errors.pop_front();
      return error;
    }
    if (log_->job && !log_->job->id.empty()) return FailedPrecondition("already has a job");
    log_->job = ProviderJob{job_id, "pending", static_cast<int>(hashes.size()), provider, hashes};
    return Status::Ok();
  }
  Status AwaitJob(const std::string& provider_state, std::chrono::milliseconds) override {
    log_->awaited.push_back(provider_state);
    return Status::Ok();
  }
  Status EndJob(const std::string& state, const std::string&, int fallbacks) override {
    log_->ended.push_back(state);
    log_->job->state = state;
    log_->fallbacks += fallbacks;
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
  std::vector<ExtractedEvent> events;
  std::atomic<int> extractions{0};  // ExtractInto calls: each one is paid for
  int calls = 1;
  std::string model = "gpt-test";
  std::string mode = "model";
  std::chrono::milliseconds ready_in{0};
  TokenUsage usage = {1'000'000, 500'000};
  test::FakeClock* clock = nullptr;  // advanced by `takes` in each call, when set
  std::chrono::milliseconds takes{0};
  std::chrono::milliseconds ReadyIn() const override { return ready_in; }
  Status ExtractInto(const ExtractionRequest&, ExtractionResult* out) override {
    if (clock != nullptr) clock->Advance(takes);
    out->usage = usage;
    out->provider = "openai";
    out->model = model;
    out->requested_model = "gpt-test";
    out->llm_calls = calls;
    out->mode = mode;
    extractions += 1;
    if (error.ok()) out->events = events;
    return error;
  }
};

class ExtractStageTest : public ::testing::Test {
 protected:
  ExtractStageTest() { config_.llm.prices["gpt-test"] = {2.0, 4.0}; }

  bool ProcessOne() {
    app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
    return ProcessOneWith(stage);
  }
  // With a stage that lives across takes (its in-memory answers with it).
  bool ProcessOneWith(app::ExtractStage& stage) {
    queue_.taken = false;
    stage.SetSleeper(&sleeper_);
    bool found = false;
    Status st = stage.ProcessOne(&found);
    EXPECT_TRUE(st.ok()) << st.ToString();
    return found;
  }
  uint64_t StageCount(Stage stage) { return Snapshot(metrics_.StageLatency(stage)).sample_count; }
  double Tokens(TokenDirection direction) {
    return metrics_.LlmTokens("openai", direction).Value();
  }

  Config config_;
  OneBatchQueue queue_;
  FixedExtractor extractor_;
  BoundedQueue<ClaimedBatch> hints_{8};
  Metrics metrics_;
  test::FakeClock clock_;
  test::FakeSleeper sleeper_{&clock_};
};

TEST_F(ExtractStageTest, StoredBatchObservesExtractAndStoreAndAddsItsCost) {
  ASSERT_TRUE(ProcessOne());
  // 1M prompt tokens at $2/M + 0.5M completion tokens at $4/M.
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{4.0});
  EXPECT_DOUBLE_EQ(metrics_.LlmCost("openai").Value(), 4.0);
  EXPECT_EQ(StageCount(Stage::kExtract), 1u);
  EXPECT_EQ(StageCount(Stage::kStore), 1u);
  EXPECT_EQ(metrics_.Total(MetricId::batches_done), 1);
}

TEST_F(ExtractStageTest, SpendIsPricedPerThousandMessagesOfItsMode) {
  extractor_.mode = "tiered";
  extractor_.error = Unavailable("provider down");
  ASSERT_TRUE(ProcessOne());  // a failed attempt is paid for: $4, no message stored
  extractor_.error = Status::Ok();
  ASSERT_TRUE(ProcessOne());  // $4 more, the batch's one message stored
  EXPECT_DOUBLE_EQ(metrics_.ModeCost("tiered").Value(), 8.0);
  EXPECT_DOUBLE_EQ(metrics_.ModeCost("model").Value(), 0.0);
  const std::string text = metrics_.Serialize();
  EXPECT_NE(text.find("milestoned_llm_mode_messages_total{mode=\"tiered\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("milestoned_llm_cost_per_1k_messages_usd{mode=\"tiered\"} 8000"),
            std::string::npos)
      << "$8 for 1 message is $8,000 per 1,000\n"
      << text;
}

TEST_F(ExtractStageTest, TheExtractLatencyIsTimedByTheInjectedClock) {
  extractor_.clock = &clock_;
  extractor_.takes = std::chrono::milliseconds(2500);
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  stage.SetClock(&clock_);
  ASSERT_TRUE(ProcessOneWith(stage));
  EXPECT_DOUBLE_EQ(Snapshot(metrics_.StageLatency(Stage::kExtract)).sample_sum, 2.5);
  EXPECT_DOUBLE_EQ(Snapshot(metrics_.StageLatency(Stage::kStore)).sample_sum, 0.0);
}

TEST_F(ExtractStageTest, TransientFailureIsHandedBackWithItsSpendingCounted) {
  extractor_.error = Unavailable("retry budget exhausted after 4 retries");
  ASSERT_TRUE(ProcessOne());
  ASSERT_EQ(queue_.log.handed_back.size(), 1u);
  EXPECT_TRUE(queue_.log.failures.empty()) << "a provider outage must not fail the batch";
  EXPECT_EQ(queue_.log.handed_back[0].retry_in, std::chrono::seconds(30));
  EXPECT_TRUE(queue_.log.handed_back[0].count_attempt);
  EXPECT_NE(queue_.log.handed_back[0].reason.find("retry budget"), std::string::npos);
  // The tokens the failed attempt used are paid for: they count in the metrics and the cost.
  EXPECT_EQ(queue_.log.failed_costs, std::vector<double>{4.0});
  EXPECT_DOUBLE_EQ(metrics_.LlmCost("openai").Value(), 4.0);
  EXPECT_EQ(Tokens(TokenDirection::kIn), 1'000'000);
  EXPECT_EQ(metrics_.Total(MetricId::batches_retried), 1);
  EXPECT_EQ(metrics_.Total(MetricId::batches_failed), 0);
  EXPECT_EQ(StageCount(Stage::kExtract), 1u);
  EXPECT_EQ(StageCount(Stage::kStore), 0u);
}

TEST_F(ExtractStageTest, TheWaitBetweenAttemptsDoublesUpToThirtyMinutes) {
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

TEST_F(ExtractStageTest, TheLastAttemptFailsTheBatchSayingItGaveUp) {
  queue_.attempts = config_.llm.batch_attempts;
  extractor_.error = Unavailable("openai: HTTP 503");
  ASSERT_TRUE(ProcessOne());
  ASSERT_EQ(queue_.log.failures.size(), 1u);
  EXPECT_TRUE(queue_.log.handed_back.empty());
  EXPECT_NE(queue_.log.failures[0].find("HTTP 503"), std::string::npos);
  EXPECT_NE(queue_.log.failures[0].find("gave up after 5 attempts"), std::string::npos);
  EXPECT_EQ(metrics_.Total(MetricId::batches_failed), 1);
}

TEST_F(ExtractStageTest, APermanentErrorFailsTheBatchAtOnce) {
  extractor_.error = FailedPrecondition("openai: HTTP 401: invalid API key");
  ASSERT_TRUE(ProcessOne());
  ASSERT_EQ(queue_.log.failures.size(), 1u);
  EXPECT_TRUE(queue_.log.handed_back.empty());
  EXPECT_EQ(metrics_.Total(MetricId::batches_failed), 1);
}

TEST_F(ExtractStageTest, ShutdownHandsTheBatchBackWithoutCountingTheAttempt) {
  extractor_.error = Cancelled("interrupted while backing off: HTTP 503");
  ASSERT_TRUE(ProcessOne());
  ASSERT_EQ(queue_.log.handed_back.size(), 1u);
  EXPECT_FALSE(queue_.log.handed_back[0].count_attempt);
  EXPECT_EQ(queue_.log.handed_back[0].retry_in, std::chrono::milliseconds(0));
  EXPECT_TRUE(queue_.log.failures.empty());
}

TEST_F(ExtractStageTest, RefusedBeforeAnyCallIsHandedBackUncounted) {
  extractor_.error = Unavailable("openai: circuit breaker open, next probe in 20000 ms");
  extractor_.calls = 0;
  ASSERT_TRUE(ProcessOne());
  ASSERT_EQ(queue_.log.handed_back.size(), 1u);
  EXPECT_FALSE(queue_.log.handed_back[0].count_attempt);
  EXPECT_EQ(queue_.log.handed_back[0].retry_in, std::chrono::seconds(5));
}

TEST_F(ExtractStageTest, ADatedModelNameIsPricedAsTheModelItExtends) {
  extractor_.model = "gpt-test-2024-07-18";  // priced only as "gpt-test"
  ASSERT_TRUE(ProcessOne());
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{4.0});
}

// 1M prompt tokens of which 400k were read from the prompt cache, 0.5M completion tokens.
TEST_F(ExtractStageTest, CachedInputIsPricedAtTheCachedRate) {
  extractor_.usage = {1'000'000, 500'000, 400'000, 0};
  config_.llm.prices["gpt-test"] = {2.0, 4.0, 0.5};
  ASSERT_TRUE(ProcessOne());
  // 600k plain input at $2/M + 400k cached at $0.5/M + 500k completion at $4/M.
  ASSERT_EQ(queue_.log.stored_costs.size(), 1u);
  EXPECT_DOUBLE_EQ(queue_.log.stored_costs[0], 1.2 + 0.2 + 2.0);
  EXPECT_EQ(Tokens(TokenDirection::kIn), 1'000'000);
  EXPECT_EQ(Tokens(TokenDirection::kCached), 400'000);
  EXPECT_EQ(Tokens(TokenDirection::kCacheWrite), 0);
}

TEST_F(ExtractStageTest, WithoutACachedRateCachedInputCostsThePlainInputRate) {
  extractor_.usage = {1'000'000, 500'000, 400'000, 0};
  ASSERT_TRUE(ProcessOne());
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{4.0});
}

TEST_F(ExtractStageTest, CacheWritesCostAQuarterMoreThanPlainInput) {
  extractor_.usage = {1'000'000, 500'000, 400'000, 200'000};
  config_.llm.prices["gpt-test"] = {2.0, 4.0, 0.2};
  ASSERT_TRUE(ProcessOne());
  // 400k plain at $2/M + 400k cached at $0.2/M + 200k written at 1.25 x $2/M + 500k at $4/M.
  ASSERT_EQ(queue_.log.stored_costs.size(), 1u);
  EXPECT_DOUBLE_EQ(queue_.log.stored_costs[0], 0.8 + 0.08 + 0.5 + 2.0);
  EXPECT_EQ(Tokens(TokenDirection::kCacheWrite), 200'000);
}

TEST_F(ExtractStageTest, AnotherModelSharingAPrefixIsNotPricedAsIt) {
  config_.llm.prices.clear();
  config_.llm.prices["gpt-t"] = {2.0, 4.0};
  extractor_.model = "gpt-test-2024-07-18";  // neither it nor "gpt-test" is priced
  ASSERT_TRUE(ProcessOne());
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{0.0});
}

// While the circuit is open every batch would fail without a call: workers leave them queued.
TEST_F(ExtractStageTest, WorkersTakeNothingWhileTheCircuitIsOpen) {
  extractor_.ready_in = std::chrono::seconds(30);
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
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

TEST_F(ExtractStageTest, WorkersTakeBatchesWhenTheCircuitIsClosed) {
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  std::atomic<bool> stop{false};
  std::thread worker([&] { stage.RunWorker(stop); });
  for (int spin = 0; spin < 5000 && metrics_.Total(MetricId::batches_done) == 0; ++spin)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  stop = true;
  hints_.Close();
  worker.join();
  EXPECT_TRUE(queue_.taken.load());
  EXPECT_EQ(metrics_.Total(MetricId::batches_done), 1);
}

TEST_F(ExtractStageTest, ABatchStoredBeforeIsNotCostedTwice) {
  queue_.already_done = true;
  ASSERT_TRUE(ProcessOne());
  EXPECT_EQ(StageCount(Stage::kStore), 1u);
  EXPECT_DOUBLE_EQ(metrics_.LlmCost("openai").Value(), 0);
  EXPECT_EQ(metrics_.Total(MetricId::batches_done), 0);
}

// ---- an answer is paid for once -------------------------------------------------------------

TEST_F(ExtractStageTest, AFailedStoreKeepsTheAnswerAndTheNextAttemptStoresItWithoutACall) {
  queue_.log.store_errors = {
      Unavailable("cannot execute INSERT in a read-only transaction [25006]")};
  ASSERT_TRUE(ProcessOne());
  EXPECT_EQ(extractor_.extractions.load(), 1);
  ASSERT_TRUE(queue_.log.kept.has_value()) << "the answer must outlive the failed store";
  ASSERT_EQ(queue_.log.store_retries.size(), 1u);
  EXPECT_EQ(queue_.log.store_retries[0].retry_in, std::chrono::seconds(1));
  EXPECT_NE(queue_.log.store_retries[0].reason.find("store attempt 1/10"), std::string::npos);
  EXPECT_NE(queue_.log.store_retries[0].reason.find("25006"), std::string::npos);
  EXPECT_TRUE(queue_.log.failures.empty());
  EXPECT_TRUE(queue_.log.handed_back.empty()) << "no extraction attempt is spent on a store";
  EXPECT_DOUBLE_EQ(metrics_.LlmCost("openai").Value(), 0) << "costed when it ends, once";

  ASSERT_TRUE(ProcessOne());  // a fresh stage, as after a restart: the row holds the answer
  EXPECT_EQ(extractor_.extractions.load(), 1) << "the provider was paid twice";
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{4.0});
  EXPECT_DOUBLE_EQ(metrics_.LlmCost("openai").Value(), 4.0);
  EXPECT_EQ(metrics_.Total(MetricId::batches_done), 1);
  EXPECT_EQ(metrics_.Total(MetricId::batch_store_failures), 1);
}

TEST_F(ExtractStageTest, AnAnswerThatMadeNoCallIsNotKeptAndAFailedStoreExtractsItAgain) {
  extractor_.calls = 0;  // the offline rules decided every message
  extractor_.usage = {};
  extractor_.mode = "offline";
  queue_.log.store_errors = {Unavailable("server closed the connection unexpectedly")};
  ASSERT_TRUE(ProcessOne());
  EXPECT_FALSE(queue_.log.kept.has_value()) << "a free answer is not written to the batch row";
  ASSERT_EQ(queue_.log.store_retries.size(), 1u);
  EXPECT_NE(queue_.log.store_retries[0].reason.find("made no call"), std::string::npos)
      << queue_.log.store_retries[0].reason;
  ASSERT_TRUE(ProcessOne());
  EXPECT_EQ(extractor_.extractions.load(), 2) << "extracted again, for nothing";
  EXPECT_FALSE(queue_.log.kept.has_value());
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{0.0});
  EXPECT_EQ(metrics_.Total(MetricId::batches_done), 1);

  extractor_.calls = 1;  // one call, even a free one (a local model), is kept
  queue_.log.store_errors = {Unavailable("server closed the connection unexpectedly")};
  ASSERT_TRUE(ProcessOne());
  EXPECT_TRUE(queue_.log.kept.has_value());
}

TEST_F(ExtractStageTest, StoreAttemptsWaitLongerEachTimeUpToFiveMinutes) {
  using std::chrono::minutes;
  using std::chrono::seconds;
  std::vector<milliseconds> waits;
  for (int attempt : {1, 2, 3, 8, 9}) waits.push_back(app::ExtractStage::StoreRetryDelay(attempt));
  EXPECT_EQ(waits, (std::vector<milliseconds>{seconds(1), seconds(2), seconds(4), seconds(128),
                                              minutes(4) + seconds(16)}));
  EXPECT_EQ(app::ExtractStage::StoreRetryDelay(12), minutes(5));
}

TEST_F(ExtractStageTest, TheLastStoreAttemptFailsTheBatchWithItsAnswerKept) {
  queue_.log.store_attempts = 9;  // nine stores failed before
  queue_.log.store_errors = {Unavailable("could not extend file: No space left on device [53100]")};
  ASSERT_TRUE(ProcessOne());
  ASSERT_EQ(queue_.log.failures.size(), 1u);
  EXPECT_NE(queue_.log.failures[0].find("store failed 10 times"), std::string::npos);
  EXPECT_NE(queue_.log.failures[0].find("batches retry"), std::string::npos);
  EXPECT_NE(queue_.log.failures[0].find("53100"), std::string::npos);
  EXPECT_TRUE(queue_.log.kept.has_value()) << "a retry by the operator must not pay again";
  EXPECT_EQ(queue_.log.failed_costs, std::vector<double>{4.0}) << "its spending, once";
  EXPECT_EQ(metrics_.Total(MetricId::batches_failed), 1);
}

TEST_F(ExtractStageTest, AnAnswerThatCouldNotBeKeptIsHeldInMemoryAndStoredFromThere) {
  queue_.log.keep_errors = {Unavailable("server closed the connection unexpectedly")};
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  ASSERT_TRUE(ProcessOneWith(stage));
  EXPECT_FALSE(queue_.log.kept.has_value());
  ASSERT_EQ(queue_.log.store_retries.size(), 1u);
  EXPECT_NE(queue_.log.store_retries[0].reason.find("keeping the answer"), std::string::npos);
  ASSERT_TRUE(ProcessOneWith(stage));
  EXPECT_EQ(extractor_.extractions.load(), 1) << "the provider was paid twice";
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{4.0});
}

TEST_F(ExtractStageTest, AStoreConflictIsStoredAgainAtOnceAfterAShortWait) {
  queue_.log.store_errors = {Aborted("deadlock detected [40P01]")};
  ASSERT_TRUE(ProcessOne());
  EXPECT_EQ(queue_.log.stored_costs.size(), 1u);
  EXPECT_TRUE(queue_.log.store_retries.empty());
  EXPECT_EQ(sleeper_.sleeps(), std::vector<milliseconds>{milliseconds(100)});
}

TEST_F(ExtractStageTest, NulsAndIllFormedUtf8AreCleanedBeforeTheAnswerIsKept) {
  ExtractedEvent event;
  event.company_id = "acme";
  event.type = "funding";
  event.title = std::string("Seed round closed\0", 18);
  event.severity = "high";
  event.stakeholders = {std::string("Ana\0Lee", 7), "Fund \xC3("};
  event.metrics = {{"amount_usd", std::string("2") + '\0' + "000000"}};
  event.source_message_ids = {1};
  extractor_.events = {event};
  ASSERT_TRUE(ProcessOne());
  ASSERT_EQ(queue_.log.stored.size(), 1u);
  ASSERT_EQ(queue_.log.stored[0].events.size(), 1u);
  const ExtractedEvent& stored = queue_.log.stored[0].events[0];
  EXPECT_EQ(stored.title, "Seed round closed");
  EXPECT_EQ(stored.stakeholders, (std::vector<std::string>{"AnaLee", "Fund \xEF\xBF\xBD("}));
  EXPECT_EQ(stored.metrics.at("amount_usd"), "2000000");
}

// ---- provider batch jobs (llm.submit: batch) -------------------------------------------------

// A provider's batch API: every Submit is recorded; Poll answers with `state` and, once ended,
// `answered` items (each with `usage`), the rest errored.
struct FakeJobClient : BatchJobClient {
  std::vector<std::vector<JobRequest>> submitted;
  int polls = 0;
  JobState state = JobState::kPending;
  bool answered = true;
  Status poll_error;
  std::deque<Status> submit_errors;  // the next Submit calls fail with these (after recording)
  TokenUsage usage = {1'000'000, 500'000};
  std::string answer = R"({"events":[],"observations":[]})";  // each answered request's text
  StatusOr<std::string> Submit(const std::string&,
                               const std::vector<JobRequest>& requests) override {
    submitted.push_back(requests);
    if (!submit_errors.empty()) {
      Status error = submit_errors.front();
      submit_errors.pop_front();
      return error;
    }
    return "job-" + std::to_string(submitted.size());
  }
  StatusOr<JobStatus> Poll(const std::string&) override {
    ++polls;
    if (!poll_error.ok()) return poll_error;
    JobStatus status;
    status.state = state;
    status.provider_state = JobStateName(state);
    if (state == JobState::kPending || submitted.empty()) return status;
    for (const JobRequest& request : submitted.back()) {
      JobItem item;
      item.custom_id = request.custom_id;
      if (answered && state == JobState::kCompleted) {
        item.response = LlmResponse{answer, "stop", usage, "gpt-test"};
      } else {
        item.error = "errored";
      }
      status.items.push_back(std::move(item));
    }
    return status;
  }
  std::vector<std::string> released;  // jobs whose provider files were deleted
  Status release_error;
  Status Release(const std::string& job_id) override {
    released.push_back(job_id);
    return release_error;
  }
  std::string provider() const override { return "openai"; }
  std::string model() const override { return "gpt-test"; }
};

class ExtractStageJobTest : public ExtractStageTest {
 protected:
  ExtractStageJobTest() : jobs_(&client_, &extractor_, PromptOptions{}, /*tiered=*/false) {}
  // One take by a stage that lives across takes, as a worker's does.
  void Take(app::ExtractStage& stage) {
    stage.SetJobExtractor(&jobs_);
    ASSERT_TRUE(ProcessOneWith(stage));
  }
  double Jobs(const char* state) { return metrics_.LlmBatchJobs(state).Value(); }
  // One take that submits a job and fails every attempt to store its id.
  void SubmitWithTheIdUnstored(app::ExtractStage& stage) {
    const Status down = Unavailable("server closed the connection unexpectedly");
    queue_.log.mark_errors = {down, down, down};
    queue_.taken = false;
    stage.SetJobExtractor(&jobs_);
    stage.SetSleeper(&sleeper_);
    bool found = false;
    EXPECT_FALSE(stage.ProcessOne(&found).ok());
  }

  FakeJobClient client_;
  JobExtractor jobs_;
};

TEST_F(ExtractStageJobTest, ABatchIsSubmittedOncePolledAndStoredAtTheBatchPrice) {
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(stage);
  ASSERT_EQ(client_.submitted.size(), 1u);
  ASSERT_EQ(client_.submitted[0].size(), 1u);
  EXPECT_EQ(client_.submitted[0][0].custom_id, "7-0");
  ASSERT_TRUE(queue_.log.job.has_value());
  EXPECT_EQ(queue_.log.job->id, "job-1");
  EXPECT_TRUE(queue_.log.stored.empty());
  EXPECT_EQ(Jobs("submitted"), 1);

  Take(stage);  // pending: waits for the next poll
  EXPECT_EQ(queue_.log.awaited, std::vector<std::string>{"pending"});
  EXPECT_TRUE(queue_.log.stored.empty());
  EXPECT_TRUE(client_.released.empty());

  client_.state = JobState::kCompleted;
  Take(stage);
  EXPECT_EQ(client_.submitted.size(), 1u) << "a job is submitted once";
  EXPECT_EQ(extractor_.extractions.load(), 0) << "no synchronous call";
  ASSERT_EQ(queue_.log.stored.size(), 1u);
  EXPECT_EQ(queue_.log.stored[0].mode, "model+batch");
  // $4 at the full price ($2/M in, $4/M out), half of it at the default batch multiplier.
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{2.0});
  EXPECT_EQ(queue_.log.ended, std::vector<std::string>{"completed"});
  EXPECT_EQ(Jobs("completed"), 1);
  EXPECT_EQ(metrics_.Total(MetricId::llm_batch_fallbacks), 0);
  EXPECT_DOUBLE_EQ(metrics_.ModeCost("model+batch").Value(), 2.0);
  // Stored: the provider's files of the job are deleted.
  EXPECT_EQ(client_.released, std::vector<std::string>{"job-1"});
}

// Deleting the provider's files is housekeeping: a failure leaves the stored batch stored.
TEST_F(ExtractStageJobTest, FilesThatCannotBeDeletedLeaveTheBatchStored) {
  client_.release_error = Unavailable("openai: HTTP 503");
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(stage);
  client_.state = JobState::kCompleted;
  Take(stage);
  EXPECT_EQ(client_.released, std::vector<std::string>{"job-1"});
  EXPECT_EQ(queue_.log.stored.size(), 1u);
  EXPECT_TRUE(queue_.log.failures.empty());
  EXPECT_TRUE(queue_.log.handed_back.empty());
}

// A job's answer has no call counted and, with no price for its model, costs nothing; it was
// paid for all the same, so it is kept before its store.
TEST_F(ExtractStageJobTest, AJobsAnswerIsKeptEvenWhenItsModelHasNoPrice) {
  config_.llm.prices.clear();
  queue_.log.job = ProviderJob{"job-from-before", "pending", 1, "openai"};
  client_.submitted.push_back({JobRequest{"7-0", {}}});
  client_.state = JobState::kCompleted;
  queue_.log.store_errors = {Unavailable("server closed the connection unexpectedly")};
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(stage);
  EXPECT_TRUE(queue_.log.stored.empty());
  ASSERT_TRUE(queue_.log.kept.has_value()) << "a paid answer must outlive the failed store";
  ASSERT_EQ(queue_.log.store_retries.size(), 1u);
  EXPECT_NE(queue_.log.store_retries[0].reason.find("the answer is kept"), std::string::npos)
      << queue_.log.store_retries[0].reason;
}

TEST_F(ExtractStageJobTest, TheBatchMultiplierComesFromThePriceTable) {
  config_.llm.prices["gpt-test"].batch_multiplier = 0.25;
  queue_.log.job = ProviderJob{"job-from-before", "pending", 1, "openai"};
  client_.submitted.push_back({JobRequest{"7-0", {}}});
  client_.state = JobState::kCompleted;
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(stage);
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{1.0});
}

TEST_F(ExtractStageJobTest, AfterARestartTheStoredJobIsPolledNotSubmittedAgain) {
  queue_.log.job = ProviderJob{"job-from-before", "pending", 1, "openai"};
  app::ExtractStage restarted(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(restarted);
  EXPECT_TRUE(client_.submitted.empty());
  EXPECT_EQ(client_.polls, 1);
  EXPECT_EQ(queue_.log.awaited.size(), 1u);
}

class EndedJobTest : public ExtractStageJobTest,
                     public ::testing::WithParamInterface<std::tuple<JobState, bool, const char*>> {
};

TEST_P(EndedJobTest, WhatTheJobDidNotAnswerIsSentSynchronouslyAtTheFullPrice) {
  const auto [state, answered, end_state] = GetParam();
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(stage);
  client_.state = state;
  client_.answered = answered;
  Take(stage);
  EXPECT_EQ(client_.submitted.size(), 1u);
  EXPECT_EQ(extractor_.extractions.load(), 1);
  ASSERT_EQ(queue_.log.stored.size(), 1u);
  EXPECT_EQ(queue_.log.stored[0].mode, "model");
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{4.0});
  EXPECT_EQ(queue_.log.ended, std::vector<std::string>{end_state});
  EXPECT_EQ(queue_.log.fallbacks, 1);
  EXPECT_EQ(Jobs(end_state), 1);
  EXPECT_EQ(metrics_.Total(MetricId::llm_batch_fallbacks), 1);
}

INSTANTIATE_TEST_SUITE_P(
    States, EndedJobTest,
    ::testing::Values(std::make_tuple(JobState::kExpired, false, "expired"),
                      std::make_tuple(JobState::kCancelled, false, "cancelled"),
                      std::make_tuple(JobState::kFailed, false, "failed"),
                      std::make_tuple(JobState::kCompleted, false, "partial")));

TEST_F(ExtractStageJobTest, AFailedFallbackIsHandedBackAndTheJobPolledAgainNotResubmitted) {
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(stage);
  client_.state = JobState::kExpired;
  extractor_.error = Unavailable("provider down");
  Take(stage);
  ASSERT_EQ(queue_.log.handed_back.size(), 1u);
  extractor_.error = Status::Ok();
  Take(stage);
  EXPECT_EQ(client_.submitted.size(), 1u);
  EXPECT_EQ(queue_.log.stored.size(), 1u);
  EXPECT_EQ(Jobs("expired"), 1) << "a job ends once";
}

TEST_F(ExtractStageJobTest, AJobIdWhoseStoringFailedOnceIsStoredAgainInPlace) {
  queue_.log.mark_errors = {Unavailable("server closed the connection unexpectedly")};
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(stage);
  EXPECT_EQ(client_.submitted.size(), 1u);
  ASSERT_TRUE(queue_.log.job.has_value());
  EXPECT_EQ(queue_.log.job->id, "job-1");
  EXPECT_EQ(sleeper_.sleeps().size(), 1u);
}

TEST_F(ExtractStageJobTest, AJobIdThatCannotBeStoredKeepsTheMarkerAndIsNeverSubmittedAgain) {
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  SubmitWithTheIdUnstored(stage);
  ASSERT_TRUE(queue_.log.job.has_value());
  EXPECT_EQ(queue_.log.job->state, "submitting") << "the marker stays";
  EXPECT_TRUE(queue_.log.job->id.empty());

  // Another instance (or a restart) takes the batch: it must not submit again.
  app::ExtractStage other(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(other);
  EXPECT_EQ(client_.submitted.size(), 1u) << "a job is submitted once";
  ASSERT_EQ(queue_.log.failures.size(), 1u);
  EXPECT_NE(queue_.log.failures[0].find("label milestoned-batch-7"), std::string::npos);
  EXPECT_NE(queue_.log.failures[0].find("milestonectl batches retry 7"), std::string::npos);
  EXPECT_EQ(extractor_.extractions.load(), 0);
}

TEST_F(ExtractStageJobTest, TheProcessHoldingAnUnstoredJobIdStoresItOnItsNextTake) {
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  SubmitWithTheIdUnstored(stage);
  Take(stage);
  EXPECT_EQ(client_.submitted.size(), 1u);
  ASSERT_TRUE(queue_.log.job.has_value());
  EXPECT_EQ(queue_.log.job->id, "job-1");
  EXPECT_TRUE(queue_.log.failures.empty());
}

TEST_F(ExtractStageJobTest, ABatchMarkedSubmittingIsFailedVisiblyNotSubmitted) {
  queue_.log.job = ProviderJob{"", "submitting", 0, ""};
  app::ExtractStage restarted(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(restarted);
  EXPECT_TRUE(client_.submitted.empty());
  ASSERT_EQ(queue_.log.failures.size(), 1u);
  EXPECT_NE(queue_.log.failures[0].find("a provider job may exist"), std::string::npos);
  EXPECT_EQ(metrics_.Total(MetricId::batches_failed), 1);
}

class SubmitErrorTest : public ExtractStageJobTest,
                        public ::testing::WithParamInterface<std::tuple<Status, bool>> {};

// A definite refusal clears the marker and follows the retry policy (submitted again later);
// an outcome unknown keeps it and fails the batch visibly.
TEST_P(SubmitErrorTest, OnlyADefiniteRefusalIsSubmittedAgain) {
  const auto& [error, definite] = GetParam();
  client_.submit_errors = {error};
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(stage);
  ASSERT_EQ(client_.submitted.size(), 1u);
  if (definite) {
    EXPECT_FALSE(queue_.log.job.has_value()) << "the marker is cleared";
    EXPECT_EQ(queue_.log.handed_back.size() + queue_.log.failures.size(), 1u);
    if (error.code() == StatusCode::kUnavailable) {
      Take(stage);
      EXPECT_EQ(client_.submitted.size(), 2u) << "submitted again after a definite refusal";
    }
  } else {
    ASSERT_TRUE(queue_.log.job.has_value());
    EXPECT_EQ(queue_.log.job->state, "submitting");
    ASSERT_EQ(queue_.log.failures.size(), 1u);
    EXPECT_NE(queue_.log.failures[0].find("milestoned-batch-7"), std::string::npos);
    Take(stage);
    EXPECT_EQ(client_.submitted.size(), 1u) << "never submitted again";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Errors, SubmitErrorTest,
    ::testing::Values(
        std::make_tuple(Unavailable("openai: Couldn't connect to server"), true),
        std::make_tuple(FailedPrecondition("openai: HTTP 401"), true),
        std::make_tuple(InvalidArgument("openai: HTTP 400"), true),
        std::make_tuple(
            DeadlineExceeded("openai: HTTP 502 (the provider may have created the job)"), false)));

TEST_F(ExtractStageJobTest, AJobOfAnotherProviderIsLeftSubmittedNotExtractedSynchronously) {
  queue_.log.job = ProviderJob{"msgbatch_1", "pending", 1, "anthropic"};
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(stage);
  EXPECT_EQ(client_.polls, 0);
  EXPECT_EQ(extractor_.extractions.load(), 0);
  EXPECT_TRUE(queue_.log.stored.empty());
  ASSERT_EQ(queue_.log.awaited.size(), 1u);
  EXPECT_NE(queue_.log.awaited[0].find("llm.provider is openai"), std::string::npos);
  EXPECT_EQ(Jobs("poll_error"), 1);
}

TEST_F(ExtractStageJobTest, AJobTakenWithSyncSubmitIsLeftSubmittedNotExtractedSynchronously) {
  queue_.log.job = ProviderJob{"job-from-before", "pending", 1, "openai"};
  app::ExtractStage sync_stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  ASSERT_TRUE(ProcessOneWith(sync_stage));  // no job extractor: llm.submit is sync
  EXPECT_EQ(extractor_.extractions.load(), 0);
  EXPECT_TRUE(queue_.log.stored.empty());
  ASSERT_EQ(queue_.log.awaited.size(), 1u);
  EXPECT_NE(queue_.log.awaited[0].find("llm.submit is sync"), std::string::npos);
}

TEST_F(ExtractStageJobTest, AJobThatCannotBePolledForNowIsPolledAgainLater) {
  queue_.log.job = ProviderJob{"job-from-before", "pending", 1, "openai"};
  client_.poll_error = Unavailable("openai: HTTP 503");
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(stage);
  ASSERT_EQ(queue_.log.awaited.size(), 1u);
  EXPECT_NE(queue_.log.awaited[0].find("HTTP 503"), std::string::npos);
  EXPECT_TRUE(queue_.log.ended.empty());
  EXPECT_EQ(extractor_.extractions.load(), 0);
}

TEST_F(ExtractStageJobTest, AJobTheProviderSaysDoesNotExistIsTakenAsFailedAndSentSynchronously) {
  queue_.log.job = ProviderJob{"job-from-before", "pending", 1, "openai"};
  client_.poll_error = NotFound("openai: HTTP 404: No batch found");
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(stage);
  EXPECT_TRUE(client_.submitted.empty()) << "never submitted again";
  EXPECT_EQ(extractor_.extractions.load(), 1);
  EXPECT_EQ(queue_.log.ended, std::vector<std::string>{"failed"});
  ASSERT_EQ(queue_.log.stored.size(), 1u);
  EXPECT_EQ(queue_.log.stored_costs, std::vector<double>{4.0});
}

class PollErrorTest : public ExtractStageJobTest, public ::testing::WithParamInterface<Status> {};

// Auth, configuration or size errors say nothing about the job: it is polled again later and
// nothing is re-sent at the full price.
TEST_P(PollErrorTest, APollErrorOtherThanNoSuchJobLeavesTheBatchSubmitted) {
  queue_.log.job = ProviderJob{"job-from-before", "pending", 1, "openai"};
  client_.poll_error = GetParam();
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(stage);
  EXPECT_EQ(extractor_.extractions.load(), 0);
  EXPECT_TRUE(queue_.log.ended.empty());
  EXPECT_TRUE(queue_.log.stored.empty());
  EXPECT_TRUE(queue_.log.failures.empty());
  EXPECT_EQ(queue_.log.awaited.size(), 1u);
  EXPECT_EQ(Jobs("poll_error"), 1);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, PollErrorTest,
    ::testing::Values(FailedPrecondition("openai: HTTP 401 (check the API key)"),
                      FailedPrecondition("openai: HTTP 403"),
                      FailedPrecondition("openai: HTTP 404 (a wrong base_url)"),
                      FailedPrecondition("openai: response too large (check base_url)"),
                      Unavailable("openai: HTTP 503")));

TEST_F(ExtractStageJobTest, AnEndedJobsUsageIsCountedOnceAcrossCollects) {
  app::ExtractStage stage(config_, &queue_, &extractor_, &hints_, &metrics_);
  Take(stage);
  client_.state = JobState::kCompleted;
  client_.answer = "not json";  // paid for, unusable: every prompt falls back
  client_.usage = {1'000'000, 0};
  extractor_.error = Unavailable("provider down");
  Take(stage);  // first collect: the job's usage, plus a failed fallback
  ASSERT_EQ(queue_.log.handed_back.size(), 1u);
  extractor_.error = Status::Ok();
  Take(stage);  // second collect of the same ended job
  ASSERT_EQ(queue_.log.stored.size(), 1u);
  EXPECT_EQ(queue_.log.stored[0].usage.prompt_tokens, 1'000'000) << "the fallback call only";
  EXPECT_EQ(queue_.log.stored[0].batch_usage.prompt_tokens, 0);
  // 1M job tokens at $2/M and half price once, plus two fallbacks of $4 each.
  EXPECT_DOUBLE_EQ(metrics_.LlmCost("openai").Value(), 1.0 + 4.0 + 4.0);
}

}  // namespace
}  // namespace ms
