// The extract → store stage: workers take claimed batches from Postgres (woken early by the
// claim stage's hand-over queue), run the configured Extractor, and store the events, history
// and outbox rows in one transaction. A failed store leaves the batch to be taken again.
// A failed extraction, by its status code:
//  - Cancelled (shutdown interrupted a wait): handed back at once, the attempt not counted.
//  - Unavailable/DeadlineExceeded/Aborted with no LLM call made (the circuit opened): handed
//    back for kNoCallRetryDelay, not counted. While the circuit is open workers take nothing.
//  - the same after calls were made: handed back for llm.batch_retry_delay (30 s), doubling up
//    to 30 min, until the batch has had llm.batch_attempts attempts; then `failed`.
//  - anything else (auth, quota, 400/context length, an answer unusable after its repair):
//    `failed` at once. Operators retry failed batches with `milestonectl batches retry`.
// Every attempt's tokens, calls, prefilter drops, rejected events and cost are added to the
// batch row and to the stats, whatever its outcome.
// Metrics (optional): stage_duration{stage="extract"} per extraction, successful or failed
// (prefilter, prompts and every LLM call with its retries, or the rules extractor);
// stage_duration{stage="store"} per store transaction; milestoned_llm_cost_usd_total by provider
// per stored batch, from llm.prices.
#pragma once

#include <atomic>
#include <chrono>

#include "config/config.h"
#include "observability/metrics.h"
#include "ports/ingest.h"
#include "ports/ledger.h"
#include "runtime/bounded_queue.h"

namespace ms::app {

struct ExtractStats {
  std::atomic<int64_t> batches_done{0};
  std::atomic<int64_t> batches_failed{0};
  std::atomic<int64_t> events_created{0};
  std::atomic<int64_t> events_sighted{0};
  std::atomic<int64_t> prompt_tokens{0};
  std::atomic<int64_t> completion_tokens{0};
  std::atomic<int64_t> llm_calls{0};
  std::atomic<int64_t> store_failures{0};
  std::atomic<int64_t> batches_handed_back{0};  // transient failures, shutdown, circuit open
  std::atomic<int64_t> prefilter_dropped{0};    // messages left out of prompts
  std::atomic<int64_t> events_rejected{0};      // answers' events failing validation
};

class ExtractStage {
 public:
  ExtractStage(const Config& config, BatchQueue* queue, Extractor* extractor,
               BoundedQueue<ClaimedBatch>* hints, ExtractStats* stats)
      : config_(config), queue_(queue), extractor_(extractor), hints_(hints), stats_(stats) {}

  // Optional, before the workers run. May be null.
  void SetMetrics(Metrics* metrics) { metrics_ = metrics; }

  // One worker; run max_concurrency of them. Returns when `stop` is set (after finishing the
  // batch in hand) or the hint queue is closed.
  void RunWorker(const std::atomic<bool>& stop);

  // Takes and processes one batch; sets *found to whether there was one.
  Status ProcessOne(bool* found);

 private:
  static constexpr std::chrono::milliseconds kMaxRetryDelay{30 * 60'000};
  static constexpr std::chrono::milliseconds kNoCallRetryDelay{5'000};

  // The llm.prices entry of the answering model, else of the requested one, else of the
  // longest priced name the answering model's dated name extends; null when none.
  const ModelPrice* PriceOf(const ExtractionResult& result) const;
  double CostOf(const ExtractionResult& result) const;
  // The wait before attempt `attempts` + 1 of a batch whose calls failed transiently.
  std::chrono::milliseconds RetryDelay(int attempts) const;
  // Adds an attempt's spending to the stats and the cost metric.
  void Account(const ExtractionResult& spent, double cost_usd);
  Status HandleFailure(BatchTicket& ticket, const Status& error, const ExtractionResult& spent);
  void ObserveStage(Stage stage, std::chrono::steady_clock::time_point started);

  const Config& config_;
  BatchQueue* queue_;
  Extractor* extractor_;
  BoundedQueue<ClaimedBatch>* hints_;
  ExtractStats* stats_;
  Metrics* metrics_ = nullptr;
};

}  // namespace ms::app
