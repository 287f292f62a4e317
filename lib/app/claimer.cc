#include "app/claimer.h"

#include <spdlog/spdlog.h>

namespace ms::app {
namespace {

// A claim older than this without being recorded belongs to a dead taker.
constexpr std::chrono::milliseconds kOrphanAge = std::chrono::seconds(30);

}  // namespace

Claimer::Claimer(const Config& config, BatchBuffer* buffer, MessageStore* store,
                 BatchLedger* ledger, BoundedQueue<std::string>* full_companies,
                 BoundedQueue<ClaimedBatch>* claimed, const Clock* clock, Metrics* metrics)
    : config_(config),
      buffer_(buffer),
      store_(store),
      ledger_(ledger),
      full_companies_(full_companies),
      claimed_(claimed),
      clock_(clock),
      metrics_(metrics) {}

void Claimer::Run(const std::atomic<bool>& stop) {
  // The first sweep runs at once (it rebuilds a Redis that lost its state).
  auto last_sweep = clock_->Monotonic() - config_.batch.sweep_interval;
  while (!stop.load()) {
    auto company = full_companies_->Pop(
        std::min(config_.batch.sweep_interval, std::chrono::milliseconds(500)));
    Status st;
    if (company) st = ClaimAll(*company);
    if (st.ok() && clock_->Monotonic() - last_sweep >= config_.batch.sweep_interval) {
      st = Sweep();
      if (st.ok()) last_sweep = clock_->Monotonic();
    }
    if (st.ok()) {
      retry_.Reset();
      continue;
    }
    metrics_->Counter<MetricId::claim_failures>().Increment();
    const auto wait = std::max(retry_.Next(), std::chrono::milliseconds(10));
    spdlog::warn("claim: {} (retrying in {} ms)", st.ToString(), wait.count());
    if (company) full_companies_->TryPush(*company);
    sleeper_->SleepFor(wait);
  }
}

Status Claimer::RecordAndRelease(const Claim& claim, std::chrono::milliseconds started) {
  MS_ASSIGN_OR_RETURN(ClaimedBatch batch, ledger_->RecordClaim(claim));
  MS_RETURN_IF_ERROR(buffer_->Release(claim));
  if (batch.batch_id == 0) return Status::Ok();  // every message was batched already
  const std::chrono::duration<double> took = clock_->Monotonic() - started;
  metrics_->Counter<MetricId::batches_claimed>().Increment();
  metrics_->StageLatency(Stage::kClaim).Observe(took.count());
  metrics_->Histogram<MetricId::batch_size>().Observe(static_cast<double>(batch.message_count));
  spdlog::debug("claim: batch {} company={} messages={} trigger={}", batch.batch_id,
                batch.company_id, batch.message_count, claim.trigger);
  if (!claimed_->Push(batch, std::chrono::seconds(5))) {
    // The batch is safe in Postgres as `claimed`; the extractor picks claimed batches up
    // from there too, so a full hand-over queue only delays it.
    spdlog::debug("claim: hand-over queue full; batch {} waits in Postgres", batch.batch_id);
  }
  return Status::Ok();
}

Status Claimer::ClaimAll(const std::string& company_id) {
  while (true) {
    const std::chrono::milliseconds started = clock_->Monotonic();
    MS_ASSIGN_OR_RETURN(auto claim, buffer_->TakeClaim(company_id, config_.batch.threshold,
                                                       config_.batch.max_age, clock_->Now()));
    if (!claim) return Status::Ok();
    // On failure the orphan sweep finishes it.
    MS_RETURN_IF_ERROR(RecordAndRelease(*claim, started));
  }
}

Status Claimer::RebuildIfNeeded() {
  MS_ASSIGN_OR_RETURN(bool needed, buffer_->NeedsRebuild());
  if (!needed) return Status::Ok();
  // Begin before reading Postgres: a flush during the rebuild removes the mark again, so it is
  // noticed and the rebuild runs again; a failed rebuild leaves "rebuilding" and is retried.
  MS_RETURN_IF_ERROR(buffer_->BeginRebuild());
  MS_RETURN_IF_ERROR(Reoffer(std::chrono::milliseconds(0)));
  MS_RETURN_IF_ERROR(buffer_->MarkRebuilt());
  metrics_->Counter<MetricId::pending_rebuilds>().Increment();
  return Status::Ok();
}

Status Claimer::Reoffer(std::chrono::milliseconds min_age) {
  constexpr int kPage = 5000;
  int64_t after_id = 0;
  size_t offered = 0;
  for (;;) {
    MS_ASSIGN_OR_RETURN(std::vector<MessageRef> page, store_->Pending(min_age, after_id, kPage));
    if (page.empty()) break;
    MS_ASSIGN_OR_RETURN(auto full, buffer_->Append(page, config_.batch.threshold, clock_->Now()));
    for (const auto& company : full) MS_RETURN_IF_ERROR(ClaimAll(company));
    offered += page.size();
    after_id = page.back().id;
    if (page.size() < static_cast<size_t>(kPage)) break;
  }
  if (offered > 0) spdlog::info("claim: re-offered {} unbatched messages from Postgres", offered);
  return Status::Ok();
}

Status Claimer::Sweep() {
  MS_RETURN_IF_ERROR(RebuildIfNeeded());
  MS_ASSIGN_OR_RETURN(std::vector<Claim> orphans, buffer_->Orphans(kOrphanAge, clock_->Now()));
  for (const Claim& claim : orphans) {
    if (claim.message_ids.empty()) {  // its ids were lost with Redis; Reoffer covers them
      MS_RETURN_IF_ERROR(buffer_->Release(claim));
      continue;
    }
    MS_RETURN_IF_ERROR(RecordAndRelease(claim, clock_->Monotonic()));
    metrics_->Counter<MetricId::orphan_claims_recovered>().Increment();
  }
  MS_ASSIGN_OR_RETURN(auto due, buffer_->DueCompanies(config_.batch.max_age, clock_->Now()));
  for (const std::string& company : due) MS_RETURN_IF_ERROR(ClaimAll(company));
  // Messages unbatched for much longer than max_age lost their buffer entry: offer them again.
  auto reoffer_age = std::max(config_.batch.max_age * 3, std::chrono::milliseconds(60000));
  if (!last_reoffer_ || clock_->Monotonic() - *last_reoffer_ >= reoffer_age) {
    MS_RETURN_IF_ERROR(Reoffer(reoffer_age));
    last_reoffer_ = clock_->Monotonic();
  }
  return Status::Ok();
}

}  // namespace ms::app
