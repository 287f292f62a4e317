// The whole pipeline end to end with the offline `rules` extractor: messages in, events in
// Postgres, the same events on the events topic; and kill -9 between an LLM provider's answer
// (the fake LLM server, over HTTP) and the store transaction.
#include <signal.h>

#include <filesystem>
#include <set>

#include "adapters/kafka/consumer.h"
#include "tests/e2e/harness.h"
#include "tests/fake_llm/fake_llm_server.h"
#include "tests/fake_llm/rules_answer.h"

namespace ms::test {
namespace {

using namespace std::chrono_literals;

std::string ScaleflowCsv() {
  return SourceDir() + "/../shared/data/scaleflow_full.csv";
}

class ExtractTest : public PipelineTest {
 protected:
  void SetUp() override {
    PipelineTest::SetUp();
    overrides_["MILESTONE_LLM_PROVIDER"] = "rules";
  }

  // Every x-event-id on the events topic (reads until `expected` records or the wait ends).
  std::multiset<std::string> EventIdsOnTopic(size_t expected, std::chrono::milliseconds wait) {
    kafka::ConsumerOptions opts;
    opts.brokers = stack_->brokers;
    opts.group_id = UniqueName("events_reader");
    opts.topics = {id_ + "-events"};
    auto consumer = kafka::Consumer::Open(opts, nullptr);
    std::multiset<std::string> ids;
    if (!consumer.ok()) return ids;
    WaitFor(
        [&] {
          auto batch = (*consumer)->Poll(1000, 200ms);
          if (batch.ok()) {
            for (auto& m : *batch) {
              for (const auto& h : kafka::HeadersOf(m.get())) {
                if (h.key == "x-event-id") ids.insert(h.value);
              }
            }
          }
          return ids.size() >= expected;
        },
        wait);
    return ids;
  }

