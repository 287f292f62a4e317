// Provider batch jobs (llm.submit: batch) over real HTTP against the fake LLM server, for each
// provider's batch API and each way a job ends: the daemon's extractor set (app::MakeExtractor)
// submits a batch as one job, polls it until it ends, and collects its answer; what the job did
// not answer is re-sent synchronously. Needs no stack: only 127.0.0.1.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "app/extractor_factory.h"
#include "tests/fake_llm/fake_llm_server.h"

namespace ms {
namespace {

ExtractionRequest Batch() {
  ExtractionRequest request;
  request.batch_id = 41;
  request.company_id = "acme";
  request.messages.push_back(
      {1, Source::kSlack, "ana", "", "We closed our $2M seed round led by Blue Ventures.", 0});
  request.messages.push_back(
      {2, Source::kGmail, "bo", "Launch", "We launched the mobile app to all customers today.", 0});
  return request;
}

struct Case {
  LlmProvider provider;
  test::JobOutcome outcome;
  const char* end_state;  // JobExtractor::EndState
  int fallbacks;
};

std::string Name(const ::testing::TestParamInfo<Case>& info) {
  static constexpr const char* kProviders[] = {"auto", "rules", "openai", "gemini", "anthropic"};
  return std::string(kProviders[static_cast<int>(info.param.provider)]) + "_" +
         std::string(test::JobOutcomeName(info.param.outcome));
}

class BatchJobsTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    config_.llm.provider = GetParam().provider;
    config_.llm.submit = LlmSubmit::kBatch;
    config_.llm.base_url = server_.base_url();
    config_.llm.model = "fake-model";
    config_.llm.api_key = Secret("sk-test-0123456789", "test");
    config_.llm.max_batch_tokens = 256;  // each message a prompt of its own: two job requests
  }

  // Requests other than the job's own: synchronous calls.
  size_t SyncCalls() const {
    size_t calls = 0;
    for (const test::RecordedRequest& request : server_.requests()) {
      const bool job = request.path.find("batch") != std::string::npos;
      calls += job ? 0 : 1;
    }
    return calls;
  }

  test::FakeLlmServer server_;
  Config config_;
};

TEST_P(BatchJobsTest, AJobIsSubmittedOncePolledAndItsAnswersCollected) {
  const Case& c = GetParam();
  server_.PushJob({c.outcome, /*pending_polls=*/1});
  auto set = app::MakeExtractor(config_);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  JobExtractor& jobs = *(*set)->jobs;

  JobExtractor::Submission submission;
  jobs.Prepare(Batch(), &submission);
  EXPECT_EQ(submission.requests.size(), 2u);
  auto job_id = jobs.Send(Batch().batch_id, submission.requests);
  ASSERT_TRUE(job_id.ok()) << job_id.status().ToString();
  ASSERT_EQ(server_.jobs().size(), 1u);
  EXPECT_EQ(server_.jobs()[0].requests.size(), 2u);
  if (c.provider != LlmProvider::kAnthropic) {
    EXPECT_EQ(server_.jobs()[0].label, "milestoned-batch-41");
  }

  auto pending = jobs.Poll(*job_id);
  ASSERT_TRUE(pending.ok()) << pending.status().ToString();
  EXPECT_EQ(pending->state, JobState::kPending);
  EXPECT_FALSE(pending->provider_state.empty());

  auto ended = jobs.Poll(*job_id);
  ASSERT_TRUE(ended.ok()) << ended.status().ToString();
  ASSERT_NE(ended->state, JobState::kPending);
  ExtractionResult result;
  int fallbacks = -1;
  Status collected = jobs.Collect(Batch(), *ended, &result, &fallbacks);
  ASSERT_TRUE(collected.ok()) << collected.ToString();
  EXPECT_EQ(JobExtractor::EndState(*ended, fallbacks), c.end_state);
  EXPECT_EQ(fallbacks, c.fallbacks);
  EXPECT_EQ(SyncCalls(), static_cast<size_t>(c.fallbacks)) << "one sync call per fallback";
  EXPECT_EQ(server_.jobs().size(), 1u) << "never submitted again";
  // The fake answers with what the rules find: the round (the first request, which a partial
  // job leaves to its fallback), by job or by call.
  bool round_found = false;
  for (const ExtractedEvent& event : result.events) {
    round_found |= event.type == "funding" && event.source_message_ids == std::vector<int64_t>{1};
  }
  EXPECT_TRUE(round_found);
  const int answered_by_job = 2 - c.fallbacks;
  EXPECT_EQ(result.mode, answered_by_job > 0 ? "model+batch" : "model");
  EXPECT_EQ(result.batch_usage.prompt_tokens, 120 * answered_by_job);
  EXPECT_EQ(result.usage.prompt_tokens, 120 * 2);

  // Once stored, what the provider keeps of the job goes: OpenAI's uploaded input file and
  // its output files (a poll can no longer read them); a second release finds them gone.
  ASSERT_TRUE(jobs.Release(*job_id).ok());
  EXPECT_TRUE(server_.uploaded_files().empty());
  if (c.provider == LlmProvider::kOpenAi && ended->state != JobState::kFailed) {
    EXPECT_FALSE(jobs.Poll(*job_id).ok()) << "the output file is deleted";
  }
  EXPECT_TRUE(jobs.Release(*job_id).ok());
}

