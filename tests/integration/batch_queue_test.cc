// The Postgres batch queue's attempt outcomes against the real Postgres of the local stack: a
// batch handed back waits for its retry_at before Take() offers it again, giving the attempt back
// when asked; failed and handed-back attempts add their tokens, calls, cost and prefilter drops
// to the batch row; a stored batch adds its own. A model's answer is paid for once: kept on the
// batch row, it outlives a failed store (a database refusing writes) and is stored from there by
// the extract stage without another call; an event the database refuses as data is left out
// alone.
#include "adapters/postgres/batch_queue.h"

#include <gtest/gtest.h>

#include <atomic>

#include "app/extract_stage.h"
#include "tests/support/stack_env.h"

namespace ms {
namespace {

using std::chrono::milliseconds;

ExtractionResult Spent(int64_t prompt_tokens, int calls) {
  ExtractionResult spent;
  spent.provider = "openai";
  spent.model = "gpt-4o-mini-2024-07-18";
  spent.usage = {prompt_tokens, prompt_tokens / 10};
  spent.llm_calls = calls;
  spent.dropped_by_prefilter = 3;
  spent.rejected_events = 1;
  return spent;
}

class BatchQueueTest : public test::MigratedDatabaseTest {
 protected:
  BatchQueueTest() : MigratedDatabaseTest("bqueue") {}
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (!Ready()) return;
    pool_ = OpenPool();
    ASSERT_NE(pool_, nullptr);
    queue_ = std::make_unique<pg::PgBatchQueue>(pool_.get());
    Sql("INSERT INTO batches (id, company_id, claim_id, message_count, trigger) "
        "VALUES (1, 'acme', 'claim-1', 0, 'threshold')");
  }
  void TearDown() override {
    queue_.reset();
    pool_.reset();
    MigratedDatabaseTest::TearDown();
  }

  void Sql(const std::string& sql) {
    auto conn = Connect();
    ASSERT_NE(conn, nullptr);
    auto res = conn->Exec(sql);
    ASSERT_TRUE(res.ok()) << res.status().ToString();
  }
  int64_t Int(const std::string& sql) { return test::QueryInt(dsn_, sql); }

  std::unique_ptr<BatchTicket> Take() {
    auto ticket = queue_->Take();
    EXPECT_TRUE(ticket.ok()) << ticket.status().ToString();
    return ticket.ok() ? std::move(ticket).value() : nullptr;
  }

