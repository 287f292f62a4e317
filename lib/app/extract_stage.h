// The extract → store stage: workers take claimed batches from Postgres (woken early by the
// claim stage's hand-over queue), run the configured Extractor, keep its answer on the batch
// row (BatchTicket::Keep), and store the events, history and outbox rows in one transaction.
// An answer is paid for once:
//  - an answer that made no call (the offline rules decided every message) is not kept: were
//    its store to fail, extracting it again is free;
//  - a batch with a kept answer is stored from it; the model is not called again;
//  - a store that fails (database read-only, full or gone) hands the batch back with the
//    answer kept, waiting 1 s, 2 s, 4 s ... up to 5 min between store attempts; after
//    kStoreAttempts the batch is `failed`, its answer still kept, and `batches retry` stores it
//    without a call. A conflict (deadlock, serialization) is retried at once a few times first;
//  - when even keeping the answer fails, it is held in memory (up to kMaxUnkept batches) and
//    stored from there by this process; only a restart before then pays for it again;
//  - strings are cleaned of NULs and ill-formed UTF-8 before they are kept, and an event the
//    database still refuses as data is left out alone (counted as rejected), not the batch.
// A failed extraction, by its status code:
//  - Cancelled (shutdown interrupted a wait): handed back at once, the attempt not counted.
//  - Unavailable/DeadlineExceeded/Aborted with no LLM call made (the circuit opened): handed
//    back for kNoCallRetryDelay, not counted. While the circuit is open workers take nothing.
//  - the same after calls were made: handed back for llm.batch_retry_delay (30 s), doubling up
//    to 30 min, until the batch has had llm.batch_attempts attempts; then `failed`.
//  - anything else (auth, quota, 400/context length, an answer unusable after its repair):
//    `failed` at once. Operators retry failed batches with `milestonectl batches retry`.
// With llm.submit: batch (SetJobExtractor) a batch is submitted as a provider batch job once:
// the row is marked `submitting` (committed) before the provider is asked, the job id then
// stored with status `submitted` in one statement, and polled every llm.batch_poll_interval by
// whichever worker or instance takes it; an ended job's answer is kept and stored as above. A
// row marked `submitting` with no id (a crash, an unstored id, an answer that may have created
// a job) is never submitted again: it is failed visibly until an operator checks the provider
// and runs `batches retry`. A job is polled only by a process with llm.submit: batch and the
// job's provider; elsewhere it is left submitted. Metrics: milestoned_llm_batch_jobs_total
// {state} (submitted, then the final state; poll_error for a poll that failed or a job left
// unpolled), milestoned_llm_batch_fallback_requests_total.
// Every attempt's tokens, calls, prefilter drops, rejected events and cost are added to the
// batch row and to the metrics, whatever its outcome.
// Metrics: stage_duration{stage="extract"} per extraction, successful or failed (prefilter,
// prompts and every LLM call with its retries, or the rules extractor) and
// stage_duration{stage="store"} per store transaction, both timed by the Clock's monotonic
// reading; tokens by provider and direction, milestoned_llm_cost_usd_total by provider (from
// llm.prices), messages left out by the prefilter or decided offline, rejected events; batches
// done, failed and handed back, events created and sighted, failed database steps.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>

#include "config/config.h"
#include "core/clock.h"
#include "core/sleeper.h"
#include "observability/metrics.h"
#include "pipeline/extract/job_extractor.h"
#include "ports/batch_buffer.h"
#include "ports/ledger.h"
#include "runtime/bounded_queue.h"

namespace ms::app {

class ExtractStage {
 public:
  // `metrics` receives every count of the stage (see above). Every pointer must outlive it.
  ExtractStage(const Config& config, BatchQueue* queue, Extractor* extractor,
               BoundedQueue<ClaimedBatch>* hints, Metrics* metrics)
      : config_(config), queue_(queue), extractor_(extractor), hints_(hints), metrics_(metrics) {}

  // Optional, before the workers run: the waits between store conflicts (default: a sleeper
  // of the stage's own, never interrupted).
  void SetSleeper(Sleeper* sleeper) { sleeper_ = sleeper; }
  // Optional, before the workers run: the clock timing the extract and store stages (default:
  // the system clock).
  void SetClock(const Clock* clock) { clock_ = clock; }
  // Optional, before the workers run (llm.submit: batch): batches are submitted as provider
  // batch jobs through `jobs` and polled every llm.batch_poll_interval (see JobAnswer).
  void SetJobExtractor(JobExtractor* jobs) { jobs_ = jobs; }

  // One worker; run max_concurrency of them. Returns when `stop` is set (after finishing the
  // batch in hand) or the hint queue is closed.
  void RunWorker(const std::atomic<bool>& stop);

  // Takes and processes one batch; sets *found to whether there was one.
  Status ProcessOne(bool* found);