INSTANTIATE_TEST_SUITE_P(
    Providers, BatchJobsTest,
    ::testing::Values(Case{LlmProvider::kOpenAi, test::JobOutcome::kCompleted, "completed", 0},
                      Case{LlmProvider::kOpenAi, test::JobOutcome::kPartial, "partial", 1},
                      Case{LlmProvider::kOpenAi, test::JobOutcome::kExpired, "expired", 2},
                      Case{LlmProvider::kOpenAi, test::JobOutcome::kCancelled, "cancelled", 2},
                      Case{LlmProvider::kOpenAi, test::JobOutcome::kFailed, "failed", 2},
                      Case{LlmProvider::kAnthropic, test::JobOutcome::kCompleted, "completed", 0},
                      Case{LlmProvider::kAnthropic, test::JobOutcome::kPartial, "partial", 1},
                      Case{LlmProvider::kAnthropic, test::JobOutcome::kExpired, "expired", 2},
                      Case{LlmProvider::kAnthropic, test::JobOutcome::kCancelled, "cancelled", 2},
                      Case{LlmProvider::kGemini, test::JobOutcome::kCompleted, "completed", 0},
                      Case{LlmProvider::kGemini, test::JobOutcome::kPartial, "partial", 1},
                      Case{LlmProvider::kGemini, test::JobOutcome::kExpired, "expired", 2},
                      Case{LlmProvider::kGemini, test::JobOutcome::kCancelled, "cancelled", 2},
                      Case{LlmProvider::kGemini, test::JobOutcome::kFailed, "failed", 2}),
    Name);

TEST(BatchJobsTieredTest, OnlyTheUncertainBandGoesInTheJob) {
  test::FakeLlmServer server;
  ASSERT_TRUE(server.Start().ok());
  Config config;
  config.llm.provider = LlmProvider::kOpenAi;
  config.llm.mode = LlmMode::kTiered;
  config.llm.submit = LlmSubmit::kBatch;
  config.llm.prefilter = false;  // the uncertain message talks of a plan
  config.llm.base_url = server.base_url();
  config.llm.api_key = Secret("sk-test-0123456789", "test");
  auto set = app::MakeExtractor(config);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  ExtractionRequest request = Batch();
  request.messages.push_back(
      {3, Source::kSlack, "cy", "", "Might we close the Acme deal if legal signs next week?", 0});
  JobExtractor::Submission submission;
  (*set)->jobs->Prepare(request, &submission);
  ASSERT_TRUE((*set)->jobs->Send(request.batch_id, submission.requests).ok());
  ASSERT_EQ(server.jobs().size(), 1u);
  const auto& job = server.jobs()[0];
  ASSERT_EQ(job.requests.size(), 1u);
  EXPECT_NE(job.requests[0].body.find("Acme deal"), std::string::npos);
  EXPECT_EQ(job.requests[0].body.find("seed round"), std::string::npos)
      << "a message the rules are sure of is decided offline, not sent";
}

