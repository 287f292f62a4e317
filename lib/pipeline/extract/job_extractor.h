// Extraction through a provider batch job (llm.submit: batch), in two halves run minutes or
// hours apart, possibly by different processes: Submit sends a batch's prompts as one job,
// Collect turns the ended job into the batch's answer. Between them the job id and a hash of
// each request (RequestHash) are kept on the batch row: prompts are a pure function of the
// batch's messages and the prompt options, so Collect prepares them again to match and
// validate the answers, and uses an answer only when its prompt hashes as the request did. A
// prompt built differently since (a message edited, the prompt options changed) is re-sent
// synchronously, so an answer is never attributed to messages it was not asked about.
//
// Promises:
//  - Model mode: one job request per prompt of the batch (custom_id "<batch>-<index>"). Tiered
//    mode: the offline rules decide what they are sure of at once and only the uncertain band
//    is sent; a batch decided whole (or dropped whole by the prefilter) submits no job.
//  - Collect: every prompt with a usable answer to the same request contributes it, its tokens
//  counted in both
//    `usage` and `batch_usage` (priced at the batch multiplier). A prompt without one (the job
//    failed, expired or was cancelled, its request errored, the answer was cut off or failed
//    validation, the prompt is not the one submitted) is re-sent synchronously through the `sync`
//    extractor at the full price and counted in *fallbacks. If such a call fails, Collect fails
//    with its status (the batch is then handed back or failed by the caller's retry policy; a later
//    Collect of the same ended job re-sends it). mode is "model+batch" or "tiered+batch" when the
//    job answered at least one prompt, else "model" or "tiered".
// Thread-safe when the job client and the sync extractor are.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pipeline/extract/prompt.h"
#include "ports/batch_job.h"

namespace ms {

class JobExtractor {
 public:
  // `jobs` and `sync` (the model-only LlmExtractor over the same provider) must outlive this.
  JobExtractor(BatchJobClient* jobs, Extractor* sync, PromptOptions prompt, bool tiered)
      : jobs_(jobs), sync_(sync), prompt_(prompt), tiered_(tiered) {}

  struct Submission {
    std::vector<JobRequest> requests;  // empty: nothing to send, `decided` is the answer
    ExtractionResult decided;
  };
  // The job requests of the batch's prompts (no provider call).
  void Prepare(const ExtractionRequest& request, Submission* out) const;
  // Sends prepared requests as one job labelled Label(batch_id); returns the job id. Errors:
  // the client's (BatchJobClient::Submit): DeadlineExceeded means the provider may have
  // created the job; any other error means it did not.
  StatusOr<std::string> Send(int64_t batch_id, const std::vector<JobRequest>& requests) {
    return jobs_->Submit(Label(batch_id), requests);
  }
  // The label a batch's job carries where the provider keeps one: "milestoned-batch-<id>".
  static std::string Label(int64_t batch_id);
  // What identifies a request's prompt: a hash of its instructions, prompt, schema and limits.
  static std::string RequestHash(const LlmRequest& request);
  static std::vector<std::string> RequestHashes(const std::vector<JobRequest>& requests);

  // Asks the provider where `job_id` is.
  StatusOr<JobStatus> Poll(const std::string& job_id) { return jobs_->Poll(job_id); }
  // Deletes what the provider keeps of an ended job once its answer is stored
  // (BatchJobClient::Release).
  Status Release(const std::string& job_id) { return jobs_->Release(job_id); }

  // The answer of an ended job `status` for `request` (see above). On failure *out holds what
  // was spent, as Extractor::ExtractInto promises. `count_job_usage` false leaves the job's own
  // usage out of *out (it was counted by an earlier collect of the same ended job).
  // `submitted`: the job's RequestHashes as submitted (ProviderJob::request_hashes); empty:
  // unknown, every answer matched by custom_id alone. *changed: prompts re-sent because they
  // are not the ones submitted (counted in *fallbacks too).
  Status Collect(const ExtractionRequest& request, const JobStatus& status, ExtractionResult* out,
                 int* fallbacks, bool count_job_usage = true,
                 const std::vector<std::string>& submitted = {}, int* changed = nullptr);

  // "completed" when every prompt was answered by the job, "partial" when the job completed
  // but some were not; else the job's own state.
  static std::string EndState(const JobStatus& status, int fallbacks);

  std::string provider() const { return jobs_->provider(); }
  Extractor* sync() const { return sync_; }

 private:
  // The part of the batch that goes to the model, and (tiered) what the rules decided.
  ExtractionRequest ModelPart(const ExtractionRequest& request, ExtractionResult* decided) const;

  BatchJobClient* jobs_;
  Extractor* sync_;
  PromptOptions prompt_;
  bool tiered_;
};

}  // namespace ms