  std::unique_ptr<pg::Pool> pool_;
  std::unique_ptr<pg::PgBatchQueue> queue_;
};

TEST_F(BatchQueueTest, AHandedBackBatchWaitsForItsRetryTime) {
  std::unique_ptr<BatchTicket> ticket = Take();
  ASSERT_NE(ticket, nullptr);
  EXPECT_EQ(ticket->attempts(), 1);
  ASSERT_TRUE(ticket
                  ->HandBack("UNAVAILABLE: openai: HTTP 503", Spent(1000, 5), {0.25},
                             milliseconds(60'000), /*count_attempt=*/true)
                  .ok());
  ticket.reset();  // releases the batch's lock
  EXPECT_EQ(Take(), nullptr) << "taken again before its retry_at";
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND status = 'claimed' AND "
                "retry_at > now() + interval '50 seconds' AND last_error LIKE '%HTTP 503%'"),
            1);

  Sql("UPDATE batches SET retry_at = now() - interval '1 second'");  // the wait is over
  ticket = Take();
  ASSERT_NE(ticket, nullptr);
  EXPECT_EQ(ticket->attempts(), 2) << "the handed-back attempt counts";
}

TEST_F(BatchQueueTest, AnUncountedHandBackGivesTheAttemptBack) {
  std::unique_ptr<BatchTicket> ticket = Take();
  ASSERT_NE(ticket, nullptr);
  ASSERT_TRUE(ticket
                  ->HandBack("CANCELLED: interrupted", Spent(0, 0), {0}, milliseconds(0),
                             /*count_attempt=*/false)
                  .ok());
  ticket.reset();
  ticket = Take();
  ASSERT_NE(ticket, nullptr) << "a zero wait is taken at once";
  EXPECT_EQ(ticket->attempts(), 1);
}

TEST_F(BatchQueueTest, EveryAttemptAddsItsSpendingToTheBatch) {
  std::unique_ptr<BatchTicket> ticket = Take();
  ASSERT_NE(ticket, nullptr);
  ASSERT_TRUE(ticket->HandBack("UNAVAILABLE", Spent(1000, 5), {0.25}, milliseconds(0), true).ok());
  ticket.reset();
  ticket = Take();
  ASSERT_NE(ticket, nullptr);
  ASSERT_TRUE(ticket->Fail("FAILED_PRECONDITION: HTTP 401", Spent(500, 1), {0.125}).ok());
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND status = 'failed' AND "
                "retry_at IS NULL AND last_error LIKE '%401%' AND provider = 'openai' AND "
                "model = 'gpt-4o-mini-2024-07-18'"),
            1);
  EXPECT_EQ(Int("SELECT prompt_tokens FROM batches WHERE id = 1"), 1500);
  EXPECT_EQ(Int("SELECT completion_tokens FROM batches WHERE id = 1"), 150);
  EXPECT_EQ(Int("SELECT llm_calls FROM batches WHERE id = 1"), 6);
  EXPECT_EQ(Int("SELECT dropped_messages FROM batches WHERE id = 1"), 6);
  EXPECT_EQ(Int("SELECT rejected_events FROM batches WHERE id = 1"), 2);
  EXPECT_EQ(Int("SELECT (cost_usd * 1000)::bigint FROM batches WHERE id = 1"), 375);
  ticket.reset();
  EXPECT_EQ(Take(), nullptr) << "a failed batch waits for an operator";

  // An operator's retry (milestonectl batches retry) and a successful attempt: the store adds
  // its spending to what the failed attempts cost.
  Sql("UPDATE batches SET status = 'claimed' WHERE id = 1");
  ticket = Take();
  ASSERT_NE(ticket, nullptr);
  auto stored = ticket->Store(Spent(100, 1), {}, {0.5});
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(Int("SELECT llm_calls FROM batches WHERE id = 1 AND status = 'done'"), 7);
  EXPECT_EQ(Int("SELECT prompt_tokens FROM batches WHERE id = 1"), 1600);
  EXPECT_EQ(Int("SELECT (cost_usd * 1000)::bigint FROM batches WHERE id = 1"), 875);
}

ExtractedEvent Event(const std::string& title, const std::string& stakeholder) {
  ExtractedEvent e;
  e.company_id = "acme";
  e.type = "partnership";
  e.title = title;
  e.severity = "medium";
  e.stakeholders = {stakeholder};
  return e;
}

TEST_F(BatchQueueTest, AKeptAnswerOutlivesItsTicketAndAStoreRetryCostsNoExtractionAttempt) {
  std::unique_ptr<BatchTicket> ticket = Take();
  ASSERT_NE(ticket, nullptr);
  KeptAnswer answer;
  answer.result = Spent(1000, 2);
  answer.result.events = {Event("Partnership with Northwind", "Northwind")};
  answer.fingerprints = {"partnership:northwind"};
  answer.cost_usd = 0.25;
  answer.messages = 12;
  ASSERT_TRUE(ticket->Keep(answer).ok());
  ASSERT_TRUE(ticket->RetryStore("store attempt 1/10 failed [25006]", milliseconds(60'000)).ok());
  ticket.reset();
  EXPECT_EQ(Take(), nullptr) << "taken again before its retry_at";
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND status = 'claimed' AND "
                "attempts = 0 AND store_attempts = 1 AND answer IS NOT NULL AND "
                "retry_at > now() + interval '50 seconds' AND last_error LIKE '%25006%'"),
            1);

  Sql("UPDATE batches SET retry_at = now() - interval '1 second'");
  ticket = Take();
  ASSERT_NE(ticket, nullptr);
  EXPECT_EQ(ticket->attempts(), 1);
  EXPECT_EQ(ticket->store_attempts(), 1);
  auto kept = ticket->LoadKept();
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  ASSERT_TRUE(kept->has_value());
  const KeptAnswer& again = **kept;
  ASSERT_EQ(again.result.events.size(), 1u);
  EXPECT_EQ(again.result.events[0].title, "Partnership with Northwind");
  EXPECT_EQ(again.fingerprints, answer.fingerprints);
  EXPECT_EQ(again.result.usage.prompt_tokens, 1000);
  EXPECT_EQ(again.result.llm_calls, 2);
  EXPECT_DOUBLE_EQ(again.cost_usd, 0.25);
  EXPECT_EQ(again.messages, 12);
  auto stored = ticket->Store(again.result, again.fingerprints, {again.cost_usd});
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->created, 1);
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND status = 'done' AND "
                "answer IS NULL AND llm_calls = 2"),
            1);
}