  void ExpectEachBatchStoredOnce() {
    EXPECT_EQ(Query("SELECT count(*) FROM (SELECT event_id, batch_id, kind FROM event_history "
                    "WHERE batch_id IS NOT NULL GROUP BY 1, 2, 3 HAVING count(*) > 1) dup"),
              0)
        << "a batch's events were written twice";
    EXPECT_EQ(Query("SELECT count(*) FROM event_history WHERE kind = 'created'"),
              Query("SELECT count(*) FROM events"));
    EXPECT_EQ(Query("SELECT COALESCE(sum(sightings), 0) FROM events"),
              Query("SELECT count(*) FROM event_history WHERE kind IN ('created', 'sighted')"));
  }
};

TEST_F(ExtractTest, ScaleflowEventsLandInPostgresAndOnTheEventsTopicOnce) {
  if (!std::filesystem::exists(ScaleflowCsv())) GTEST_SKIP() << ScaleflowCsv() << " absent";
  auto daemon = StartDaemon();
  ASSERT_EQ(Ctl({"produce", ScaleflowCsv()}), 0);
  ASSERT_TRUE(WaitAllDone(1100, 90s)) << daemon->Log();
  int64_t events = Query("SELECT count(*) FROM events");
  EXPECT_GT(events, 5);
  EXPECT_GT(Query("SELECT count(*) FROM events WHERE type = 'funding'"), 0);
  ASSERT_TRUE(WaitFor(
      [&] { return Query("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0; }, 60s));
  int64_t outbox_rows = Query("SELECT count(*) FROM outbox");
  auto ids = EventIdsOnTopic(static_cast<size_t>(outbox_rows), 60s);
  EXPECT_EQ(static_cast<int64_t>(ids.size()), outbox_rows);
  std::set<std::string> distinct(ids.begin(), ids.end());
  EXPECT_EQ(static_cast<int64_t>(distinct.size()), events) << "every event reached the topic";
  EXPECT_EQ(Query("SELECT count(DISTINCT event_uid) FROM events"), events);
  ExpectEachBatchStoredOnce();
  EXPECT_EQ(Ctl({"investor-email", "--company", "scaleflow"}), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM investor_updates WHERE company_id = 'scaleflow'"), 1);
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0) << daemon->Log();
}

// Message lines in a recorded extraction prompt's <messages> block.
int64_t PromptMessageLines(const RecordedRequest& request) {
  const std::string prompt = UserPrompt(request);
  const size_t begin = prompt.find("<messages>\n");
  const size_t end = prompt.find("</messages>");
  if (begin == std::string::npos || end == std::string::npos) return 0;
  int64_t lines = 0;
  for (size_t at = begin; at < end; at = prompt.find('\n', at + 1)) ++lines;
  return lines - 1;
}

TEST_F(ExtractTest, TieredModeSendsTheModelOnlyWhatTheRulesAreNotSureOf) {
  if (!std::filesystem::exists(ScaleflowCsv())) GTEST_SKIP() << ScaleflowCsv() << " absent";
  FakeLlmServer llm;
  ASSERT_TRUE(llm.Start().ok());
  UseOpenAiAt(llm.base_url());
  overrides_["MILESTONE_LLM_MODE"] = "tiered";
  auto daemon = StartDaemon();
  ASSERT_EQ(Ctl({"produce", ScaleflowCsv()}), 0);
  ASSERT_TRUE(WaitAllDone(1100, 120s)) << daemon->Log();
  int64_t sent = 0;
  for (const RecordedRequest& request : llm.requests()) sent += PromptMessageLines(request);
  const int64_t kept = 1100 - Query("SELECT sum(dropped_messages) FROM batches");
  EXPECT_GT(sent, 0) << "the uncertain messages go to the model";
  EXPECT_LT(sent, kept) << "the messages the rules are sure of never reach the model";
  EXPECT_GT(Query("SELECT count(*) FROM events WHERE type = 'funding'"), 0);
  EXPECT_GT(Query("SELECT count(*) FROM observations"), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM batches WHERE provider <> 'openai'"), 0);
  ExpectEachBatchStoredOnce();
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0) << daemon->Log();
}

TEST_F(ExtractTest, KillNineBetweenTheAnswerAndTheCommitStoresTheBatchOnce) {
  FakeLlmServer llm;
  ASSERT_TRUE(llm.Start().ok());
  UseOpenAiAt(llm.base_url());
  overrides_["MILESTONE_LLM_MAX_CONCURRENCY"] = "1";  // one batch in flight when it dies
  overrides_["MILESTONE_FAILPOINT"] = "extract.before_store";
  std::string csv = Generate(2000, 5, 61);
  auto crashing = StartDaemon("crashing");
  ASSERT_EQ(Ctl({"produce", csv}), 0);
  // The worker holds at the failpoint with the model's answer in hand: kill -9 it there.
  ASSERT_TRUE(WaitFor(
      [&] {
        return crashing->Log().find("failpoint extract.before_store reached") != std::string::npos;
      },
      90s))
      << "the failpoint was never reached\n"
      << crashing->Log();
  const size_t answers_before_crash = llm.request_count();
  EXPECT_GE(answers_before_crash, 1u);
  crashing->Signal(SIGKILL);
  EXPECT_EQ(crashing->Wait(30s), 128 + SIGKILL);
  EXPECT_EQ(Query("SELECT count(*) FROM events"), 0) << "stored before the crash point";
  EXPECT_EQ(Query("SELECT count(*) FROM batches WHERE status = 'done'"), 0);

  overrides_.erase("MILESTONE_FAILPOINT");
  auto daemon = StartDaemon("restarted");
  ASSERT_TRUE(WaitAllDone(2000, 120s)) << daemon->Log();
  ExpectEveryMessageInExactlyOneBatch(2000);
  ExpectEachBatchStoredOnce();
  EXPECT_GT(Query("SELECT count(*) FROM events"), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM batches WHERE attempts > 1"), 1)
      << "exactly the interrupted batch was taken twice";
  EXPECT_EQ(Query("SELECT count(*) FROM batches WHERE provider = 'openai' AND llm_calls > 0"),
            Query("SELECT count(*) FROM batches"))
      << "every batch was answered by the provider";
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0) << daemon->Log();
}

// The provider answers 503 to the first calls: their batches are handed back and extracted on a
// later attempt, none is marked failed, and every call made — failed ones included — is on the
// batch rows.
TEST_F(ExtractTest, AProviderOutageHandsBatchesBackAndNoneFails) {
  FakeLlmServer llm;
  ASSERT_TRUE(llm.Start().ok());
  FakeReply down;
  down.fault = Fault::kUnavailable;
  llm.PushN(down, 3);  // fewer than the breaker's 5 failures in a row
  UseOpenAiAt(llm.base_url());
  overrides_["MILESTONE_LLM_MAX_RETRIES"] = "0";  // a 503 fails the attempt at once
  overrides_["MILESTONE_LLM_BATCH_RETRY_DELAY"] = "1s";
  const int64_t rows = 1000;
  auto daemon = StartDaemon();
  ASSERT_EQ(Ctl({"produce", Generate(rows, 4, 29)}), 0);
  ASSERT_TRUE(WaitAllDone(rows, 120s)) << daemon->Log();
  EXPECT_EQ(Query("SELECT count(*) FROM batches WHERE status = 'failed'"), 0);
  EXPECT_GE(Query("SELECT count(*) FROM batches WHERE attempts > 1"), 1) << daemon->Log();
  EXPECT_EQ(Query("SELECT COALESCE(sum(attempts), 0) FROM batches") -
                Query("SELECT count(*) FROM batches"),
            3)
      << "one extra attempt per 503";
  EXPECT_EQ(Query("SELECT COALESCE(sum(llm_calls), 0) FROM batches"),
            static_cast<int64_t>(llm.request_count()))
      << "every call is on a batch row, the failed ones too";
  EXPECT_NE(daemon->Log().find("next in 1 s"), std::string::npos) << daemon->Log();
  ExpectEachBatchStoredOnce();
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0) << daemon->Log();
}

// llm.submit batch: every batch becomes a provider batch job (the fake's OpenAI Batch API). The
// daemon is killed -9 with every job still pending; the restarted one polls the stored job ids,
// submits nothing again, stores each batch once, priced at the batch multiplier.
TEST_F(ExtractTest, ProviderBatchJobsPendingAtKillNineArePolledNotResubmitted) {
  FakeLlmServer llm;
  ASSERT_TRUE(llm.Start().ok());
  llm.PushJob({JobOutcome::kCompleted, /*pending_polls=*/1000000}, 10000);
  UseOpenAiAt(llm.base_url());
  overrides_["MILESTONE_LLM_MODEL"] = "fake-model";
  overrides_["MILESTONE_LLM_SUBMIT"] = "batch";
  overrides_["MILESTONE_LLM_BATCH_POLL_INTERVAL"] = "1s";
  // $1,000 / $2,000 per million tokens: a request of 120 + 30 tokens is $0.18, $0.09 in a job.
  overrides_["MILESTONE_LLM_PRICES"] = "fake-model=1000/2000";
  const int64_t rows = 300;
  auto crashing = StartDaemon("crashing");
  ASSERT_EQ(Ctl({"produce", Generate(rows, 3, 71)}), 0);
  // One statement, one snapshot: every message stored and batched, every batch submitted (or
  // done: nothing in it to send).
  ASSERT_TRUE(WaitFor(
      [&] {
        return Query("SELECT ((SELECT count(*) FROM messages) = " + std::to_string(rows) +
                     " AND NOT EXISTS (SELECT 1 FROM pending_messages) AND NOT "
                     "EXISTS (SELECT 1 FROM batches WHERE status NOT IN ('submitted', "
                     "'done')))::int") == 1;
      },
      120s))
      << crashing->Log();
  const int64_t submitted = Query("SELECT count(*) FROM batches WHERE status = 'submitted'");
  ASSERT_GT(submitted, 0) << crashing->Log();
  // Every job the provider accepted is on a batch row.
  ASSERT_TRUE(WaitFor([&] { return static_cast<int64_t>(llm.jobs().size()) == submitted; }, 30s));
  crashing->Signal(SIGKILL);
  EXPECT_EQ(crashing->Wait(30s), 128 + SIGKILL);
  EXPECT_EQ(Query("SELECT count(*) FROM events"), 0);

  llm.EndJobsAtNextPoll();
  auto daemon = StartDaemon("restarted");
  ASSERT_TRUE(WaitAllDone(rows, 120s)) << daemon->Log();
  EXPECT_EQ(static_cast<int64_t>(llm.jobs().size()), submitted) << "a job was submitted again";
  for (const RecordedRequest& request : llm.requests()) {
    EXPECT_EQ(request.path.find("/v1/chat/completions"), std::string::npos)
        << "a synchronous call: nothing needed a fallback";
  }
  ExpectEveryMessageInExactlyOneBatch(rows);
  ExpectEachBatchStoredOnce();
  EXPECT_GT(Query("SELECT count(*) FROM events"), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM batches WHERE provider_job_id IS NOT NULL"), submitted);
  EXPECT_EQ(Query("SELECT count(*) FROM batches WHERE provider_job_id IS NOT NULL AND "
                  "(job_state <> 'completed' OR llm_mode <> 'model+batch' OR job_fallbacks <> 0)"),
            0);
  EXPECT_EQ(Query("SELECT (abs(sum(cost_usd) - 0.09 * sum(job_requests)) < 0.000001)::int "
                  "FROM batches WHERE provider_job_id IS NOT NULL"),
            1)
      << "priced at the batch multiplier (0.5 by default)";
  int exit_code = -1;
  const std::string report = CtlOutput({"report"}, &exit_code);
  EXPECT_EQ(exit_code, 0) << report;
  EXPECT_NE(report.find("Provider batch jobs"), std::string::npos) << report;
  EXPECT_NE(report.find("model+batch"), std::string::npos) << report;
  const std::string first_job_batch =
      std::to_string(Query("SELECT min(id) FROM batches WHERE provider_job_id IS NOT NULL"));
  const std::string shown = CtlOutput({"batches", "show", first_job_batch}, &exit_code);
  EXPECT_EQ(exit_code, 0) << shown;
  EXPECT_NE(shown.find(R"("job_state": "completed")"), std::string::npos) << shown;
  EXPECT_NE(shown.find(R"("provider_job_id": "batch_)"), std::string::npos) << shown;
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0) << daemon->Log();
}

}  // namespace
}  // namespace ms::test
