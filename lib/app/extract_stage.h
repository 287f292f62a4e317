// The extract → store stage: workers take claimed batches from Postgres (woken early by the
// claim stage's hand-over queue), run the configured Extractor, and store the events, history
// and outbox rows in one transaction. A failed extraction marks the batch `failed` with the
// error (operators retry with `milestonectl batches retry`); a failed store leaves the batch
// to be taken again.
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
  double CostOf(const ExtractionResult& result) const;
  void ObserveStage(Stage stage, std::chrono::steady_clock::time_point started);

  const Config& config_;
  BatchQueue* queue_;
  Extractor* extractor_;
  BoundedQueue<ClaimedBatch>* hints_;
  ExtractStats* stats_;
  Metrics* metrics_ = nullptr;
};

}  // namespace ms::app