TEST_F(BatchQueueTest, AnEventTheDatabaseRefusesIsLeftOutAndTheRestIsStored) {
  std::unique_ptr<BatchTicket> ticket = Take();
  ASSERT_NE(ticket, nullptr);
  ExtractionResult result = Spent(100, 1);
  // jsonb refuses "\u0000" (22P05): the refused event rolls back alone.
  result.events = {Event("Partnership with Northwind", "Northwind"),
                   Event("Partnership with Contoso", std::string("Con\0toso", 8))};
  auto stored = ticket->Store(result, {"partnership:northwind", "partnership:contoso"}, {0.1});
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(stored->created, 1);
  EXPECT_EQ(stored->rejected, 1);
  ASSERT_EQ(stored->refusals.size(), 1u);
  EXPECT_NE(stored->refusals[0].find("Contoso"), std::string::npos) << stored->refusals[0];
  EXPECT_EQ(Int("SELECT count(*) FROM events"), 1);
  EXPECT_EQ(Int("SELECT count(*) FROM outbox"), 1);
  // The answer's own rejected event and the refused one.
  EXPECT_EQ(Int("SELECT rejected_events FROM batches WHERE id = 1 AND status = 'done'"), 2);
}

// Reports one partnership per batch, counting every call: each one is paid for.
struct CountingExtractor : Extractor {
  std::atomic<int> calls{0};
  Status ExtractInto(const ExtractionRequest&, ExtractionResult* out) override {
    calls += 1;
    *out = Spent(1000, 1);
    out->rejected_events = 0;
    out->events = {Event("Partnership with Northwind", "Northwind")};
    return Status::Ok();
  }
};

// The database refuses writes to the ledger (as a read-only or full database would) while the
// provider answers: the stage keeps the answer, waits, and stores it once the database takes
// writes again, having called the provider once.
TEST_F(BatchQueueTest, AStoreRefusedByTheDatabaseIsRetriedFromTheKeptAnswerWithoutACall) {
  Sql("CREATE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "RAISE EXCEPTION 'cannot execute INSERT in a read-only transaction' "
      "USING ERRCODE = 'read_only_sql_transaction'; END $$");
  Sql("CREATE TRIGGER refuse_writes BEFORE INSERT ON events "
      "FOR EACH ROW EXECUTE FUNCTION refuse_writes()");
  Config config;
  CountingExtractor extractor;
  BoundedQueue<ClaimedBatch> hints(4);
  Metrics metrics;
  app::ExtractStage stage(config, queue_.get(), &extractor, &hints, &metrics);
  bool found = false;
  ASSERT_TRUE(stage.ProcessOne(&found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND status = 'claimed' AND "
                "answer IS NOT NULL AND store_attempts = 1 AND attempts = 0 AND "
                "last_error LIKE '%store attempt 1/10%25006%'"),
            1);
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND retry_at > now()"), 1);

  Sql("DROP TRIGGER refuse_writes ON events");
  Sql("UPDATE batches SET retry_at = now() - interval '1 second'");  // the wait is over
  app::ExtractStage restarted(config, queue_.get(), &extractor, &hints, &metrics);
  ASSERT_TRUE(restarted.ProcessOne(&found).ok());
  ASSERT_TRUE(found);
  EXPECT_EQ(extractor.calls.load(), 1) << "the provider was paid again for a failed store";
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND status = 'done' AND "
                "answer IS NULL AND llm_calls = 1 AND prompt_tokens = 1000"),
            1);
  EXPECT_EQ(Int("SELECT count(*) FROM events"), 1);
}

// Batches in other workers' hands (their locks held) must not hide the ones behind them, however
// many there are.
TEST_F(BatchQueueTest, ManyBatchesInOtherHandsDoNotHideTheNextOne) {
  for (int id = 2; id <= 40; ++id) {
    Sql("INSERT INTO batches (id, company_id, claim_id, message_count, trigger) VALUES (" +
        std::to_string(id) + ", 'acme', 'claim-" + std::to_string(id) + "', 0, 'threshold')");
  }
  auto other = Connect();  // another worker, holding batches 1..35
  ASSERT_NE(other, nullptr);
  for (int64_t id = 1; id <= 35; ++id) {
    auto locked =
        other->Exec("SELECT pg_advisory_lock($1::bigint)", {std::to_string(pg::BatchLockKey(id))});
    ASSERT_TRUE(locked.ok()) << locked.status().ToString();
  }
  std::unique_ptr<BatchTicket> ticket = Take();
  ASSERT_NE(ticket, nullptr) << "32 batches in other hands starved the rest";
  EXPECT_EQ(ticket->batch_id(), 36);
}