 private:
  static constexpr std::chrono::milliseconds kMaxRetryDelay{30 * 60'000};
  static constexpr std::chrono::milliseconds kNoCallRetryDelay{5'000};
  static constexpr int kStoreConflictAttempts = 3;
  static constexpr int kStoreAttempts = 10;
  static constexpr std::chrono::milliseconds kFirstStoreRetryDelay{1'000};
  static constexpr std::chrono::milliseconds kMaxStoreRetryDelay{5 * 60'000};
  static constexpr size_t kMaxUnkept = 256;
  static constexpr int kMarkAttempts = 3;
  static constexpr std::chrono::milliseconds kFirstMarkRetryDelay{500};

 public:
  // The wait after the `store_attempts`-th failed store: 1 s doubling up to 5 min.
  static std::chrono::milliseconds StoreRetryDelay(int store_attempts);

 private:
  // The batch's answer: kept before, held in memory, or extracted now and kept. nullopt when
  // the extraction failed (handled: handed back or failed) or keeping it failed (handled).
  StatusOr<std::optional<KeptAnswer>> Answer(BatchTicket& ticket);
  // A store (or keeping the answer) failed: hand back for a later store, or fail after
  // kStoreAttempts.
  Status StoreFailed(BatchTicket& ticket, const Status& error, const KeptAnswer& answer);
  // A newly extracted answer: merged, cleaned, priced and kept (or held, see Answer); one that
  // made no call is returned without being kept.
  StatusOr<std::optional<KeptAnswer>> KeepNew(BatchTicket& ticket, const ExtractionRequest& request,
                                              ExtractionResult extracted);
  // llm.submit: batch, or a batch that has a job whatever llm.submit says now. No job yet:
  // SubmitJob. A job: CollectJob, or LeaveJob when this process cannot poll it. Marked
  // `submitting` with no id: MarkJob when this process holds the id, else
  // FailSubmissionUnknown.
  StatusOr<std::optional<KeptAnswer>> JobAnswer(BatchTicket& ticket,
                                                const ExtractionRequest& request);
  // Marks the batch `submitting` (committed), then submits its job and marks it submitted (a
  // batch the rules decided whole is answered at once). A definite refusal clears the marker
  // and goes through HandleFailure; an outcome unknown (DeadlineExceeded) keeps it and fails
  // the batch visibly.
  StatusOr<std::optional<KeptAnswer>> SubmitJob(BatchTicket& ticket,
                                                const ExtractionRequest& request);
  // Stores the job (its id and request hashes), kMarkAttempts times at most with the ticket
  // held; if that still fails it is remembered in unmarked_jobs_ and the batch stays marked
  // `submitting`.
  StatusOr<std::optional<KeptAnswer>> MarkJob(BatchTicket& ticket, const ProviderJob& job);
  // After the batch's answer is stored: what the provider keeps of its job is deleted (best
  // effort; a failure is logged, the files stay).
  void ReleaseJob(const BatchTicket& ticket);
  // The provider may hold a job for the batch: `failed`, with the label to look for and the
  // retry command in last_error. Never submitted again by the daemon.
  StatusOr<std::optional<KeptAnswer>> FailSubmissionUnknown(BatchTicket& ticket,
                                                            const std::string& cause,
                                                            const ExtractionResult& spent);
  // The job belongs to another provider, or llm.submit is sync: left `submitted` (logged and
  // counted as a poll error), never extracted synchronously.
  StatusOr<std::optional<KeptAnswer>> LeaveJob(BatchTicket& ticket, const ProviderJob& job);
  StatusOr<std::optional<KeptAnswer>> CollectJob(BatchTicket& ticket,
                                                 const ExtractionRequest& request,
                                                 const ProviderJob& job);
  void HoldUnkept(int64_t batch_id, KeptAnswer answer);
  std::optional<KeptAnswer> TakeUnkept(int64_t batch_id);

  // The llm.prices entry of the answering model, else of the requested one, else of the
  // longest priced name the answering model's dated name extends; null when none.
  const ModelPrice* PriceOf(const ExtractionResult& result) const;
  double CostOf(const ExtractionResult& result) const;
  // The wait before attempt `attempts` + 1 of a batch whose calls failed transiently.
  std::chrono::milliseconds RetryDelay(int attempts) const;
  // Adds an attempt's spending (tokens, cost, prefilter drops, rejected events) to the metrics.
  void Account(const ExtractionResult& spent, double cost_usd);
  Status HandleFailure(BatchTicket& ticket, const Status& error, const ExtractionResult& spent);
  // Observes the stage's latency since `started` (Clock::Monotonic).
  void ObserveStage(Stage stage, std::chrono::milliseconds started);

  const Config& config_;
  BatchQueue* queue_;
  Extractor* extractor_;
  BoundedQueue<ClaimedBatch>* hints_;
  Metrics* metrics_;
  InterruptibleSleeper own_sleeper_;
  Sleeper* sleeper_ = &own_sleeper_;
  SystemClock own_clock_;
  const Clock* clock_ = &own_clock_;
  std::mutex unkept_mu_;
  std::map<int64_t, KeptAnswer> unkept_;  // guarded by unkept_mu_: paid for, not kept durably
  JobExtractor* jobs_ = nullptr;
  // guarded by unkept_mu_: submitted, id unstored (the row stays marked `submitting`)
  std::map<int64_t, ProviderJob> unmarked_jobs_;
};

}  // namespace ms::app
