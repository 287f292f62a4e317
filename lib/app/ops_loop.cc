#include "app/ops_loop.h"

#include <algorithm>
#include <vector>

#include "observability/systemd.h"

namespace ms::app {
namespace {

// The running STATUS= line is sent when it changed, and at least this often.
constexpr auto kProgressRefresh = std::chrono::seconds(5);

CheckResult ResultOf(const Status& st, std::string ok_detail) {
  return st.ok() ? CheckResult{true, std::move(ok_detail)} : CheckResult{false, st.ToString()};
}

}  // namespace

void Probes::Set(const std::string& name, CheckResult result) {
  std::lock_guard<std::mutex> lock(mu_);
  results_[name] = std::move(result);
}

ReadinessCheck Probes::Check(std::string name) {
  return [this, name = std::move(name)] {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = results_.find(name);
    return it == results_.end() ? CheckResult{false, "not probed yet"} : it->second;
  };
}

void OpsLoop::Start() {
  thread_ = std::thread([this] { Run(); });
}

void OpsLoop::Stop() {
  sleeper_.Interrupt();
  if (thread_.joinable()) thread_.join();
}

void OpsLoop::Run() {
  do {
    RunOnce();
  } while (sleeper_.SleepFor(kOpsInterval));
}

void OpsLoop::RunOnce() {
  ProbeLlm();
  ProbeKafka();
  ProbePostgres();
  ProbeRedis();
  ReportProgress();
}

// Kafka: a metadata round trip through the producer (works with zero partitions assigned),
// then the lag of every assigned partition.
void OpsLoop::ProbeKafka() {
  Status brokers = deps_.dependencies.ping_brokers();
  auto offsets = deps_.dependencies.partition_offsets();
  lag_.reset();
  if (offsets.ok()) {
    std::vector<PartitionLag> out;
    int64_t total = 0;
    for (const PartitionOffsets& at : *offsets) {
      if (at.committed < 0 || at.high_watermark < 0) continue;  // nothing committed yet
      out.push_back({at.topic, at.partition, at.high_watermark - at.committed});
      total += at.high_watermark - at.committed;
    }
    deps_.metrics->SetConsumerLags(out);
    lag_ = total;
  }
  deps_.probes->Set("kafka", brokers.ok() ? CheckResult{true, "brokers reachable"}
                                          : CheckResult{false, brokers.message()});
}

// Postgres, and the outbox backlog across all instances.
void OpsLoop::ProbePostgres() {
  StatusOr<int64_t> backlog = deps_.dependencies.outbox_backlog();
  outbox_backlog_.reset();
  if (backlog.ok()) {
    outbox_backlog_ = *backlog;
    deps_.metrics->Gauge<MetricId::outbox_backlog>().Set(static_cast<double>(*backlog));
  }
  deps_.probes->Set("postgres", ResultOf(backlog.status(), "reachable"));
}

// Redis, and the pending gauges from the buffer's due index.
void OpsLoop::ProbeRedis() {
  StatusOr<PendingSummary> due = deps_.dependencies.pending();
  if (due.ok()) {
    deps_.metrics->Gauge<MetricId::pending_companies>().Set(static_cast<double>(due->companies));
    double age_s = 0;
    if (due->oldest) {
      age_s =
          std::max(0.0, static_cast<double>((deps_.clock->Now() - *due->oldest).count()) / 1000);
    }
    deps_.metrics->Gauge<MetricId::oldest_pending_age>().Set(age_s);
  }
  deps_.probes->Set("redis", ResultOf(due.status(), "reachable"));
}

// The LLM circuit: its state for the metrics, and whether /readyz may count on the model.
void OpsLoop::ProbeLlm() {
  const ExtractorSet* extractors = deps_.extractors;
  if (!extractors || !extractors->llm) {
    return deps_.probes->Set("llm", {true, "rules extractor"});
  }
  BreakerState breaker = extractors->llm->breaker_state();
  const std::string& provider = extractors->provider;
  deps_.metrics->SetCircuitState(provider, breaker == BreakerState::kOpen ? CircuitState::kOpen
                                           : breaker == BreakerState::kHalfOpen
                                               ? CircuitState::kHalfOpen
                                               : CircuitState::kClosed);
  const auto quota_paused = extractors->llm->policy().quota_paused_for();
  if (quota_paused.count() > 0) {
    return deps_.probes->Set("llm",
                             {false, "quota or spend limit exhausted; calls paused for " +
                                         std::to_string(quota_paused.count() / 1000) + " s"});
  }
  deps_.probes->Set(
      "llm", {breaker != BreakerState::kOpen, "circuit " + std::string(BreakerStateName(breaker))});
}

// "running: 12034 messages stored, 61 batches done, 0 failed, lag 0, outbox backlog 0" for
// `systemctl status`; "?" where the last probe failed.
std::string OpsLoop::ProgressLine() const {
  auto known = [](const std::optional<int64_t>& value) {
    return value ? std::to_string(*value) : std::string("?");
  };
  auto total = [this](MetricId id) {
    return std::to_string(static_cast<int64_t>(deps_.metrics->Total(id)));
  };
  return "running: " + total(MetricId::messages_stored) + " messages stored, " +
         total(MetricId::batches_done) + " batches done, " + total(MetricId::batches_failed) +
         " failed, lag " + known(lag_) + ", outbox backlog " + known(outbox_backlog_);
}

// Sends the progress line while serving, when it changed or every kProgressRefresh.
void OpsLoop::ReportProgress() {
  const std::string line = ProgressLine();
  const std::chrono::milliseconds now = deps_.clock->Monotonic();
  if (line == sent_status_ && sent_at_ && now - *sent_at_ < kProgressRefresh) return;
  if (deps_.health->phase() != HealthPhase::kServing) return;  // start-up and drain say so
  systemd::NotifyStatus(line);
  sent_status_ = line;
  sent_at_ = now;
}

}  // namespace ms::app