// llm.submit batch: the job id and the status `submitted` are stored together, a second id is
// refused, a submitted batch waits for its poll time and is then taken again (by any worker)
// with its job, still `submitted`; an ended job is recorded on the row.
TEST_F(BatchQueueTest, ASubmittedBatchIsPolledWithItsStoredJobNeverSubmittedAgain) {
  std::unique_ptr<BatchTicket> ticket = Take();
  ASSERT_NE(ticket, nullptr);
  EXPECT_FALSE(ticket->job().has_value());
  ASSERT_TRUE(
      ticket->MarkSubmitted("openai", "batch_abc", {"h0", "h1"}, milliseconds(60'000)).ok());
  EXPECT_EQ(ticket->MarkSubmitted("openai", "batch_other", {"h0", "h1"}, milliseconds(0)).code(),
            StatusCode::kFailedPrecondition);
  ticket.reset();
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND status = 'submitted' AND "
                "provider_job_id = 'batch_abc' AND job_state = 'pending' AND job_requests = 2 "
                "AND submitted_at IS NOT NULL AND attempts = 0"),
            1);
  EXPECT_EQ(Take(), nullptr) << "polled before llm.batch_poll_interval";

  Sql("UPDATE batches SET retry_at = now() WHERE id = 1");
  ticket = Take();
  ASSERT_NE(ticket, nullptr);
  ASSERT_TRUE(ticket->job().has_value());
  EXPECT_EQ(ticket->job()->id, "batch_abc");
  EXPECT_EQ(ticket->job()->state, "pending");
  EXPECT_EQ(ticket->job()->request_hashes, (std::vector<std::string>{"h0", "h1"}));
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND status = 'submitted'"), 1);
  ASSERT_TRUE(ticket->AwaitJob("in_progress", milliseconds(0)).ok());
  ticket.reset();
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND "
                "job_provider_state = 'in_progress' AND attempts = 0"),
            1);

  ticket = Take();
  ASSERT_NE(ticket, nullptr);
  ASSERT_TRUE(ticket->EndJob("expired", "expired", 2).ok());
  ASSERT_TRUE(ticket->Store(Spent(100, 2), {}, {0.5}).ok());
  ticket.reset();
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND status = 'done' AND "
                "job_state = 'expired' AND job_fallbacks = 2 AND job_ended_at IS NOT NULL"),
            1);
}

// The `submitting` marker is committed before the provider is asked: any later taker sees it
// (with no job id) and the batch cannot be marked twice; a definite refusal clears it.
TEST_F(BatchQueueTest, TheSubmittingMarkerOutlivesItsTicketAndIsClearedOnlyOnRequest) {
  std::unique_ptr<BatchTicket> ticket = Take();
  ASSERT_NE(ticket, nullptr);
  ASSERT_TRUE(ticket->MarkSubmitting().ok());
  EXPECT_EQ(ticket->MarkSubmitting().code(), StatusCode::kFailedPrecondition);
  ticket.reset();  // the process died between the marker and the job id
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND job_state = 'submitting' AND "
                "submitted_at IS NOT NULL AND provider_job_id IS NULL"),
            1);

  ticket = Take();
  ASSERT_NE(ticket, nullptr);
  ASSERT_TRUE(ticket->job().has_value());
  EXPECT_TRUE(ticket->job()->id.empty());
  EXPECT_EQ(ticket->job()->state, "submitting");
  ASSERT_TRUE(ticket->ClearSubmitting().ok());
  EXPECT_FALSE(ticket->job().has_value());
  ASSERT_TRUE(ticket->MarkSubmitting().ok());
  ASSERT_TRUE(ticket->MarkSubmitted("openai", "batch_abc", {"h0"}, milliseconds(0)).ok());
  ASSERT_TRUE(ticket->ClearSubmitting().ok());
  ticket.reset();
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND job_state = 'pending' AND "
                "provider_job_id = 'batch_abc' AND job_provider = 'openai'"),
            1)
      << "a stored job id is never cleared";
  ticket = Take();
  ASSERT_NE(ticket, nullptr);
  ASSERT_TRUE(ticket->job().has_value());
  EXPECT_EQ(ticket->job()->provider, "openai");
}

