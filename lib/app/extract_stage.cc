#include "app/extract_stage.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

#include "app/failpoint.h"
#include "pipeline/ledger/record.h"

namespace ms::app {
namespace {

// An answer no model call went into (the offline rules decided every message): extracting it
// again costs nothing, so it is never kept on the batch row. A provider job's answer is never
// one, whatever it was priced at (a model with no price, a collect after the first) or counted
// as calls (a job's requests are not).
bool MadeNoCall(const BatchTicket& ticket, const KeptAnswer& answer) {
  return !ticket.job() && answer.result.llm_calls == 0 && answer.cost_usd == 0;
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
  auto cost = [&](const TokenUsage& usage) {
    return EstimateCostUsd(usage, price->input_per_mtok, price->output_per_mtok,
                           price->CachedInputRate());
  };
  // What a batch job answered is billed at batch_multiplier of the full price.
  return cost(result.usage) - (1.0 - price->batch_multiplier) * cost(result.batch_usage);
}

std::chrono::milliseconds ExtractStage::RetryDelay(int attempts) const {
  const int doublings = std::clamp(attempts - 1, 0, 16);
  const auto first = std::min(config_.llm.batch_retry_delay, kMaxRetryDelay);
  return std::min(first * (int64_t{1} << doublings), kMaxRetryDelay);
}

void ExtractStage::Account(const ExtractionResult& spent, double cost_usd) {
  const std::string& provider = spent.provider;
  const TokenUsage& usage = spent.usage;
  metrics_->LlmTokens(provider, TokenDirection::kIn).Increment(usage.prompt_tokens);
  metrics_->LlmTokens(provider, TokenDirection::kOut).Increment(usage.completion_tokens);
  metrics_->LlmTokens(provider, TokenDirection::kCached).Increment(usage.cached_prompt_tokens);
  metrics_->LlmTokens(provider, TokenDirection::kCacheWrite).Increment(usage.cache_write_tokens);
  if (cost_usd > 0) metrics_->LlmCost(provider).Increment(cost_usd);
  if (cost_usd > 0 && !spent.mode.empty()) metrics_->ModeCost(spent.mode).Increment(cost_usd);
  metrics_->Counter<MetricId::prefilter_dropped>().Increment(spent.dropped_by_prefilter);
  metrics_->Counter<MetricId::decided_offline>().Increment(spent.decided_offline);
  metrics_->Counter<MetricId::events_rejected>().Increment(spent.rejected_events);
}

Status ExtractStage::HandleFailure(BatchTicket& ticket, const Status& error,
                                   const ExtractionResult& spent) {
  const double cost_usd = CostOf(spent);
  Account(spent, cost_usd);
  const std::string batch =
      "batch " + std::to_string(ticket.batch_id()) + " company=" + ticket.company_id();
  const StatusCode code = error.code();
  if (code == StatusCode::kCancelled) {
    metrics_->Counter<MetricId::batches_retried>().Increment();
    spdlog::info("extract: {} handed back at shutdown: {}", batch, error.message());
    return ticket.HandBack(error.ToString(), spent, {cost_usd}, std::chrono::milliseconds(0),
                           /*count_attempt=*/false);
  }
  const bool transient = code == StatusCode::kUnavailable ||
                         code == StatusCode::kDeadlineExceeded || code == StatusCode::kAborted;
  if (transient && spent.llm_calls == 0) {
    // Refused before any call (the circuit opened meanwhile): not the batch's fault.
    metrics_->Counter<MetricId::batches_retried>().Increment();
    spdlog::info("extract: {} handed back, no call made: {}", batch, error.message());
    return ticket.HandBack(error.ToString(), spent, {cost_usd}, kNoCallRetryDelay,
                           /*count_attempt=*/false);
  }
  if (transient && ticket.attempts() < config_.llm.batch_attempts) {
    const auto delay = RetryDelay(ticket.attempts());
    metrics_->Counter<MetricId::batches_retried>().Increment();
    spdlog::warn("extract: {} attempt {}/{} failed, next in {} s: {}", batch, ticket.attempts(),
                 config_.llm.batch_attempts, delay.count() / 1000, error.ToString());
    return ticket.HandBack(error.ToString(), spent, {cost_usd}, delay, /*count_attempt=*/true);
  }
  metrics_->Counter<MetricId::batches_failed>().Increment();
  std::string reason = error.ToString();
  if (transient) reason += " (gave up after " + std::to_string(ticket.attempts()) + " attempts)";
  spdlog::warn("extract: {} failed: {}", batch, reason);
  return ticket.Fail(reason, spent, {cost_usd});
}

void ExtractStage::ObserveStage(Stage stage, std::chrono::milliseconds started) {
  const std::chrono::duration<double> took = clock_->Monotonic() - started;
  metrics_->StageLatency(stage).Observe(took.count());
}

std::chrono::milliseconds ExtractStage::StoreRetryDelay(int store_attempts) {
  const int doublings = std::clamp(store_attempts - 1, 0, 16);
  return std::min(kFirstStoreRetryDelay * (int64_t{1} << doublings), kMaxStoreRetryDelay);
}

void ExtractStage::HoldUnkept(int64_t batch_id, KeptAnswer answer) {
  std::lock_guard lock(unkept_mu_);
  if (unkept_.size() >= kMaxUnkept && unkept_.count(batch_id) == 0) {
    unkept_.erase(unkept_.begin());  // the oldest batch id: bounded memory over a long outage
  }
  unkept_[batch_id] = std::move(answer);
}

std::optional<KeptAnswer> ExtractStage::TakeUnkept(int64_t batch_id) {
  std::lock_guard lock(unkept_mu_);
  auto it = unkept_.find(batch_id);
  if (it == unkept_.end()) return std::nullopt;
  KeptAnswer answer = std::move(it->second);
  unkept_.erase(it);
  return answer;
}

StatusOr<std::optional<KeptAnswer>> ExtractStage::Answer(BatchTicket& ticket) {
  MS_ASSIGN_OR_RETURN(std::optional<KeptAnswer> kept, ticket.LoadKept());
  std::optional<KeptAnswer> unkept = TakeUnkept(ticket.batch_id());
  if (kept) return kept;
  if (unkept) {
    // Paid for by this process, but its keeping failed: keep it now, or hold it again.
    Status st = ticket.Keep(*unkept);
    if (!st.ok()) HoldUnkept(ticket.batch_id(), *unkept);
    return unkept;
  }
  MS_ASSIGN_OR_RETURN(ExtractionRequest request, ticket.Load());
  // A batch with a job (or a submission marker) is never extracted synchronously here, whatever
  // llm.submit says now.
  if (jobs_ != nullptr || ticket.job()) return JobAnswer(ticket, request);
  const std::chrono::milliseconds extract_started = clock_->Monotonic();
  ExtractionResult extracted;
  Status extract_status = extractor_->ExtractInto(request, &extracted);
  ObserveStage(Stage::kExtract, extract_started);
  if (!extract_status.ok()) {
    MS_RETURN_IF_ERROR(HandleFailure(ticket, extract_status, extracted));
    return std::optional<KeptAnswer>();
  }
  return KeepNew(ticket, request, std::move(extracted));
}

StatusOr<std::optional<KeptAnswer>> ExtractStage::KeepNew(BatchTicket& ticket,
                                                          const ExtractionRequest& request,
                                                          ExtractionResult extracted) {
  KeptAnswer answer;
  answer.fingerprints = MergeByFingerprint(request.company_id, &extracted.events);
  if (int cleaned = CleanForStore(&extracted); cleaned > 0) {
    spdlog::info("extract: batch {} answer: {} string(s) cleaned of NULs or ill-formed UTF-8",
                 ticket.batch_id(), cleaned);
  }
  answer.cost_usd = CostOf(extracted);
  answer.messages = static_cast<int>(request.messages.size());
  answer.result = std::move(extracted);
  if (MadeNoCall(ticket, answer)) return std::optional<KeptAnswer>(std::move(answer));  // not kept
  if (Status st = ticket.Keep(answer); !st.ok()) {
    // Not kept durably: held in memory, so this process stores it without paying again.
    HoldUnkept(ticket.batch_id(), answer);
    MS_RETURN_IF_ERROR(StoreFailed(ticket, st.WithContext("keeping the answer"), answer));
    return std::optional<KeptAnswer>();
  }
  return std::optional<KeptAnswer>(std::move(answer));
}

StatusOr<std::optional<KeptAnswer>> ExtractStage::JobAnswer(BatchTicket& ticket,
                                                            const ExtractionRequest& request) {
  std::optional<ProviderJob> job = ticket.job();
  if (job && job->id.empty()) {
    // Marked `submitting` with no id: a submission whose outcome is unknown. Only this process
    // may know the id (its storing failed); anyone else must not submit again.
    std::optional<ProviderJob> unmarked;
    {
      std::lock_guard lock(unkept_mu_);
      if (auto it = unmarked_jobs_.find(ticket.batch_id()); it != unmarked_jobs_.end()) {
        unmarked = it->second;
      }
    }
    if (!unmarked || jobs_ == nullptr) {
      ExtractionResult spent;
      spent.provider = jobs_ != nullptr ? jobs_->provider() : job->provider;
      return FailSubmissionUnknown(ticket, "", spent);
    }
    return MarkJob(ticket, *unmarked);
  }
  if (job) {
    if (jobs_ == nullptr || (!job->provider.empty() && job->provider != jobs_->provider())) {
      return LeaveJob(ticket, *job);
    }
    return CollectJob(ticket, request, *job);
  }
  return SubmitJob(ticket, request);
}

StatusOr<std::optional<KeptAnswer>> ExtractStage::SubmitJob(BatchTicket& ticket,
                                                            const ExtractionRequest& request) {
  JobExtractor::Submission submission;
  jobs_->Prepare(request, &submission);
  if (submission.requests.empty()) {
    return KeepNew(ticket, request, std::move(submission.decided));
  }
  // Committed before the provider is asked: from here on, no one submits this batch again
  // unless the marker is cleared on a definite refusal (or by `batches retry`).
  MS_RETURN_IF_ERROR(ticket.MarkSubmitting().WithContext("marking the batch submitting"));
  const std::chrono::milliseconds started = clock_->Monotonic();
  StatusOr<std::string> sent = jobs_->Send(ticket.batch_id(), submission.requests);
  ObserveStage(Stage::kExtract, started);
  ExtractionResult spent;
  spent.provider = jobs_->provider();
  spent.llm_calls = 1;
  if (!sent.ok()) {
    if (sent.status().code() == StatusCode::kDeadlineExceeded) {
      return FailSubmissionUnknown(ticket, sent.status().ToString(), spent);
    }
    // Definitely no job: the marker goes, and the retry policy decides. If even that fails,
    // the marker stays and the next take fails the batch visibly rather than guess.
    MS_RETURN_IF_ERROR(ticket.ClearSubmitting().WithContext("clearing the submitting marker"));
    MS_RETURN_IF_ERROR(
        HandleFailure(ticket, sent.status().WithContext("submitting a batch job"), spent));
    return std::optional<KeptAnswer>();
  }
  const int requests = static_cast<int>(submission.requests.size());
  metrics_->LlmBatchJobs("submitted").Increment();
  spdlog::info("extract: batch {} company={} submitted as {} job {} ({} request(s))",
               ticket.batch_id(), ticket.company_id(), jobs_->provider(), *sent, requests);
  ProviderJob submitted;
  submitted.id = *sent;
  submitted.request_hashes = JobExtractor::RequestHashes(submission.requests);
  return MarkJob(ticket, submitted);
}

StatusOr<std::optional<KeptAnswer>> ExtractStage::MarkJob(BatchTicket& ticket,
                                                          const ProviderJob& job) {
  const std::string& job_id = job.id;
  Status st;
  for (int attempt = 1;; ++attempt) {
    st = ticket.MarkSubmitted(jobs_->provider(), job_id, job.request_hashes,
                              config_.llm.batch_poll_interval);
    if (st.ok() || st.code() == StatusCode::kFailedPrecondition || attempt >= kMarkAttempts) break;
    spdlog::warn("extract: batch {} storing job {} failed, again: {}", ticket.batch_id(), job_id,
                 st.ToString());
    // Still holding the ticket and its lock: no one else takes the batch meanwhile.
    if (!sleeper_->SleepFor(kFirstMarkRetryDelay * attempt)) break;
  }
  std::lock_guard lock(unkept_mu_);
  if (st.ok()) {
    unmarked_jobs_.erase(ticket.batch_id());
    return std::optional<KeptAnswer>();
  }
  // The batch stays marked `submitting`: this process marks it again on its next take; any
  // other process (or this one after a restart) fails it visibly rather than submit again.
  unmarked_jobs_[ticket.batch_id()] = job;
  spdlog::error("extract: batch {} company={} submitted as {} job {} but the id is not stored: {}",
                ticket.batch_id(), ticket.company_id(), jobs_->provider(), job_id, st.ToString());
  return st.WithContext("storing batch job " + job_id);
}

StatusOr<std::optional<KeptAnswer>> ExtractStage::FailSubmissionUnknown(
    BatchTicket& ticket, const std::string& cause, const ExtractionResult& spent) {
  Account(spent, 0);
  metrics_->Counter<MetricId::batches_failed>().Increment();
  const std::string id = std::to_string(ticket.batch_id());
  std::string reason =
      cause.empty() ? "a batch job submission was interrupted" : "submitting a batch job: " + cause;
  reason += "; a provider job may exist for this batch (label " +
            JobExtractor::Label(ticket.batch_id()) + ", custom_ids " + id +
            "-<n>): check the provider, then `milestonectl batches retry " + id + "` submits again";
  spdlog::warn("extract: batch {} company={} failed: {}", id, ticket.company_id(), reason);
  MS_RETURN_IF_ERROR(ticket.Fail(reason, spent, {0}));
  return std::optional<KeptAnswer>();
}

StatusOr<std::optional<KeptAnswer>> ExtractStage::LeaveJob(BatchTicket& ticket,
                                                           const ProviderJob& job) {
  const std::string now =
      jobs_ == nullptr ? "llm.submit is sync" : "llm.provider is " + jobs_->provider();
  metrics_->LlmBatchJobs("poll_error").Increment();
  spdlog::warn(
      "extract: batch {} company={} is {} job {}, but {} here: left submitted, not extracted "
      "again; drain submitted batches (llm.submit: batch, llm.provider: {}) before switching",
      ticket.batch_id(), ticket.company_id(), job.provider, job.id, now, job.provider);
  MS_RETURN_IF_ERROR(ticket.AwaitJob("not polled: " + now, config_.llm.batch_poll_interval));
  return std::optional<KeptAnswer>();
}

StatusOr<std::optional<KeptAnswer>> ExtractStage::CollectJob(BatchTicket& ticket,
                                                             const ExtractionRequest& request,
                                                             const ProviderJob& job) {
  const auto poll_in = config_.llm.batch_poll_interval;
  StatusOr<JobStatus> polled = jobs_->Poll(job.id);
  JobStatus status;
  if (polled.ok()) {
    status = std::move(polled).value();
  } else if (polled.status().code() == StatusCode::kNotFound) {
    // The provider says there is no such job: it counts as failed and its requests go
    // synchronously, which fails the batch visibly if they are refused too.
    spdlog::warn("extract: batch {} job {} does not exist, taken as failed: {}", ticket.batch_id(),
                 job.id, polled.status().ToString());
    status.state = JobState::kFailed;
    status.provider_state = "no such job: " + polled.status().ToString();
  } else {
    // Down, auth, a wrong base_url, results too large: nothing is known of the job, which may
    // still answer. It stays submitted and is polled again; nothing is re-sent at full price.
    metrics_->LlmBatchJobs("poll_error").Increment();
    spdlog::warn("extract: batch {} polling job {} failed, polled again later: {}",
                 ticket.batch_id(), job.id, polled.status().ToString());
    MS_RETURN_IF_ERROR(ticket.AwaitJob("poll failed: " + polled.status().ToString(), poll_in));
    return std::optional<KeptAnswer>();
  }
  if (status.state == JobState::kPending) {
    MS_RETURN_IF_ERROR(ticket.AwaitJob(status.provider_state, poll_in));
    return std::optional<KeptAnswer>();
  }
  const std::chrono::milliseconds started = clock_->Monotonic();
  ExtractionResult extracted;
  int fallbacks = 0, changed = 0;
  // The job's own usage is counted by the first collect of the ended job only (stored state
  // still `pending`); a later collect, after a failed fallback, counts its own calls.
  const bool first_collect = job.state == "pending";
  Status collected = jobs_->Collect(request, status, &extracted, &fallbacks, first_collect,
                                    job.request_hashes, &changed);
  ObserveStage(Stage::kExtract, started);
  const std::string end_state = JobExtractor::EndState(status, fallbacks);
  if (first_collect) metrics_->LlmBatchJobs(end_state).Increment();
  metrics_->Counter<MetricId::llm_batch_fallbacks>().Increment(fallbacks);
  if (fallbacks > 0) {
    spdlog::warn(
        "extract: batch {} job {} ended {} ({}): {} request(s) re-sent synchronously, {} of them "
        "because the batch's prompt changed since it was submitted (a message edited or the "
        "prompt options changed)",
        ticket.batch_id(), job.id, end_state, status.provider_state, fallbacks, changed);
  }
  MS_RETURN_IF_ERROR(ticket.EndJob(end_state, status.provider_state, fallbacks));
  if (!collected.ok()) {
    MS_RETURN_IF_ERROR(HandleFailure(ticket, collected, extracted));
    return std::optional<KeptAnswer>();
  }
  return KeepNew(ticket, request, std::move(extracted));
}

Status ExtractStage::StoreFailed(BatchTicket& ticket, const Status& error,
                                 const KeptAnswer& answer) {
  metrics_->Counter<MetricId::batch_store_failures>().Increment();
  const int attempt = ticket.store_attempts() + 1;
  const std::string batch =
      "batch " + std::to_string(ticket.batch_id()) + " company=" + ticket.company_id();
  const bool free = MadeNoCall(ticket, answer);
  if (attempt < kStoreAttempts) {
    const auto delay = StoreRetryDelay(attempt);
    std::string reason =
        "store attempt " + std::to_string(attempt) + "/" + std::to_string(kStoreAttempts) +
        " failed, " +
        (free ? "the answer made no call and is extracted again: " : "the answer is kept: ") +
        error.ToString();
    spdlog::warn("extract: {} {}; next store in {} ms", batch, reason, delay.count());
    return ticket.RetryStore(reason, delay);
  }
  metrics_->Counter<MetricId::batches_failed>().Increment();
  Account(answer.result, answer.cost_usd);
  std::string reason = "store failed " + std::to_string(attempt) + " times (" +
                       (free ? "the answer made no call: `milestonectl batches retry` extracts "
                               "it again offline"
                             : "the answer is kept: `milestonectl batches retry` stores it "
                               "without calling the model") +
                       "): " + error.ToString();
  spdlog::warn("extract: {} failed: {}", batch, reason);
  return ticket.Fail(reason, answer.result, {answer.cost_usd});
}

void ExtractStage::ReleaseJob(const BatchTicket& ticket) {
  const std::optional<ProviderJob> job = ticket.job();
  if (jobs_ == nullptr || !job || job->id.empty()) return;
  if (!job->provider.empty() && job->provider != jobs_->provider()) return;
  if (Status st = jobs_->Release(job->id); !st.ok()) {
    spdlog::warn(
        "extract: batch {} is stored, but the provider's files of job {} were not "
        "deleted (they stay in the provider's file storage): {}",
        ticket.batch_id(), job->id, st.ToString());
  }
}

Status ExtractStage::ProcessOne(bool* found) {
  MS_ASSIGN_OR_RETURN(std::unique_ptr<BatchTicket> ticket, queue_->Take());
  *found = ticket != nullptr;
  if (!ticket) return Status::Ok();
  MS_ASSIGN_OR_RETURN(std::optional<KeptAnswer> answer, Answer(*ticket));
  if (!answer) return Status::Ok();  // the failure is handled
  HoldAtFailpoint("extract.before_store", "batch " + std::to_string(ticket->batch_id()));
  const ExtractionResult& extracted = answer->result;
  const std::chrono::milliseconds store_started = clock_->Monotonic();
  auto outcome = ticket->Store(extracted, answer->fingerprints, {answer->cost_usd});
  // A conflict (deadlock, serialization failure) rolled the transaction back: store the same
  // answer again at once, a few times, before the slower retry of StoreFailed.
  for (int attempt = 1; attempt < kStoreConflictAttempts && !outcome.ok() &&
                        outcome.status().code() == StatusCode::kAborted;
       ++attempt) {
    spdlog::info("extract: batch {} store conflict, storing again: {}", ticket->batch_id(),
                 outcome.status().message());
    if (!sleeper_->SleepFor(std::chrono::milliseconds(100) * attempt)) break;
    outcome = ticket->Store(extracted, answer->fingerprints, {answer->cost_usd});
  }
  if (!outcome.ok()) return StoreFailed(*ticket, outcome.status(), *answer);
  ObserveStage(Stage::kStore, store_started);
  if (outcome->already_done) return Status::Ok();
  ReleaseJob(*ticket);
  Account(extracted, answer->cost_usd);
  if (!extracted.mode.empty()) metrics_->CountModeMessages(extracted.mode, answer->messages);
  metrics_->Counter<MetricId::batches_done>().Increment();
  metrics_->Counter<MetricId::events_created>().Increment(outcome->created);
  metrics_->Counter<MetricId::events_sighted>().Increment(outcome->sighted);
  metrics_->Counter<MetricId::events_rejected>().Increment(outcome->rejected);
  for (const std::string& refusal : outcome->refusals) {
    spdlog::warn("extract: batch {} event refused by the database, left out: {}",
                 ticket->batch_id(), refusal);
  }
  spdlog::info("extract: batch {} company={} messages={} events: {} new, {} seen again ({})",
               ticket->batch_id(), ticket->company_id(), answer->messages, outcome->created,
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
        metrics_->Counter<MetricId::batch_store_failures>().Increment();
        spdlog::warn("extract: {} (batch left for retry)", st.ToString());
        found = false;
      }
    }
    // Wait for the claim stage's hint, or poll Postgres every second regardless.
    (void)hints_->Pop(std::chrono::seconds(1));
  }
}

}  // namespace ms::app
