#include "app/extract_stage.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "pipeline/record.h"

namespace ms::app {

namespace {

constexpr int kStoreAttempts = 3;

// Crash-test hook: MILESTONE_FAILPOINT=extract.before_store holds the worker forever between
// the model's answer and the store transaction, after logging that it got there, so a test can
// kill -9 the process at that point (tests/e2e). Never set in production.
void MaybeHoldBeforeStore(int64_t batch_id) {
  static const bool armed = [] {
    const char* fp = std::getenv("MILESTONE_FAILPOINT");
    return fp != nullptr && std::strcmp(fp, "extract.before_store") == 0;
  }();
  if (!armed) return;
  spdlog::warn("failpoint extract.before_store reached: holding batch {} until killed", batch_id);
  spdlog::default_logger()->flush();
  for (;;) pause();
}

}  // namespace

const ModelPrice* ExtractStage::PriceOf(const ExtractionResult& result) const {
  const auto& prices = config_.llm.prices;
  for (const std::string* name : {&result.model, &result.requested_model}) {
    auto it = prices.find(*name);
    if (it != prices.end()) return &it->second;
  }
  // Providers answer with a dated snapshot of the model asked for ("gpt-4o-mini" answers as
  // "gpt-4o-mini-2024-07-18", "claude-3-5-haiku-latest" as "claude-3-5-haiku-20241022"): the
  // longest priced name the answering model extends with "-<digit>..." is its price.
  const ModelPrice* best = nullptr;
  size_t best_length = 0;
  for (const auto& [name, price] : prices) {
    const std::string& served = result.model;
    if (name.size() <= best_length || served.size() < name.size() + 2) continue;
    if (served.compare(0, name.size(), name) != 0 || served[name.size()] != '-') continue;
    if (!std::isdigit(static_cast<unsigned char>(served[name.size() + 1]))) continue;
    best = &price;
    best_length = name.size();
  }
  return best;
}

double ExtractStage::CostOf(const ExtractionResult& result) const {
  const ModelPrice* price = PriceOf(result);
  if (price == nullptr) return 0;
  return EstimateCostUsd(result.usage, price->input_per_mtok, price->output_per_mtok);
}

std::chrono::milliseconds ExtractStage::RetryDelay(int attempts) const {
  const int doublings = std::clamp(attempts - 1, 0, 16);
  const auto first = std::min(config_.llm.batch_retry_delay, kMaxRetryDelay);
  return std::min(first * (int64_t{1} << doublings), kMaxRetryDelay);
}

void ExtractStage::Account(const ExtractionResult& spent, double cost_usd) {
  stats_->prompt_tokens += spent.usage.prompt_tokens;
  stats_->completion_tokens += spent.usage.completion_tokens;
  stats_->llm_calls += spent.llm_calls;
  stats_->prefilter_dropped += spent.dropped_by_prefilter;
  stats_->events_rejected += spent.rejected_events;
  if (metrics_ != nullptr && cost_usd > 0) metrics_->LlmCost(spent.provider).Increment(cost_usd);
}

Status ExtractStage::HandleFailure(BatchTicket& ticket, const Status& error,
                                   const ExtractionResult& spent) {
  const double cost_usd = CostOf(spent);
  Account(spent, cost_usd);
  const std::string batch =
      "batch " + std::to_string(ticket.batch_id()) + " company=" + ticket.company_id();
  const StatusCode code = error.code();
  if (code == StatusCode::kCancelled) {
    stats_->batches_handed_back += 1;
    spdlog::info("extract: {} handed back at shutdown: {}", batch, error.message());
    return ticket.HandBack(error.ToString(), spent, {cost_usd}, std::chrono::milliseconds(0),
                           /*count_attempt=*/false);
  }
  const bool transient = code == StatusCode::kUnavailable ||
                         code == StatusCode::kDeadlineExceeded || code == StatusCode::kAborted;
  if (transient && spent.llm_calls == 0) {
    // Refused before any call (the circuit opened meanwhile): not the batch's fault.
    stats_->batches_handed_back += 1;
    spdlog::info("extract: {} handed back, no call made: {}", batch, error.message());
    return ticket.HandBack(error.ToString(), spent, {cost_usd}, kNoCallRetryDelay,
                           /*count_attempt=*/false);
  }
  if (transient && ticket.attempts() < config_.llm.batch_attempts) {
    const auto delay = RetryDelay(ticket.attempts());
    stats_->batches_handed_back += 1;
    spdlog::warn("extract: {} attempt {}/{} failed, next in {} s: {}", batch, ticket.attempts(),
                 config_.llm.batch_attempts, delay.count() / 1000, error.ToString());
    return ticket.HandBack(error.ToString(), spent, {cost_usd}, delay, /*count_attempt=*/true);
  }
  stats_->batches_failed += 1;
  std::string reason = error.ToString();
  if (transient) reason += " (gave up after " + std::to_string(ticket.attempts()) + " attempts)";
  spdlog::warn("extract: {} failed: {}", batch, reason);
  return ticket.Fail(reason, spent, {cost_usd});
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
  ExtractionResult extracted;
  Status extract_status = extractor_->ExtractInto(request, &extracted);
  ObserveStage(Stage::kExtract, extract_started);
  if (!extract_status.ok()) return HandleFailure(*ticket, extract_status, extracted);
  std::vector<std::string> fingerprints = MergeByFingerprint(request.company_id, &extracted.events);
  MaybeHoldBeforeStore(ticket->batch_id());
  const double cost_usd = CostOf(extracted);
  const auto store_started = std::chrono::steady_clock::now();
  auto outcome = ticket->Store(extracted, fingerprints, {cost_usd});
  // A conflict (deadlock, serialization failure) rolled the transaction back: store the same
  // answer again rather than leave the batch for a retry that pays for the extraction twice.
  for (int attempt = 1;
       attempt < kStoreAttempts && !outcome.ok() && outcome.status().code() == StatusCode::kAborted;
       ++attempt) {
    spdlog::info("extract: batch {} store conflict, storing again: {}", ticket->batch_id(),
                 outcome.status().message());
    std::this_thread::sleep_for(std::chrono::milliseconds(100) * attempt);
    outcome = ticket->Store(extracted, fingerprints, {cost_usd});
  }
  MS_RETURN_IF_ERROR(outcome.status());
  ObserveStage(Stage::kStore, store_started);
  if (outcome->already_done) return Status::Ok();
  Account(extracted, cost_usd);
  stats_->batches_done += 1;
  stats_->events_created += outcome->created;
  stats_->events_sighted += outcome->sighted;
  spdlog::info("extract: batch {} company={} messages={} events: {} new, {} seen again ({})",
               ticket->batch_id(), ticket->company_id(), request.messages.size(), outcome->created,
               outcome->sighted, extracted.provider);
  return Status::Ok();
}

void ExtractStage::RunWorker(const std::atomic<bool>& stop) {
  while (!stop.load()) {
    // An open circuit would fail every batch without a call: leave them queued meanwhile.
    if (auto wait = extractor_->ReadyIn(); wait.count() > 0) {
      (void)hints_->Pop(std::min<std::chrono::milliseconds>(wait, std::chrono::seconds(1)));
      continue;
    }
    bool found = true;
    while (found && !stop.load() && extractor_->ReadyIn().count() == 0) {
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
