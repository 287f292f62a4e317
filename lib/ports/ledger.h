// Ports of the store half (design §1 store, §3 events/event_history/outbox, invariant 3).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ports/extract.h"

namespace ms {

// A batch taken for extraction. While the ticket lives, no other worker or instance can take
// the same batch; if the process dies, the batch becomes available again.
// A model's answer for a batch, kept on the batch row from the moment it is paid for until it
// is stored, so a store that fails (a read-only or full database, a lost connection) is
// retried without calling the provider again. Its spending is added to the batch's totals by
// the outcome that ends the batch (stored or failed), once.
struct KeptAnswer {
  ExtractionResult result;                // events merged by fingerprint, strings cleaned
  std::vector<std::string> fingerprints;  // one per event
  double cost_usd = 0;                    // what the answer cost, priced when it came
  int messages = 0;                       // the batch's message count, for the log
};

// The provider batch job a batch was submitted as (llm.submit: batch), as stored on its row.
// A row marked `submitting` with no job id is a submission whose outcome is unknown: the
// provider may hold a job for it (id empty, state "submitting").
struct ProviderJob {
  std::string id;     // the provider's job id; empty while `submitting`
  std::string state;  // batches.job_state: submitting, pending, or the final state it ended in
  int requests = 0;
  std::string provider;  // batches.job_provider: the provider the job was submitted to
  // batches.job_request_hashes: JobExtractor::RequestHash of each request as submitted, by
  // prompt index; empty for a job stored without them.
  std::vector<std::string> request_hashes = {};
};

class BatchTicket {
 public:
  virtual ~BatchTicket() = default;
  virtual int64_t batch_id() const = 0;
  virtual const std::string& company_id() const = 0;
  virtual int attempts() const = 0;
  // Store attempts that failed so far with an answer kept (see RetryStore).
  virtual int store_attempts() const = 0;
  // The batch's messages, in id order.
  virtual StatusOr<ExtractionRequest> Load() = 0;
  // The answer kept by an earlier attempt whose store failed; nullopt when there is none.
  virtual StatusOr<std::optional<KeptAnswer>> LoadKept() = 0;
  // Keeps `answer` on the batch row (one statement, outside any transaction).
  virtual Status Keep(const KeptAnswer& answer) = 0;

  // What an attempt cost, beyond the result's own counts (tokens, LLM calls, prefilter drops,
  // rejected events), which every outcome below adds to the batch's totals.
  struct Accounting {
    double cost_usd = 0;
  };
  // ONE transaction: events upserted by fingerprint (a known event gets a sighting),
  // observations stored and the milestones of their series derived (pipeline/ledger/milestones.h),
  // history rows, outbox rows, batch -> done with usage and cost. A batch already `done` is left
  // untouched (re-running a batch after a crash changes nothing). Returns the number of
  // events created and sighted.
  struct StoreOutcome {
    int created = 0;
    int sighted = 0;
    int changed = 0;
    int observations = 0;  // readings new to the ledger (a restated report adds none)
    int rejected = 0;      // events the database refused as data (e.g. a value out of range),
    std::vector<std::string> refusals;  // each as "\"title\": error"; the rest was stored
    bool already_done = false;
  };
  virtual StatusOr<StoreOutcome> Store(const ExtractionResult& result,
                                       const std::vector<std::string>& fingerprints,
                                       const Accounting& accounting) = 0;
  // batch -> failed with the error; stays retryable by an operator (batches retry). `spent`:
  // what the failed attempt used (its events are ignored).
  virtual Status Fail(const std::string& error, const ExtractionResult& spent,
                      const Accounting& accounting) = 0;
  // batch -> claimed again, with `reason` as its last error, not taken before `retry_in` has
  // passed. `count_attempt` false gives the attempt back: it made no LLM call (circuit open)
  // or shutdown interrupted it, so it does not bring the batch nearer to failing.
  virtual Status HandBack(const std::string& reason, const ExtractionResult& spent,
                          const Accounting& accounting, std::chrono::milliseconds retry_in,
                          bool count_attempt) = 0;
  // The store failed with the answer kept: batch -> claimed again with `reason` as its last
  // error, not taken before `retry_in`, one more store attempt counted and the extraction
  // attempt given back (the next attempt stores the kept answer; it calls no model).
  virtual Status RetryStore(const std::string& reason, std::chrono::milliseconds retry_in) = 0;

  // ---- Provider batch jobs (llm.submit: batch) ----
  // The job this batch was submitted as, read when it was taken; nullopt when none.
  virtual std::optional<ProviderJob> job() const = 0;
  // ONE statement, committed before the provider is asked to create a job: job_state
  // `submitting`, submitted_at now. From then on no worker or instance submits this batch
  // again until ClearSubmitting or an operator's `batches retry` removes the marker.
  // FailedPrecondition when the batch is done, already marked or already has a job id.
  virtual Status MarkSubmitting() = 0;
  // ONE statement: the marker removed (the provider definitely created no job), so the retry
  // policy may submit again. A batch with a job id is left untouched.
  virtual Status ClearSubmitting() = 0;
  // ONE statement: the job id stored and the batch -> `submitted` (job_state pending), polled
  // again after `poll_in` by whichever worker or instance takes it; the attempt given back. A
  // batch that already has a job id is left untouched (FailedPrecondition): a job is submitted
  // once. `request_hashes`: one per request of the job, kept so the answers are used only for
  // the prompts they were asked for.
  virtual Status MarkSubmitted(const std::string& provider, const std::string& job_id,
                               const std::vector<std::string>& request_hashes,
                               std::chrono::milliseconds poll_in) = 0;
  // The job has not ended: the batch stays `submitted` (provider_state recorded), polled again
  // after `poll_in`; the attempt given back.
  virtual Status AwaitJob(const std::string& provider_state, std::chrono::milliseconds poll_in) = 0;
  // The job ended in `state` (completed, partial, failed, expired, cancelled); `fallbacks`
  // requests were re-sent synchronously at the full price. The batch is then stored or handed
  // back as any other. Only the first collect of an ended job (stored state still `pending`)
  // counts the job's own usage; a later one (after a failed fallback) counts only its calls.
  virtual Status EndJob(const std::string& state, const std::string& provider_state,
                        int fallbacks) = 0;
};

class BatchQueue {
 public:
  virtual ~BatchQueue() = default;
  // The oldest batch that is `claimed` (or `extracting` but abandoned by a dead worker) and
  // not handed back to wait (retry_at in the future), locked for this caller; null when there
  // is none.
  virtual StatusOr<std::unique_ptr<BatchTicket>> Take() = 0;
};

}  // namespace ms

namespace ms {

// An event as stored in the ledger (for reports, the read API and investor updates).
struct StoredEvent {
  int64_t id = 0;
  std::string event_uid;
  std::string company_id;
  std::string type;
  std::string title;
  std::string description;
  std::string impact;
  std::string severity;
  std::string state;
  std::string timeline;
  std::map<std::string, std::string> metrics;
  std::vector<std::string> stakeholders;
  std::vector<int64_t> source_message_ids;
  int sightings = 1;
  std::string occurred_at;  // ISO 8601, UTC: the earliest source message's sent time
  std::string first_seen;   // when the daemon first and last saw it
  std::string last_seen;
  std::string origin = "extracted";  // or "series": a milestone derived from observations
  double score = 0;  // significance (pipeline/ledger/significance.h), set on reading
};

// One reading of a KPI series as stored (observations table).
struct StoredObservation {
  std::string metric;
  double value = 0;
  std::string unit;
  std::string observed_at;  // ISO 8601, UTC
  int64_t source_message_id = 0;
};

}  // namespace ms
