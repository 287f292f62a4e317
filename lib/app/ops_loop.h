// The ops thread: every kOpsInterval it sets the LLM circuit state, probes Kafka (a metadata
// round trip and the consumer's lag), Postgres (the outbox backlog, through the read pool) and
// Redis (pending companies and the oldest pending age, on a connection of its own), stores each
// probe's result in Probes for /readyz, and sends the STATUS= progress line to systemd while
// serving. The stages count into Metrics themselves; the progress line reads its totals there.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "app/extractor_factory.h"
#include "core/clock.h"
#include "core/sleeper.h"
#include "observability/health.h"
#include "observability/metrics.h"

namespace ms::app {

inline constexpr std::chrono::milliseconds kOpsInterval{2000};

// Dependency states refreshed by the ops thread. Readiness checks only read them, so /readyz
// answers at once and never touches a non-thread-safe client from an HTTP thread. Thread-safe.
class Probes {
 public:
  void Set(const std::string& name, CheckResult result);
  // A readiness check reporting the last result stored under `name` ("not probed yet" before
  // the first). The check refers to this object, which must outlive the health registry's use.
  ReadinessCheck Check(std::string name);

 private:
  std::mutex mu_;
  std::map<std::string, CheckResult> results_;  // guarded by mu_
};

// One assigned partition's committed offset and high watermark (-1: not known yet).
struct PartitionOffsets {
  std::string topic;
  int32_t partition = -1;
  int64_t committed = -1;
  int64_t high_watermark = -1;
};

// The pending buffer at a glance.
struct PendingSummary {
  int64_t companies = 0;                            // companies with pending messages
  std::optional<std::chrono::milliseconds> oldest;  // arrival (Clock::Now) of the oldest one
};

// The dependencies as the ops thread probes them, each call bounded by a few seconds. The
// composition root binds them to the adapters; tests to fakes.
struct OpsDependencies {
  std::function<Status()> ping_brokers;  // a Kafka metadata round trip
  // Of every assigned partition; called on the loop's thread until Stop() returns.
  std::function<StatusOr<std::vector<PartitionOffsets>>()> partition_offsets;
  std::function<StatusOr<int64_t>()> outbox_backlog;  // unpublished rows, all instances
  std::function<StatusOr<PendingSummary>()> pending;
};

class OpsLoop {
 public:
  // What the loop reads and probes; every pointer, and what each dependency uses, must
  // outlive the loop's thread.
  struct Deps {
    const Clock* clock = nullptr;
    Metrics* metrics = nullptr;
    const HealthRegistry* health = nullptr;
    Probes* probes = nullptr;
    OpsDependencies dependencies;
    const ExtractorSet* extractors = nullptr;
  };

  explicit OpsLoop(Deps deps) : deps_(std::move(deps)) {}
  ~OpsLoop() { Stop(); }
  OpsLoop(const OpsLoop&) = delete;
  OpsLoop& operator=(const OpsLoop&) = delete;

  // Starts the thread. Once.
  void Start();
  // Ends the loop after the round in hand (each probe is bounded by seconds) and joins it.
  // Idempotent. After it returns the loop touches none of its dependencies.
  void Stop();

  // One round on the caller's thread (the thread runs one every kOpsInterval): the LLM
  // circuit, the probes and the gauges, the progress line. For tests, without Start.
  void RunOnce();

 private:
  void Run();
  void ProbeLlm();
  void ProbeKafka();
  void ProbePostgres();
  void ProbeRedis();
  std::string ProgressLine() const;
  void ReportProgress();

  Deps deps_;
  InterruptibleSleeper sleeper_;  // Stop interrupts the wait between rounds
  std::thread thread_;
  // What the probes learned beyond the metrics, and the progress line last sent; used by the
  // loop's thread only.
  std::optional<int64_t> lag_;             // summed over partitions with a committed offset
  std::optional<int64_t> outbox_backlog_;  // unpublished outbox rows, all instances
  std::string sent_status_;
  std::optional<std::chrono::milliseconds> sent_at_;  // Clock::Monotonic
};

}  // namespace ms::app
