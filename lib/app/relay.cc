#include "app/relay.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>

#include "app/failpoint.h"

namespace ms::app {
namespace {

constexpr std::chrono::milliseconds kRetryBase = std::chrono::seconds(1);
constexpr std::chrono::milliseconds kRetryCap = std::chrono::minutes(5);
// Past the producer's message timeout, so librdkafka reports a message that timed out itself.
constexpr std::chrono::milliseconds kProduceWaitMargin = std::chrono::seconds(5);
// A lease outlasts what its holder may have enqueued by this much.
constexpr std::chrono::milliseconds kLeaseMargin = std::chrono::seconds(10);
constexpr std::chrono::milliseconds kMaintenanceInterval = std::chrono::seconds(60);

// Groups row ids by the error message they get (an outage gives every row the same one).
using IdsByMessage = std::map<std::string, std::vector<int64_t>>;

bool NotTried(const Status& st) {
  return st.code() == StatusCode::kDeadlineExceeded &&
         st.message().find("round's time is up") != std::string::npos;
}

}  // namespace

std::chrono::milliseconds RelayProduceWait(std::chrono::milliseconds message_timeout) {
  if (message_timeout.count() <= 0) message_timeout = std::chrono::seconds(30);
  return message_timeout + kProduceWaitMargin;
}

OutboxRelay::OutboxRelay(const Config& config, Outbox* outbox, OutboxHousekeeping* housekeeping,
                         Sinks sinks, std::chrono::milliseconds produce_wait, const Clock* clock,
                         Sleeper* sleeper, Metrics* metrics)
    : config_(config),
      outbox_(outbox),
      housekeeping_(housekeeping),
      sinks_(sinks),
      lease_(produce_wait + kLeaseMargin),
      clock_(clock),
      sleeper_(sleeper),
      metrics_(metrics),
      mark_backoff_(kRetryBase, kRetryCap) {}

Status OutboxRelay::Lead() {
  MS_ASSIGN_OR_RETURN(std::optional<Leadership> lead, outbox_->TryLead());
  if (!lead) return Aborted("another instance is the relay");
  if (lead->wait.count() > 0) {
    spdlog::info("relay: waiting {} ms for the previous leader's lease to end", lead->wait.count());
    if (!sleeper_->SleepFor(lead->wait)) return Cancelled("shutting down");
  }
  SetLeading(lead->epoch);
  unmarked_.clear();  // what a former lead of this instance remembered may be marked by now
  spdlog::info("relay: this instance publishes the outbox (leader epoch {})", *epoch_);
  return Status::Ok();
}

void OutboxRelay::LoseLead(const Status& why) {
  if (!epoch_) return;
  spdlog::warn("relay: no longer the leader: {}", why.ToString());
  SetLeading(std::nullopt);
}

void OutboxRelay::SetLeading(std::optional<int64_t> epoch) {
  epoch_ = epoch;
  metrics_->Gauge<MetricId::relay_leader>().Set(epoch ? 1 : 0);
}

void OutboxRelay::ApplyUnmarked(std::vector<OutboxRow>& rows,
                                std::vector<RowOutcome>& outcomes) const {
  for (size_t idx = 0; idx < rows.size(); ++idx) {
    auto it = unmarked_.find(rows[idx].id);
    if (it == unmarked_.end()) continue;
    rows[idx].on_kafka = rows[idx].on_kafka || it->second.kafka_taken;
    outcomes[idx].delivered = it->second.delivered;
  }
}

void OutboxRelay::Deliver(const std::vector<OutboxRow>& rows, std::chrono::milliseconds deadline,
                          std::vector<RowOutcome>& outcomes) {
  std::vector<OutboxRow> pending;  // not delivered in an earlier, unmarked round
  std::vector<size_t> at;
  for (size_t idx = 0; idx < rows.size(); ++idx) {
    if (outcomes[idx].delivered) continue;
    pending.push_back(rows[idx]);
    at.push_back(idx);
  }
  std::vector<Status> results(pending.size(), Status::Ok());
  if (sinks_.kafka != nullptr && !pending.empty())
    results = sinks_.kafka->Deliver(pending, deadline - clock_->Monotonic());
  std::set<std::string> failed;     // companies with an undelivered earlier row this round
  std::set<std::string> off_kafka;  // companies with an earlier row Kafka has not taken
  std::vector<OutboxRow> to_webhook;
  std::vector<size_t> webhook_at;
  for (size_t idx = 0; idx < pending.size(); ++idx) {
    RowOutcome& outcome = outcomes[at[idx]];
    const OutboxRow& row = pending[idx];
    Status st = results[idx];
    // Recorded only behind an unbroken run of the company's rows on the topic: a row produced
    // again later must not land there after one of the company's later rows.
    if (sinks_.kafka != nullptr && !row.on_kafka) {
      outcome.kafka_taken = st.ok() && !off_kafka.count(row.company);
      if (!outcome.kafka_taken) off_kafka.insert(row.company);
    }
    if (st.ok() && failed.count(row.company)) st = Aborted("an earlier row of the company failed");
    if (st.ok() && sinks_.webhook != nullptr) {
      to_webhook.push_back(row);
      webhook_at.push_back(at[idx]);
      continue;
    }
    outcome.delivered = st.ok();
    if (!st.ok() && !NotTried(st)) outcome.first_failure = failed.insert(row.company).second;
    outcome.error = std::move(st);
  }
  if (to_webhook.empty()) return;
  std::vector<Status> posted = sinks_.webhook->Deliver(to_webhook, deadline - clock_->Monotonic());
  for (size_t idx = 0; idx < to_webhook.size(); ++idx) {
    RowOutcome& outcome = outcomes[webhook_at[idx]];
    outcome.delivered = posted[idx].ok();
    if (!posted[idx].ok() && !NotTried(posted[idx])) {
      outcome.first_failure = failed.insert(to_webhook[idx].company).second;
    }
    outcome.error = std::move(posted[idx]);
  }
}

Status OutboxRelay::Record(const std::vector<OutboxRow>& rows,
                           const std::vector<RowOutcome>& outcomes,
                           std::chrono::milliseconds round_started, Status* delivery_error) {
  std::vector<int64_t> published, on_kafka;
  IdsByMessage failed, waiting;
  Status first_error;
  for (size_t idx = 0; idx < rows.size(); ++idx) {
    const RowOutcome& outcome = outcomes[idx];
    const int64_t id = rows[idx].id;
    if (outcome.delivered) {
      published.push_back(id);
      unmarked_[id].delivered = true;
      continue;
    }
    if (outcome.kafka_taken) {
      on_kafka.push_back(id);
      unmarked_[id].kafka_taken = true;
    }
    if (NotTried(outcome.error)) continue;
    (outcome.first_failure ? failed : waiting)[outcome.error.message()].push_back(id);
    if (outcome.first_failure && first_error.ok()) first_error = outcome.error;
  }
  *delivery_error = first_error.WithContext("relay");
  const int64_t epoch = *epoch_;
  if (!published.empty()) {
    MS_ASSIGN_OR_RETURN(std::vector<double> latencies,
                        outbox_->MarkPublished(epoch, published, sinks_.kafka != nullptr));
    for (int64_t id : published) unmarked_.erase(id);
    metrics_->Counter<MetricId::outbox_published>().Increment(
        static_cast<double>(published.size()));
    ObservePublished(latencies, round_started);
  }
  if (!on_kafka.empty()) {
    MS_RETURN_IF_ERROR(outbox_->MarkOnKafka(epoch, on_kafka));
    for (int64_t id : on_kafka) unmarked_.erase(id);
  }
  for (const auto& [message, ids] : failed) {
    metrics_->Counter<MetricId::outbox_delivery_failures>().Increment(
        static_cast<double>(ids.size()));
    MS_RETURN_IF_ERROR(outbox_->MarkFailed(epoch, ids, message, kRetryBase, kRetryCap));
  }
  for (const auto& [message, ids] : waiting) {
    metrics_->Counter<MetricId::outbox_delivery_failures>().Increment(
        static_cast<double>(ids.size()));
    MS_RETURN_IF_ERROR(outbox_->NoteWaiting(epoch, ids, message));
  }
  return Status::Ok();
}

Status OutboxRelay::RunRound(bool* more, Status* delivery_error) {
  *more = false;
  if (!epoch_) return FailedPrecondition("relay: not the leader");
  const std::chrono::milliseconds round_started = clock_->Monotonic();
  if (Status renewed = outbox_->Renew(*epoch_, lease_); !renewed.ok()) {
    if (renewed.code() == StatusCode::kFailedPrecondition) LoseLead(renewed);
    return renewed;
  }
  // Everything this round sends is sent before the lease it just renewed runs out.
  const auto deadline = round_started + lease_ - kLeaseMargin;
  MS_ASSIGN_OR_RETURN(std::vector<OutboxRow> rows, outbox_->Due(config_.outbox.batch_size));
  if (rows.empty()) return Status::Ok();
  std::vector<RowOutcome> outcomes(rows.size());
  ApplyUnmarked(rows, outcomes);
  Deliver(rows, deadline, outcomes);
  if (std::any_of(outcomes.begin(), outcomes.end(),
                  [](const RowOutcome& o) { return o.delivered; })) {
    HoldAtFailpoint("relay.before_mark", std::to_string(rows.size()) + " outbox row(s)");
  }
  // Another round only after progress: rows a round had no time for are due again at once.
  *more = std::any_of(outcomes.begin(), outcomes.end(),
                      [](const RowOutcome& outcome) { return outcome.delivered; });
  Status recorded = Record(rows, outcomes, round_started, delivery_error);
  if (recorded.code() == StatusCode::kFailedPrecondition) LoseLead(recorded);
  return recorded;
}

Status OutboxRelay::PublishPending() {
  stalled_ = false;
  bool more = true;
  while (more) {
    Status delivery_error;
    Status st = RunRound(&more, &delivery_error);
    if (!st.ok()) {
      stalled_ = true;
      return st;
    }
    MS_RETURN_IF_ERROR(delivery_error);
  }
  return Status::Ok();
}

void OutboxRelay::ObservePublished(const std::vector<double>& latencies,
                                   std::chrono::milliseconds round_started) {
  const std::chrono::duration<double> took = clock_->Monotonic() - round_started;
  metrics_->StageLatency(Stage::kRelay).Observe(took.count());
  prometheus::Histogram& latency = metrics_->Histogram<MetricId::outbox_publish_latency>();
  for (double seconds : latencies) latency.Observe(std::max(0.0, seconds));
}

Status OutboxRelay::Maintain() {
  return housekeeping_->PrunePublished(config_.outbox.retention).status();
}

void OutboxRelay::MaybeMaintain() {
  const std::chrono::milliseconds now = clock_->Monotonic();
  if (last_maintenance_ && now - *last_maintenance_ < kMaintenanceInterval) return;
  Status maintained = Maintain();
  if (!maintained.ok()) spdlog::warn("relay: maintenance: {}", maintained.ToString());
  last_maintenance_ = now;
}

void OutboxRelay::Run(const std::atomic<bool>& stop) {
  // With nowhere to relay, the leader still keeps house (the outbox's retention).
  const bool relaying = sinks_.kafka != nullptr || sinks_.webhook != nullptr;
  if (!relaying) {
    spdlog::warn(
        "relay: neither kafka.events_topic nor outbox.webhook_url is set; the outbox "
        "is not relayed (events still go stale on schedule)");
  }
  const auto poll = config_.outbox.poll_interval;
  while (!stop.load()) {
    if (!epoch_) {
      Status led = Lead();
      if (!led.ok()) {
        if (led.code() != StatusCode::kAborted) spdlog::warn("relay: {}", led.ToString());
        sleeper_->SleepFor(poll);  // stand by; try again
        continue;
      }
    }
    Status st = relaying ? PublishPending() : Status::Ok();
    if (stalled_) {
      // The database refused the lease, the rows or their marks: back off, and send nothing
      // twice meanwhile (unmarked_ remembers what went out).
      const auto wait = std::max(poll, mark_backoff_.Next());
      spdlog::warn("relay: {} (next round in {} ms)", st.ToString(), wait.count());
      sleeper_->SleepFor(wait);
      continue;
    }
    mark_backoff_.Reset();
    if (!st.ok()) spdlog::warn("relay: {} (the rows wait for their next attempt)", st.ToString());
    if (epoch_) MaybeMaintain();
    if (!outbox_->WaitForRows(poll)) sleeper_->SleepFor(poll);
  }
  if (!epoch_) return;
  outbox_->Resign(*epoch_);
  SetLeading(std::nullopt);
}

}  // namespace ms::app