// Invariant 5 over the batch wire: with redaction on, no e-mail address or phone number reaches
// a job request body, whichever provider's batch API carries it.
TEST(BatchJobsRedactionTest, NoPiiReachesAJobRequest) {
  for (LlmProvider provider :
       {LlmProvider::kOpenAi, LlmProvider::kAnthropic, LlmProvider::kGemini}) {
    test::FakeLlmServer server;
    ASSERT_TRUE(server.Start().ok());
    Config config;
    config.llm.provider = provider;
    config.llm.submit = LlmSubmit::kBatch;
    config.llm.base_url = server.base_url();
    config.llm.api_key = Secret("sk-test-0123456789", "test");
    auto set = app::MakeExtractor(config);
    ASSERT_TRUE(set.ok()) << set.status().ToString();
    ExtractionRequest request = Batch();
    request.messages.push_back({3, Source::kGmail, "dana.lee@example.com", "Signed",
                                "Signed the Harcourt deal, $420k ACV. Call me on +44 20 7946 0958 "
                                "or write to dana.lee@example.com.",
                                0});
    JobExtractor::Submission submission;
    (*set)->jobs->Prepare(request, &submission);
    ASSERT_TRUE((*set)->jobs->Send(request.batch_id, submission.requests).ok());
    ASSERT_EQ(server.jobs().size(), 1u);
    for (const auto& job_request : server.jobs()[0].requests) {
      EXPECT_EQ(job_request.body.find("dana.lee@example.com"), std::string::npos);
      EXPECT_EQ(job_request.body.find("7946 0958"), std::string::npos);
      EXPECT_NE(job_request.body.find("Harcourt"), std::string::npos);
    }
  }
}

