// The fake LLM server's provider batch APIs, each at its real paths and in its real shapes:
//   OpenAI     POST /v1/files (multipart, purpose=batch), POST /v1/batches,
//              GET /v1/batches/{id}, GET /v1/files/{id}/content
//   Anthropic  POST /v1/messages/batches, GET /v1/messages/batches/{id},
//              GET /v1/messages/batches/{id}/results
//   Gemini     POST /v1beta/models/{model}:batchGenerateContent, GET /v1beta/batches/{id}
// A job answers each request as the synchronous fake would (the default answer, usage
// FakeReply's defaults). How it ends is scripted like replies: each submitted job takes the
// next FakeJob (none scripted: completed after one pending poll):
//   POST /_fake/jobs {"outcome": "expired", "pending_polls": 1, "count": 1}
//   GET  /_fake/jobs  the submitted jobs: id, wire, label, requests, polls, outcome
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fake_llm/fake_llm_wire.h"

namespace ms::test {

enum class JobOutcome {
  kCompleted,  // every request answered
  kPartial,    // the first request errored, the rest answered
  kExpired,    // nothing answered within the window
  kCancelled,  // cancelled before anything was answered
  kFailed,     // the job failed (OpenAI, Gemini; on Anthropic every request errored)
};

// "completed", "partial", "expired", "cancelled", "failed"; nullopt for an unknown name.
std::optional<JobOutcome> ParseJobOutcome(std::string_view name);
std::string_view JobOutcomeName(JobOutcome outcome);

struct FakeJob {
  JobOutcome outcome = JobOutcome::kCompleted;
  int pending_polls = 1;  // polls answered "in progress" before it ends
};

// One submitted job as the fake keeps it.
struct FakeJobRecord {
  std::string id;
  Wire wire = Wire::kOpenAi;
  std::string model;
  std::string label;          // OpenAI metadata.milestoned_label, Gemini displayName
  std::string input_file_id;  // OpenAI: the uploaded file the job was created from
  // OpenAI: output and error files deleted (DELETE /v1/files/{id}); their content is gone.
  bool outputs_deleted = false;
  FakeJob script;
  int polls = 0;
  struct Request {
    std::string custom_id;
    std::string body;    // the request body, as a synchronous call would POST it
    std::string answer;  // the model's JSON answer
  };
  std::vector<Request> requests;
  bool ended() const { return polls > script.pending_polls; }
};

// The provider-shaped JSON of a job (what a poll returns) and of its results.
std::string OpenAiBatchObject(const FakeJobRecord& job);
std::string OpenAiResultsFile(const FakeJobRecord& job, bool errors);
std::string AnthropicBatchObject(const FakeJobRecord& job, const std::string& base_url);
std::string AnthropicResults(const FakeJobRecord& job);
std::string GeminiOperation(const FakeJobRecord& job);

}  // namespace ms::test
