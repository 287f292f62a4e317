// The ops thread: every kOpsInterval it sets the LLM circuit state, probes Kafka (a metadata
// round trip and the consumer's lag), Postgres (the outbox backlog, through the read pool) and
// Redis (pending companies and the oldest pending age, on a connection of its own), stores each
// probe's result in Probes for /readyz, and sends the STATUS= progress line to systemd while
// serving. The stages count into Metrics themselves; the progress line reads its totals there.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "adapters/kafka/consumer.h"
#include "adapters/kafka/producer.h"
#include "adapters/postgres/pg.h"
#include "adapters/redis/redis.h"
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

class OpsLoop {
 public:
  // What the loop reads and probes; every pointer must outlive the loop's thread.
  struct Deps {
    const Clock* clock = nullptr;
    Metrics* metrics = nullptr;
    const HealthRegistry* health = nullptr;
    Probes* probes = nullptr;
    kafka::Producer* producer = nullptr;  // for the broker probe (thread-safe)
    kafka::Consumer* consumer = nullptr;  // for the lag; the loop stops before it closes
    pg::Pool* read_pool = nullptr;
    redis::Connection* redis = nullptr;  // the loop's own
    std::string redis_prefix;            // redis.key_prefix
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