// An OpenAI batch API that answers the create call (POST /v1/batches) and the job lookup with a
// given status and body; the file upload succeeds.
class ScriptedBatchApi {
 public:
  ScriptedBatchApi(int create_status, std::string create_body, int lookup_status,
                   std::string lookup_body, const char* lookup_type = "application/json") {
    server_.Post("/v1/files", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"id":"file-1"})", "application/json");
    });
    server_.Post("/v1/batches", [=](const httplib::Request&, httplib::Response& res) {
      res.status = create_status;
      res.set_content(create_body, "application/json");
    });
    server_.Get(R"(/v1/batches/([^/]+))", [=](const httplib::Request&, httplib::Response& res) {
      res.status = lookup_status;
      res.set_content(lookup_body, lookup_type);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~ScriptedBatchApi() {
    server_.stop();
    thread_.join();
  }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

std::unique_ptr<app::ExtractorSet> OpenAiJobs(const std::string& base_url) {
  Config config;
  config.llm.provider = LlmProvider::kOpenAi;
  config.llm.submit = LlmSubmit::kBatch;
  config.llm.base_url = base_url;
  config.llm.model = "fake-model";
  config.llm.api_key = Secret("sk-test-0123456789", "test");
  auto set = app::MakeExtractor(config);
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  return set.ok() ? std::move(set).value() : nullptr;
}

StatusCode SubmitCode(JobExtractor& jobs) {
  JobExtractor::Submission submission;
  jobs.Prepare(Batch(), &submission);
  return jobs.Send(Batch().batch_id, submission.requests).status().code();
}

// DeadlineExceeded is the port's "the provider may have created the job": a 5xx or an answer
// with no job id from the create call. A refusal (4xx) says no job was created.
TEST(BatchJobsSubmitErrorsTest, OnlyAnAnswerAfterWhichTheJobMayExistIsAnUnknownOutcome) {
  const struct {
    int status;
    const char* body;
    StatusCode expected;
  } kCases[] = {
      {502, R"({"error":{"message":"bad gateway"}})", StatusCode::kDeadlineExceeded},
      {500, R"({"error":{"message":"oops"}})", StatusCode::kDeadlineExceeded},
      {200, R"({"object":"batch"})", StatusCode::kDeadlineExceeded},
      {200, "not json", StatusCode::kDeadlineExceeded},
      {400, R"({"error":{"message":"bad","type":"invalid_request_error"}})",
       StatusCode::kInvalidArgument},
      {401, R"({"error":{"message":"bad key","type":"invalid_request_error"}})",
       StatusCode::kFailedPrecondition},
      {429, R"({"error":{"message":"slow down","type":"rate_limit_error"}})",
       StatusCode::kUnavailable},
  };
  for (const auto& c : kCases) {
    ScriptedBatchApi api(c.status, c.body, 200, "{}");
    auto set = OpenAiJobs(api.base_url());
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(SubmitCode(*set->jobs), c.expected) << c.status << " " << c.body;
  }
}

TEST(BatchJobsSubmitErrorsTest, AConnectionNeverMadeIsADefiniteFailure) {
  auto set = OpenAiJobs("http://127.0.0.1:1");  // a privileged port nothing listens on
  ASSERT_NE(set, nullptr);
  EXPECT_EQ(SubmitCode(*set->jobs), StatusCode::kUnavailable);
}

// Only the provider's own 404 on the job id says the job does not exist.
TEST(BatchJobsSubmitErrorsTest, OnlyTheProvidersOwn404OnTheJobIsNoSuchJob) {
  const struct {
    int status;
    const char* body;
    const char* type;
    bool not_found;
  } kCases[] = {
      {404, R"({"error":{"message":"No batch found","type":"invalid_request_error"}})",
       "application/json", true},
      {404, "<html>Not Found</html>", "text/html", false},
      {401, R"({"error":{"message":"bad key","type":"invalid_request_error"}})", "application/json",
       false},
      {403, R"({"error":{"message":"forbidden","type":"invalid_request_error"}})",
       "application/json", false},
  };
  for (const auto& c : kCases) {
    ScriptedBatchApi api(200, R"({"id":"batch_1"})", c.status, c.body, c.type);
    auto set = OpenAiJobs(api.base_url());
    ASSERT_NE(set, nullptr);
    auto polled = set->jobs->Poll("batch_1");
    ASSERT_FALSE(polled.ok());
    EXPECT_EQ(polled.status().code() == StatusCode::kNotFound, c.not_found)
        << c.status << " " << c.body << ": " << polled.status().ToString();
  }
}

// A bound server listening until the end of the scope.
class Listening {
 public:
  explicit Listening(httplib::Server& server)
      : server_(server), thread_([this] { server_.listen_after_bind(); }) {}
  ~Listening() {
    server_.stop();
    thread_.join();
  }

 private:
  httplib::Server& server_;
  std::thread thread_;
};

// Anthropic hands back the URL of a job's results: the API key goes there only when it is on
// llm.base_url's origin. Elsewhere the poll fails (the job stays submitted) and the other host
// is never asked.
TEST(BatchJobsResultsUrlTest, TheApiKeyIsSentOnlyToTheConfiguredOrigin) {
  httplib::Server elsewhere;
  std::atomic<int> elsewhere_hits{0};
  elsewhere.Get(R"(/.*)", [&](const httplib::Request&, httplib::Response& res) {
    elsewhere_hits++;
    res.set_content("", "application/x-jsonl");
  });
  const int elsewhere_port = elsewhere.bind_to_any_port("127.0.0.1");
  Listening elsewhere_listening(elsewhere);

  httplib::Server api;
  std::string results_url;
  api.Get(R"(/v1/messages/batches/([^/]+))", [&](const httplib::Request&, httplib::Response& res) {
    nlohmann::json batch = {{"id", "msgbatch_1"},
                            {"type", "message_batch"},
                            {"processing_status", "ended"},
                            {"request_counts", {{"succeeded", 1}}},
                            {"results_url", results_url}};
    res.set_content(batch.dump(), "application/json");
  });
  api.Get(R"(/v1/messages/batches/([^/]+)/results)",
          [&](const httplib::Request&, httplib::Response& res) {
            res.set_content("", "application/x-jsonl");
          });
  const int api_port = api.bind_to_any_port("127.0.0.1");
  Listening api_listening(api);
  const std::string base_url = "http://127.0.0.1:" + std::to_string(api_port);

  Config config;
  config.llm.provider = LlmProvider::kAnthropic;
  config.llm.submit = LlmSubmit::kBatch;
  config.llm.base_url = base_url;
  config.llm.api_key = Secret("sk-test-0123456789", "test");
  auto set = app::MakeExtractor(config);
  ASSERT_TRUE(set.ok()) << set.status().ToString();

  results_url = base_url + "/v1/messages/batches/msgbatch_1/results";
  auto same = (*set)->jobs->Poll("msgbatch_1");
  EXPECT_TRUE(same.ok()) << same.status().ToString();

  results_url = "http://127.0.0.1:" + std::to_string(elsewhere_port) + "/results";
  auto other = (*set)->jobs->Poll("msgbatch_1");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(other.status().message().find("llm.base_url"), std::string::npos);
  EXPECT_EQ(other.status().message().find("sk-test"), std::string::npos);
  EXPECT_EQ(elsewhere_hits.load(), 0);
}

}  // namespace
}  // namespace ms
