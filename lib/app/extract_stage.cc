#include "app/extract_stage.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <thread>

#include "pipeline/record.h"

namespace ms::app {

namespace {

constexpr int kStoreAttempts = 3;

// Crash-test hook: MILESTONE_FAILPOINT=extract.before_store makes the process die between the
// model's answer and the store transaction, as a kill -9 would (tests/e2e).
void MaybeCrashBeforeStore() {
  static const bool armed = [] {
    const char* fp = std::getenv("MILESTONE_FAILPOINT");
    return fp != nullptr && std::strcmp(fp, "extract.before_store") == 0;
  }();
  if (armed) _exit(137);
}

}  // namespace

double ExtractStage::CostOf(const ExtractionResult& result) const {
  auto it = config_.llm.prices.find(result.model);
  if (it == config_.llm.prices.end()) return 0;
  return EstimateCostUsd(result.usage, it->second.input_per_mtok, it->second.output_per_mtok);
}

void ExtractStage::ObserveStage(Stage stage, std::chrono::steady_clock::time_point started) {
  if (metrics_ != nullptr) metrics_->StageLatency(stage).Observe(SecondsSince(started));
}

Status ExtractStage::ProcessOne(bool* found) {
  MS_ASSIGN_OR_RETURN(std::unique_ptr<BatchTicket> ticket, queue_->Take());
  *found = ticket != nullptr;
  if (!ticket) return Status::Ok();
  MS_ASSIGN_OR_RETURN(ExtractionRequest request, ticket->Load());
  const auto extract_started = std::chrono::steady_clock::now();
  auto result = extractor_->Extract(request);
  ObserveStage(Stage::kExtract, extract_started);
  if (!result.ok()) {
    stats_->batches_failed += 1;
    spdlog::warn("extract: batch {} company={} failed: {}", ticket->batch_id(),
                 ticket->company_id(), result.status().ToString());
    return ticket->Fail(result.status().ToString(), nullptr);
  }
  std::vector<std::string> fingerprints = MergeByFingerprint(request.company_id, &result->events);
  MaybeCrashBeforeStore();
  const double cost_usd = CostOf(*result);
  const auto store_started = std::chrono::steady_clock::now();
  auto outcome = ticket->Store(*result, fingerprints, {cost_usd});
  // A conflict (deadlock, serialization failure) rolled the transaction back: store the same
  // answer again rather than leave the batch for a retry that pays for the extraction twice.
  for (int attempt = 1;
       attempt < kStoreAttempts && !outcome.ok() && outcome.status().code() == StatusCode::kAborted;
       ++attempt) {
    spdlog::info("extract: batch {} store conflict, storing again: {}", ticket->batch_id(),
                 outcome.status().message());
    std::this_thread::sleep_for(std::chrono::milliseconds(100) * attempt);
    outcome = ticket->Store(*result, fingerprints, {cost_usd});
  }
  MS_RETURN_IF_ERROR(outcome.status());
  ObserveStage(Stage::kStore, store_started);
  if (outcome->already_done) return Status::Ok();
  if (metrics_ != nullptr) metrics_->LlmCost(result->provider).Increment(cost_usd);
  stats_->batches_done += 1;
  stats_->events_created += outcome->created;
  stats_->events_sighted += outcome->sighted;
  stats_->prompt_tokens += result->usage.prompt_tokens;
  stats_->completion_tokens += result->usage.completion_tokens;
  stats_->llm_calls += result->llm_calls;
  spdlog::info("extract: batch {} company={} messages={} events: {} new, {} seen again ({})",
               ticket->batch_id(), ticket->company_id(), request.messages.size(), outcome->created,
               outcome->sighted, result->provider);
  return Status::Ok();
}

void ExtractStage::RunWorker(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    bool found = true;
    while (found && !stop.load()) {
      Status st = ProcessOne(&found);
      if (!st.ok()) {
        stats_->store_failures += 1;
        spdlog::warn("extract: {} (batch left for retry)", st.ToString());
        found = false;
      }
    }
    // Wait for the claim stage's hint, or poll Postgres every second regardless.
    (void)hints_->Pop(std::chrono::seconds(1));
  }
}

}  // namespace ms::app
