// Tiered extraction over a fake model: what the rules are sure of never reaches the model, the
// rest does in one request, and the answer holds both. The same through a provider batch job
// (JobExtractor over a fake batch API): only the uncertain band goes in the job, a batch the
// rules decide whole submits nothing, and a request the job did not answer goes to the
// synchronous extractor.
#include "pipeline/extract/tiered_extractor.h"

#include <gtest/gtest.h>

#include <set>

#include "pipeline/extract/job_extractor.h"

namespace ms {
namespace {

BatchMessage Msg(int64_t id, std::string text) {
  BatchMessage message;
  message.id = id;
  message.sender = "ana";
  message.text = std::move(text);
  message.sent_at_ms = 1'760'000'000'000 + id;
  return message;
}

// Records the requests it is given and answers each with one `other` event per message.
struct RecordingModel : Extractor {
  std::vector<ExtractionRequest> requests;
  Status error;
  Status ExtractInto(const ExtractionRequest& request, ExtractionResult* out) override {
    requests.push_back(request);
    out->provider = "openai";
    out->model = "gpt-test";
    out->llm_calls = 1;
    out->usage = {1000, 100};
    if (!error.ok()) return error;
    for (const BatchMessage& message : request.messages) {
      ExtractedEvent event;
      event.company_id = request.company_id;
      event.type = "other";
      event.title = "from the model";
      event.severity = "low";
      event.source_message_ids = {message.id};
      out->events.push_back(event);
    }
    return Status::Ok();
  }
};

const char* kClosedRound =
    "Big news: we closed our $4M seed round led by Northwind Ventures, money is in the bank.";

TEST(ReadsAsPlainFact, StatementsYesQuestionsNegationsAndHedgesNo) {
  EXPECT_TRUE(ReadsAsPlainFact(kClosedRound));
  EXPECT_TRUE(ReadsAsPlainFact("Signed: Harcourt Estates, 3-year contract, $420k ACV."));
  for (const char* hedged :
       {"did we close the seed round?", "we didn't close the round", "we did NOT close",
        "if Harcourt signs we'd be at $2M ARR", "we expect to close the round in May",
        "draft PR: we closed our $4M seed", "heard Globex raised $20M",
        "tracking to $1.8m ARR by end of May", "Harcourt is close to signing",
        "we won’t announce until the money lands"}) {
    EXPECT_FALSE(ReadsAsPlainFact(hedged)) << hedged;
  }
}

TEST(SplitByConfidence, ConfidentEventsStayOfflineTheRestGoesToTheModel) {
  ExtractionRequest request{7,
                            "acme",
                            {Msg(1, kClosedRound), Msg(2, "if the Series A closes we'd raise $10M"),
                             Msg(3, "lunch at noon?")}};
  TierSplit split = SplitByConfidence(request);
  EXPECT_EQ(split.decided_messages, 1);
  ASSERT_EQ(split.to_model.size(), 2u);
  EXPECT_EQ(split.to_model[0].id, 2);
  EXPECT_EQ(split.to_model[1].id, 3);
  ASSERT_FALSE(split.decided.events.empty());
  EXPECT_EQ(split.decided.events[0].type, "funding");
  EXPECT_EQ(split.decided.events[0].source_message_ids, std::vector<int64_t>{1});
}

TEST(TieredExtractor, SendsOnlyTheUncertainMessagesAndMergesBothAnswers) {
  RecordingModel model;
  TieredExtractor tiered(&model, "openai", "gpt-test");
  ExtractionRequest request{7, "acme", {Msg(1, kClosedRound), Msg(2, "maybe a pilot with Tesco")}};
  auto result = tiered.Extract(request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(model.requests.size(), 1u);
  ASSERT_EQ(model.requests[0].messages.size(), 1u);
  EXPECT_EQ(model.requests[0].messages[0].id, 2);
  EXPECT_EQ(model.requests[0].batch_id, 7);
  EXPECT_EQ(result->decided_offline, 1);
  EXPECT_EQ(result->llm_calls, 1);
  EXPECT_EQ(result->provider, "openai");
  std::set<std::string> types;
  for (const ExtractedEvent& event : result->events) types.insert(event.type);
  EXPECT_EQ(types, (std::set<std::string>{"funding", "other"}));
}

TEST(TieredExtractor, ABatchTheRulesDecideWholeMakesNoCall) {
  RecordingModel model;
  TieredExtractor tiered(&model, "openai", "gpt-test");
  auto result = tiered.Extract({7, "acme", {Msg(1, kClosedRound)}});
  ASSERT_TRUE(result.ok());
  EXPECT_TRUE(model.requests.empty());
  EXPECT_EQ(result->llm_calls, 0);
  EXPECT_EQ(result->provider, "openai");
  EXPECT_EQ(result->requested_model, "gpt-test");
  EXPECT_EQ(result->decided_offline, 1);
  EXPECT_FALSE(result->events.empty());
}

TEST(TieredExtractor, AModelFailureFailsTheBatchWithItsSpending) {
  RecordingModel model;
  model.error = Unavailable("provider down");
  TieredExtractor tiered(&model, "openai", "gpt-test");
  ExtractionResult out;
  Status st = tiered.ExtractInto({7, "acme", {Msg(1, kClosedRound), Msg(2, "maybe")}}, &out);
  EXPECT_EQ(st.code(), StatusCode::kUnavailable);
  EXPECT_EQ(out.llm_calls, 1) << "what the failed attempt spent is reported";
  EXPECT_EQ(out.usage.prompt_tokens, 1000);
}

// ---- through a provider batch job (llm.submit: batch) -----------------------------------

const char* kUncertain = "if Harcourt signs the 3-year contract we'd be at $2M ARR";

// Records what is submitted; an ended job answers every request with an `other` event on its
// first line (index 0), or with nothing when `answered` is false.
struct FakeJobs : BatchJobClient {
  std::vector<std::vector<JobRequest>> submitted;
  bool answered = true;
  StatusOr<std::string> Submit(const std::string&,
                               const std::vector<JobRequest>& requests) override {
    submitted.push_back(requests);
    return std::string("job-1");
  }
  StatusOr<JobStatus> Poll(const std::string&) override {
    JobStatus status;
    status.state = JobState::kCompleted;
    for (const JobRequest& request : submitted.back()) {
      JobItem item;
      item.custom_id = request.custom_id;
      if (answered) {
        item.response = LlmResponse{
            R"({"events":[{"company_id":"acme","type":"other","title":"from the job",)"
            R"("description":"","impact":"","metrics":[],"timeline":"","severity":"low",)"
            R"("stakeholders":[],"sources":[0]}],"observations":[]})",
            "stop",
            {1000, 100},
            "gpt-test"};
      }
      status.items.push_back(std::move(item));
    }
    return status;
  }
  Status Release(const std::string&) override { return Status::Ok(); }
  std::string provider() const override { return "openai"; }
  std::string model() const override { return "gpt-test"; }
};

PromptOptions NoPrefilter() {
  PromptOptions options;
  options.prefilter = false;
  return options;
}

TEST(JobExtractor, TieredSendsOnlyTheUncertainBandAndJoinsTheRulesAnswer) {
  FakeJobs jobs;
  RecordingModel sync;
  JobExtractor extractor(&jobs, &sync, NoPrefilter(), /*tiered=*/true);
  const ExtractionRequest request{7, "acme", {Msg(1, kClosedRound), Msg(2, kUncertain)}};
  JobExtractor::Submission submission;
  extractor.Prepare(request, &submission);
  auto job_id = extractor.Send(request.batch_id, submission.requests);
  ASSERT_TRUE(job_id.ok());
  ASSERT_EQ(*job_id, "job-1");
  ASSERT_EQ(jobs.submitted.size(), 1u);
  ASSERT_EQ(jobs.submitted[0].size(), 1u);
  EXPECT_EQ(jobs.submitted[0][0].custom_id, "7-0");
  EXPECT_NE(jobs.submitted[0][0].request.user.find("Harcourt"), std::string::npos);
  EXPECT_EQ(jobs.submitted[0][0].request.user.find("Northwind"), std::string::npos);

  auto status = jobs.Poll("job-1");
  ASSERT_TRUE(status.ok());
  ExtractionResult result;
  int fallbacks = -1;
  ASSERT_TRUE(extractor.Collect(request, *status, &result, &fallbacks).ok());
  EXPECT_EQ(fallbacks, 0);
  EXPECT_TRUE(sync.requests.empty());
  EXPECT_EQ(result.mode, "tiered+batch");
  EXPECT_EQ(result.decided_offline, 1);
  EXPECT_EQ(result.batch_usage.prompt_tokens, 1000);
  EXPECT_EQ(result.usage.prompt_tokens, 1000);
  std::set<std::pair<std::string, int64_t>> events;
  for (const ExtractedEvent& event : result.events) {
    events.insert({event.type, event.source_message_ids.at(0)});
  }
  EXPECT_EQ(events, (std::set<std::pair<std::string, int64_t>>{{"funding", 1}, {"other", 2}}));
  EXPECT_EQ(JobExtractor::EndState(*status, fallbacks), "completed");
}

TEST(JobExtractor, ABatchTheRulesDecideWholeSubmitsNothing) {
  FakeJobs jobs;
  RecordingModel sync;
  JobExtractor extractor(&jobs, &sync, NoPrefilter(), /*tiered=*/true);
  JobExtractor::Submission submission;
  extractor.Prepare({7, "acme", {Msg(1, kClosedRound)}}, &submission);
  EXPECT_TRUE(submission.requests.empty());
  EXPECT_TRUE(jobs.submitted.empty());
  EXPECT_EQ(submission.decided.mode, "tiered");
  EXPECT_EQ(submission.decided.decided_offline, 1);
  EXPECT_FALSE(submission.decided.events.empty());
}

TEST(JobExtractor, WhatTheJobDidNotAnswerIsSentSynchronously) {
  FakeJobs jobs;
  jobs.answered = false;
  RecordingModel sync;
  JobExtractor extractor(&jobs, &sync, NoPrefilter(), /*tiered=*/false);
  const ExtractionRequest request{7, "acme", {Msg(1, kClosedRound), Msg(2, kUncertain)}};
  JobExtractor::Submission submission;
  extractor.Prepare(request, &submission);
  ASSERT_TRUE(extractor.Send(request.batch_id, submission.requests).ok());
  auto status = jobs.Poll("job-1");
  ASSERT_TRUE(status.ok());
  ExtractionResult result;
  int fallbacks = 0;
  ASSERT_TRUE(extractor.Collect(request, *status, &result, &fallbacks).ok());
  EXPECT_EQ(fallbacks, 1);
  ASSERT_EQ(sync.requests.size(), 1u);
  EXPECT_EQ(sync.requests[0].messages.size(), 2u);
  EXPECT_EQ(result.mode, "model");
  EXPECT_EQ(result.batch_usage.prompt_tokens, 0);
  EXPECT_EQ(result.usage.prompt_tokens, 1000);
  EXPECT_EQ(result.events.size(), 2u);
  EXPECT_EQ(JobExtractor::EndState(*status, fallbacks), "partial");
}

// An answer is used only for the prompt it was asked for: a message edited between submit and
// collect changes the prompt, and that prompt is re-sent instead (the job's answer, paid for,
// is counted and dropped).
TEST(JobExtractor, AnAnswerToAPromptThatChangedSinceSubmitIsNotUsed) {
  FakeJobs jobs;
  RecordingModel sync;
  JobExtractor extractor(&jobs, &sync, NoPrefilter(), /*tiered=*/false);
  const ExtractionRequest request{7, "acme", {Msg(1, kClosedRound), Msg(2, kUncertain)}};
  JobExtractor::Submission submission;
  extractor.Prepare(request, &submission);
  ASSERT_TRUE(extractor.Send(request.batch_id, submission.requests).ok());
  const std::vector<std::string> hashes = JobExtractor::RequestHashes(submission.requests);
  ASSERT_EQ(hashes.size(), 1u);
  auto status = jobs.Poll("job-1");
  ASSERT_TRUE(status.ok());

  // Unchanged: the job's answer is used.
  ExtractionResult same;
  int fallbacks = -1, changed = -1;
  ASSERT_TRUE(extractor.Collect(request, *status, &same, &fallbacks, true, hashes, &changed).ok());
  EXPECT_EQ(fallbacks, 0);
  EXPECT_EQ(changed, 0);
  EXPECT_TRUE(sync.requests.empty());
  EXPECT_EQ(same.mode, "model+batch");

  // Message 2 edited since: the same custom_id now carries another prompt.
  ExtractionRequest edited = request;
  edited.messages[1].text = "We signed Harcourt: a 3-year contract, $2M ARR.";
  ExtractionResult result;
  ASSERT_TRUE(extractor.Collect(edited, *status, &result, &fallbacks, true, hashes, &changed).ok());
  EXPECT_EQ(fallbacks, 1);
  EXPECT_EQ(changed, 1);
  ASSERT_EQ(sync.requests.size(), 1u);
  EXPECT_EQ(sync.requests[0].messages.size(), 2u);
  EXPECT_EQ(result.mode, "model");
  EXPECT_EQ(result.batch_usage.prompt_tokens, 1000);  // the job's answer was paid for
  for (const ExtractedEvent& event : result.events) EXPECT_NE(event.title, "from the job");
}

}  // namespace
}  // namespace ms