// A provider that times out on the create call: the batch is failed visibly with the job's
// label, and neither a second stage nor a restart submits it again.
struct TimingOutJobs : BatchJobClient {
  int submits = 0;
  StatusOr<std::string> Submit(const std::string&, const std::vector<JobRequest>&) override {
    ++submits;
    return DeadlineExceeded("openai: timed out (the provider may have created the job)");
  }
  StatusOr<JobStatus> Poll(const std::string&) override { return NotFound("no such job"); }
  Status Release(const std::string&) override { return Status::Ok(); }
  std::string provider() const override { return "openai"; }
  std::string model() const override { return "gpt-test"; }
};

struct NoCallExtractor : Extractor {
  int calls = 0;
  Status ExtractInto(const ExtractionRequest&, ExtractionResult*) override {
    ++calls;
    return Unavailable("not expected");
  }
};

TEST_F(BatchQueueTest, ASubmissionWhoseOutcomeIsUnknownIsFailedVisiblyAndNeverRepeated) {
  Sql("INSERT INTO messages (company_id, source, source_msg_id, text) "
      "VALUES ('acme', 'slack', 'm1', 'We closed the seed round.')");
  Sql("UPDATE batches SET message_ids = ARRAY(SELECT id FROM messages), message_count = 1 "
      "WHERE id = 1");
  Config config;
  TimingOutJobs client;
  NoCallExtractor sync;
  JobExtractor jobs(&client, &sync, PromptOptions{}, /*tiered=*/false);
  Metrics metrics;
  BoundedQueue<ClaimedBatch> hints(4);
  for (int process = 0; process < 2; ++process) {
    app::ExtractStage stage(config, queue_.get(), &sync, &hints, &metrics);
    stage.SetJobExtractor(&jobs);
    bool found = false;
    ASSERT_TRUE(stage.ProcessOne(&found).ok());
    EXPECT_TRUE(found);
    Sql("UPDATE batches SET status = 'claimed' WHERE id = 1");  // as if retried naively
  }
  EXPECT_EQ(client.submits, 1);
  EXPECT_EQ(sync.calls, 0);

  // The operator checked the provider and found no job: `milestonectl batches retry` clears the
  // marker, and the batch is submitted again (once).
  Sql("UPDATE batches SET status = 'failed' WHERE id = 1");
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  auto requeued = pg::RequeueFailedBatches(*conn, 1, "");
  ASSERT_TRUE(requeued.ok()) << requeued.status().ToString();
  EXPECT_EQ(*requeued, 1);
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND status = 'claimed' AND "
                "job_state IS NULL AND submitted_at IS NULL AND attempts = 0"),
            1);
  app::ExtractStage stage(config, queue_.get(), &sync, &hints, &metrics);
  stage.SetJobExtractor(&jobs);
  bool found = false;
  ASSERT_TRUE(stage.ProcessOne(&found).ok());
  EXPECT_TRUE(found);
  EXPECT_EQ(client.submits, 2);
  EXPECT_EQ(sync.calls, 0);
}

// A retry keeps a stored job id (the job is polled, not submitted again) and touches only
// failed batches of the company asked for.
TEST_F(BatchQueueTest, ARetryKeepsAStoredJobAndOnlyRequeuesWhatWasAsked) {
  Sql("INSERT INTO batches (id, company_id, claim_id, message_count, trigger, status) "
      "VALUES (2, 'other', 'claim-2', 0, 'threshold', 'failed')");
  Sql("UPDATE batches SET status = 'failed', provider_job_id = 'batch_9', job_provider = 'openai', "
      "job_state = 'pending', submitted_at = now() WHERE id = 1");
  auto conn = Connect();
  ASSERT_NE(conn, nullptr);
  auto requeued = pg::RequeueFailedBatches(*conn, 0, "acme");
  ASSERT_TRUE(requeued.ok()) << requeued.status().ToString();
  EXPECT_EQ(*requeued, 1);
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 1 AND status = 'claimed' AND "
                "provider_job_id = 'batch_9' AND job_state = 'pending' AND "
                "submitted_at IS NOT NULL"),
            1);
  EXPECT_EQ(Int("SELECT count(*) FROM batches WHERE id = 2 AND status = 'failed'"), 1);
}

}  // namespace
}  // namespace ms
