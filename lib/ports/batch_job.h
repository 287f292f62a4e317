// Port of a provider's batch API (llm.submit: batch): OpenAI Batch, Anthropic Message Batches,
// Gemini batch mode. A job carries many requests, answers within the provider's window (up to
// 24 h) and is billed at a discount (llm.prices' batch_multiplier).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "ports/extract.h"

namespace ms {

// One request of a job, named so its answer can be matched: "<batch id>-<prompt index>".
struct JobRequest {
  std::string custom_id;
  LlmRequest request;
};

// Where a job is. Every state but kPending is final.
enum class JobState { kPending, kCompleted, kFailed, kExpired, kCancelled };

// "pending", "completed", "failed", "expired", "cancelled" (batches.job_state).
inline const char* JobStateName(JobState state) {
  constexpr const char* kNames[] = {"pending", "completed", "failed", "expired", "cancelled"};
  return kNames[static_cast<int>(state)];
}

// One request's outcome in an ended job: an answer, or why there is none ("errored", "expired",
// "canceled", an error message). A request the provider never reported has no item.
struct JobItem {
  std::string custom_id;
  std::optional<LlmResponse> response;
  std::string error;
};

struct JobStatus {
  JobState state = JobState::kPending;
  std::string provider_state;  // the provider's own word, e.g. "in_progress", "JOB_STATE_RUNNING"
  std::vector<JobItem> items;  // filled once the job ended (a final state), else empty
};

class BatchJobClient {
 public:
  virtual ~BatchJobClient() = default;
  // Submits `requests` as one job, labelled `label` where the provider keeps a label (OpenAI
  // metadata, Gemini display name, nowhere on Anthropic). Returns the provider's job id.
  // Errors:
  //  - DeadlineExceeded: the outcome is unknown, the provider may have created the job (the
  //    create call timed out, answered 5xx or an unreadable reply, or the connection dropped
  //    after the request was sent). The caller must not submit again blindly.
  //  - any other: no job was created. As LlmClient's: Unavailable (retry later; the connection
  //    was never made, or a step before the create call failed), FailedPrecondition
  //    (configuration, auth, quota), InvalidArgument (the requests themselves).
  // Every HTTP call is bounded by a timeout below the daemon's stop timeout.
  virtual StatusOr<std::string> Submit(const std::string& label,
                                       const std::vector<JobRequest>& requests) = 0;
  // Where job `job_id` is; its items once it ended. NotFound: the provider says there is no
  // such job (a 404 with its own error body). Any other error (down, auth, a wrong base_url,
  // results too large) says nothing about the job: ask again later.
  virtual StatusOr<JobStatus> Poll(const std::string& job_id) = 0;
  // Deletes what the provider keeps of an ended job whose answer is stored and no longer
  // needed: OpenAI's input, output and error files (kept until deleted otherwise). Anthropic
  // and Gemini drop a job's results by themselves: nothing to do. A file already gone is fine.
  virtual Status Release(const std::string& job_id) = 0;
  virtual std::string provider() const = 0;
  virtual std::string model() const = 0;
};

}  // namespace ms
