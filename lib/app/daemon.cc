#include "app/daemon.h"

#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "adapters/http/server.h"
#include "adapters/kafka/admin.h"
#include "adapters/kafka/consumer_source.h"
#include "adapters/kafka/dead_letters.h"
#include "adapters/kafka/outbox_sink.h"
#include "adapters/postgres/batch_queue.h"
#include "adapters/postgres/message_store.h"
#include "adapters/postgres/migrations.h"
#include "adapters/postgres/pg_outbox.h"
#include "adapters/postgres/read_api.h"
#include "adapters/redis/batch_buffer.h"
#include "adapters/webhook/webhook_sink.h"
#include "app/assignment.h"
#include "app/claimer.h"
#include "app/deferred_read_api.h"
#include "app/extract_stage.h"
#include "app/extractor_factory.h"
#include "app/ingest_loop.h"
#include "app/options.h"
#include "app/relay.h"
#include "app/worker_guard.h"
#include "observability/health.h"
#include "observability/logging.h"
#include "observability/metrics.h"
#include "observability/systemd.h"
#include "pipeline/decode/decode.h"

namespace ms::app {
namespace {

// Dependency states refreshed by the ops thread. Readiness checks only read them, so /readyz
// answers at once and never touches a non-thread-safe client from an HTTP thread.
class Probes {
 public:
  void Set(const std::string& name, CheckResult result) {
    std::lock_guard<std::mutex> lock(mu_);
    results_[name] = std::move(result);
  }
  ReadinessCheck Check(std::string name) {
    return [this, name = std::move(name)] {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = results_.find(name);
      return it == results_.end() ? CheckResult{false, "not probed yet"} : it->second;
    };
  }

 private:
  std::mutex mu_;
  std::map<std::string, CheckResult> results_;  // guarded by mu_
};

// What the ops thread learned from its probes beyond the stages' own counters, and the
// progress line it last sent. Used by the ops thread only.
struct OpsView {
  std::optional<int64_t> lag;             // summed over partitions with a committed offset
  std::optional<int64_t> outbox_backlog;  // unpublished outbox rows, all instances
  std::string sent_status;
  std::chrono::steady_clock::time_point sent_at{};
};

// Every connection and stage of a running daemon. Built by StartEndpoint(), Start() and
// StartOps(); torn down in reverse.
struct Daemon {
  SystemClock clock;
  // Operate: first, so everything that reports to them is torn down before them.
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<HealthRegistry> health;
  std::unique_ptr<pg::Pool> pool;
  std::unique_ptr<pg::PgMessageStore> store;
  std::unique_ptr<kafka::Producer> producer;
  std::unique_ptr<kafka::KafkaDeadLetterSink> dead_letters;
  std::unique_ptr<redis::RedisBatchBuffer> ingest_buffer;
  std::unique_ptr<redis::RedisBatchBuffer> claim_buffer;
  std::unique_ptr<Ingestor> ingestor;
  std::unique_ptr<BoundedQueue<std::string>> full_companies;
  std::unique_ptr<BoundedQueue<ClaimedBatch>> claimed;
  IngestStats ingest_stats;
  ClaimStats claim_stats;
  std::unique_ptr<IngestLoop> ingest;
  std::unique_ptr<Claimer> claimer;
  // The consumer as the ingest loop sees it; destroyed after the consumer, whose close may still
  // call back into the loop.
  std::unique_ptr<kafka::ConsumerSource> source;
  std::unique_ptr<kafka::Consumer> consumer;
  std::unique_ptr<pg::PgBatchQueue> batch_queue;
  std::unique_ptr<ExtractorSet> extractors;
  ExtractStats extract_stats;
  std::unique_ptr<ExtractStage> extract;
  RelayStats relay_stats;
  std::unique_ptr<pg::PgOutbox> outbox;
  std::unique_ptr<kafka::KafkaOutboxSink> kafka_sink;  // null without kafka.events_topic
  std::unique_ptr<webhook::WebhookSink> webhook_sink;  // null without outbox.webhook_url
  std::unique_ptr<OutboxRelay> relay;
  // Operate: last, so the HTTP server stops before anything it serves goes away.
  Probes probes;
  OpsView ops_view;
  std::unique_ptr<pg::Pool> read_pool;
  std::unique_ptr<pg::PgReadApi> read_api;
  DeferredReadApi served_read_api;               // read_api once StartOps made it
  std::unique_ptr<redis::Connection> ops_redis;  // used by the ops thread only
  std::unique_ptr<http::HttpServer> http;
};

// The pipeline: connections, schema, topics and stages. After StartEndpoint (d.metrics).
Status Start(const Config& config, Daemon& d) {
  pg::PgOptions pg_options = PgOptionsFrom(config);
  // Each extraction worker holds a connection for its batch's lock; ingest and claim need theirs.
  pg_options.pool_size = std::max(pg_options.pool_size, config.llm.max_concurrency + 2);
  systemd::Status("starting: connecting to postgres");
  MS_ASSIGN_OR_RETURN(d.pool, pg::Pool::Open(pg_options));
  if (config.postgres.migrate_on_start) {
    systemd::Status("starting: migrating the schema");
    MS_ASSIGN_OR_RETURN(auto lease, d.pool->Acquire());
    MS_ASSIGN_OR_RETURN(auto report, pg::Migrate(*lease));
    spdlog::info("postgres: schema at version {} ({} applied now)", report.current_version,
                 report.applied.size());
  }
  d.store = std::make_unique<pg::PgMessageStore>(d.pool.get());
  if (config.kafka.create_topics) {
    systemd::Status("starting: creating kafka topics");
    std::vector<kafka::TopicSpec> topics;
    for (const auto& t : config.kafka.topics) topics.push_back({t, config.kafka.topic_partitions});
    topics.push_back({config.kafka.dlq_topic, config.kafka.topic_partitions});
    if (!config.kafka.events_topic.empty()) {
      topics.push_back({config.kafka.events_topic, config.kafka.topic_partitions});
    }
    MS_RETURN_IF_ERROR(kafka::EnsureTopics(config.kafka.brokers, ProducerPropertiesFrom(config),
                                           topics, std::chrono::seconds(30)));
  }
  systemd::Status("starting: connecting to kafka and redis");
  MS_ASSIGN_OR_RETURN(d.producer, kafka::Producer::Open(ProducerOptionsFrom(config)));
  d.dead_letters =
      std::make_unique<kafka::KafkaDeadLetterSink>(d.producer.get(), config.kafka.dlq_topic);
  MS_ASSIGN_OR_RETURN(auto ingest_conn, redis::Connection::Open(RedisOptionsFrom(config)));
  MS_ASSIGN_OR_RETURN(auto claim_conn, redis::Connection::Open(RedisOptionsFrom(config)));
  d.ingest_buffer =
      std::make_unique<redis::RedisBatchBuffer>(std::move(ingest_conn), config.redis.key_prefix);
  d.claim_buffer =
      std::make_unique<redis::RedisBatchBuffer>(std::move(claim_conn), config.redis.key_prefix);
  d.ingestor = std::make_unique<Ingestor>(d.store.get(), d.ingest_buffer.get(),
                                          d.dead_letters.get(), config.batch.threshold);
  d.full_companies =
      std::make_unique<BoundedQueue<std::string>>(static_cast<size_t>(config.batch.queue_capacity));
  d.claimed = std::make_unique<BoundedQueue<ClaimedBatch>>(
      static_cast<size_t>(config.batch.queue_capacity));
  d.ingest = std::make_unique<IngestLoop>(config, d.ingestor.get(), d.full_companies.get(),
                                          &d.clock, &d.ingest_stats);
  d.claimer =
      std::make_unique<Claimer>(config, d.claim_buffer.get(), d.store.get(), d.store.get(),
                                d.full_companies.get(), d.claimed.get(), &d.clock, &d.claim_stats);
  d.batch_queue = std::make_unique<pg::PgBatchQueue>(d.pool.get(), app::MilestoneRulesFrom(config));
  MS_ASSIGN_OR_RETURN(d.extractors, MakeExtractor(config, d.metrics.get()));
  spdlog::info("extract: provider={} model={}", d.extractors->provider, d.extractors->model);
  d.extract = std::make_unique<ExtractStage>(config, d.batch_queue.get(), d.extractors->extractor,
                                             d.claimed.get(), &d.extract_stats);
  d.extract->SetSleeper(&d.extractors->sleeper);
  d.outbox = std::make_unique<pg::PgOutbox>(PgOptionsFrom(config));
  const auto produce_wait = RelayProduceWait(d.producer->message_timeout());
  if (!config.kafka.events_topic.empty()) {
    d.kafka_sink = std::make_unique<kafka::KafkaOutboxSink>(
        d.producer.get(), config.kafka.events_topic, produce_wait);
  }
  if (!config.outbox.webhook_url.empty()) {
    d.webhook_sink = std::make_unique<webhook::WebhookSink>(config.outbox.webhook_url,
                                                            config.outbox.webhook_secret.Reveal());
  }
  d.relay =
      std::make_unique<OutboxRelay>(config, d.outbox.get(), d.outbox.get(),
                                    OutboxRelay::Sinks{d.kafka_sink.get(), d.webhook_sink.get()},
                                    produce_wait, &d.extractors->sleeper, &d.relay_stats);
  MS_ASSIGN_OR_RETURN(d.consumer,
                      kafka::Consumer::Open(ConsumerOptionsFrom(config), d.ingest.get()));
  d.ingest_stats.assignment.Subscribed(d.clock.Now());
  d.source = std::make_unique<kafka::ConsumerSource>(d.consumer.get());
  d.ingest->Attach(d.source.get());
  return Status::Ok();
}

// ---- Operate: metrics, health, HTTP endpoint, systemd (issue "Operate") ----

constexpr auto kOpsInterval = std::chrono::seconds(2);
// The ingest loop beats every poll (kafka.poll_timeout) and every backoff round (<= 5 s);
// 20 s without a beat is a wedged loop. Below WatchdogSec=30, so /healthz fails first.
constexpr auto kLivenessTimeout = std::chrono::seconds(20);
// The running STATUS= line is sent when it changed, and at least this often.
constexpr auto kProgressRefresh = std::chrono::seconds(5);

// Sleeps `duration` in short slices, returning early once `stop` is set.
void SleepUnless(const std::atomic<bool>& stop, std::chrono::milliseconds duration) {
  constexpr auto kSlice = std::chrono::milliseconds(50);
  for (auto slept = std::chrono::milliseconds(0); slept < duration && !stop.load();
       slept += kSlice) {
    std::this_thread::sleep_for(std::min(kSlice, duration - slept));
  }
}

CheckResult ResultOf(const Status& st, std::string ok_detail) {
  return st.ok() ? CheckResult{true, std::move(ok_detail)} : CheckResult{false, st.ToString()};
}

std::unique_ptr<Metrics> MakeMetrics(const Config& config) {
  MetricsOptions options;
  options.llm_providers = {std::string(LlmProviderName(config.llm.provider))};  // "rules", ...
  // DlqReason is a dense enum ending at kBadField.
  for (int r = 0; r <= static_cast<int>(DlqReason::kBadField); ++r) {
    options.dlq_reasons.emplace_back(DlqReasonCode(static_cast<DlqReason>(r)));
  }
  return std::make_unique<Metrics>(options);
}

// Kafka: a metadata round trip through the producer (works with zero partitions assigned),
// then the lag of every assigned partition.
void ProbeKafka(Daemon& d) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(d.producer->raw(), 0, nullptr, &md, 2000);
  if (md != nullptr) rd_kafka_metadata_destroy(md);
  auto lags = d.consumer->Lags(std::chrono::seconds(2));
  d.ops_view.lag.reset();
  if (lags.ok()) {
    std::vector<PartitionLag> out;
    int64_t total = 0;
    for (const auto& lag : *lags) {
      if (lag.committed < 0 || lag.high_watermark < 0) continue;  // nothing committed yet
      out.push_back({lag.tp.topic, lag.tp.partition, lag.high_watermark - lag.committed});
      total += lag.high_watermark - lag.committed;
    }
    d.metrics->SetConsumerLags(out);
    d.ops_view.lag = total;
  }
  d.probes.Set("kafka", err ? CheckResult{false, rd_kafka_err2str(err)}
                            : CheckResult{true, "brokers reachable"});
}

// Postgres (through the read pool, so a busy pipeline pool does not read as "down"), and the
// outbox backlog across all instances.
void ProbePostgres(Daemon& d) {
  auto lease = d.read_pool->Acquire(std::chrono::seconds(1));
  if (!lease.ok()) return d.probes.Set("postgres", ResultOf(lease.status(), ""));
  auto backlog = (*lease)->Exec("SELECT count(*) FROM outbox WHERE published_at IS NULL");
  d.ops_view.outbox_backlog.reset();
  if (backlog.ok()) {
    d.ops_view.outbox_backlog = backlog->GetInt(0, 0);
    d.metrics->OutboxBacklog().Set(static_cast<double>(*d.ops_view.outbox_backlog));
  }
  d.probes.Set("postgres", ResultOf(backlog.status(), "reachable"));
}

// Redis, and the pending gauges from the buffer's due ZSET (score = oldest pending, epoch ms).
void ProbeRedis(const Config& config, Daemon& d) {
  const std::string due = config.redis.key_prefix + ":due";
  auto replies = d.ops_redis->Pipeline({{"ZCARD", due}, {"ZRANGE", due, "0", "0", "WITHSCORES"}});
  if (replies.ok() && replies->size() == 2) {
    d.metrics->PendingCompanies().Set(static_cast<double>((*replies)[0].integer));
    const auto& oldest = (*replies)[1].elements;
    double age_s = 0;
    if (oldest.size() == 2) {
      double oldest_ms = std::strtod(oldest[1].str.c_str(), nullptr);
      age_s = std::max(0.0, (static_cast<double>(d.clock.Now().count()) - oldest_ms) / 1000);
    }
    d.metrics->OldestPendingAge().Set(age_s);
  }
  d.probes.Set("redis", ResultOf(replies.status(), "reachable"));
}

// Stage totals kept as atomics by the stages, copied into the registry, and the LLM circuit.
void BridgeStats(Daemon& d) {
  Metrics& m = *d.metrics;
  const std::string provider = d.extractors ? d.extractors->provider : "rules";
  SyncCounter(m.BatchesClaimed(), static_cast<double>(d.claim_stats.batches.load()));
  SyncCounter(m.BatchesDone(), static_cast<double>(d.extract_stats.batches_done.load()));
  SyncCounter(m.BatchesFailed(), static_cast<double>(d.extract_stats.batches_failed.load()));
  SyncCounter(m.BatchesRetried(), static_cast<double>(d.extract_stats.batches_handed_back.load()));
  SyncCounter(m.PrefilterDropped(), static_cast<double>(d.extract_stats.prefilter_dropped.load()));
  SyncCounter(m.EventsRejected(), static_cast<double>(d.extract_stats.events_rejected.load()));
  SyncCounter(m.LlmTokens(provider, TokenDirection::kIn),
              static_cast<double>(d.extract_stats.prompt_tokens.load()));
  SyncCounter(m.LlmTokens(provider, TokenDirection::kOut),
              static_cast<double>(d.extract_stats.completion_tokens.load()));
  m.IngestPaused().Set(d.ingest_stats.paused ? 1 : 0);
  m.RelayLeader().Set(d.relay_stats.leader ? 1 : 0);
  if (!d.extractors || !d.extractors->llm) return d.probes.Set("llm", {true, "rules extractor"});
  BreakerState breaker = d.extractors->llm->breaker_state();
  m.SetCircuitState(provider, breaker == BreakerState::kOpen       ? CircuitState::kOpen
                              : breaker == BreakerState::kHalfOpen ? CircuitState::kHalfOpen
                                                                   : CircuitState::kClosed);
  const auto quota_paused = d.extractors->llm->policy().quota_paused_for();
  if (quota_paused.count() > 0) {
    return d.probes.Set("llm", {false, "quota or spend limit exhausted; calls paused for " +
                                           std::to_string(quota_paused.count() / 1000) + " s"});
  }
  d.probes.Set(
      "llm", {breaker != BreakerState::kOpen, "circuit " + std::string(BreakerStateName(breaker))});
}

// "running: 12034 messages stored, 61 batches done, 0 failed, lag 0, outbox backlog 0" for
// `systemctl status`; "?" where the last probe failed.
std::string ProgressLine(const Daemon& d) {
  auto known = [](const std::optional<int64_t>& value) {
    return value ? std::to_string(*value) : std::string("?");
  };
  return "running: " + std::to_string(d.ingest_stats.stored.load()) + " messages stored, " +
         std::to_string(d.extract_stats.batches_done.load()) + " batches done, " +
         std::to_string(d.extract_stats.batches_failed.load()) + " failed, lag " +
         known(d.ops_view.lag) + ", outbox backlog " + known(d.ops_view.outbox_backlog);
}

// Sends the progress line while serving, when it changed or every kProgressRefresh.
void ReportProgress(Daemon& d) {
  const std::string line = ProgressLine(d);
  const auto now = std::chrono::steady_clock::now();
  if (line == d.ops_view.sent_status && now - d.ops_view.sent_at < kProgressRefresh) return;
  if (d.health->phase() != HealthPhase::kServing) return;  // start-up and drain say so instead
  systemd::Status(line);
  d.ops_view.sent_status = line;
  d.ops_view.sent_at = now;
}

// The ops thread: stats, probes and the progress line.
void RunOps(const Config& config, Daemon& d, const std::atomic<bool>& stop) {
  while (!stop.load()) {
    BridgeStats(d);
    ProbeKafka(d);
    ProbePostgres(d);
    ProbeRedis(config, d);
    ReportProgress(d);
    SleepUnless(stop, kOpsInterval);
  }
}

// How often to send WATCHDOG=1: half of WatchdogSec, as sd_watchdog_enabled(3) asks, and at
// least every kOpsInterval.
std::chrono::milliseconds WatchdogPeriod() {
  auto interval = systemd::WatchdogInterval();
  if (!interval) return kOpsInterval;
  auto half = std::chrono::duration_cast<std::chrono::milliseconds>(*interval / 2);
  return std::clamp(half, std::chrono::milliseconds(1), std::chrono::milliseconds(kOpsInterval));
}

// The watchdog thread: pings while the ingest loop beats. A thread of its own, so that slow
// probes (each bounded by seconds) cannot delay a ping past a short WatchdogSec.
void RunWatchdog(Daemon& d, const std::atomic<bool>& stop) {
  const std::chrono::milliseconds period = WatchdogPeriod();
  while (!stop.load()) {
    Liveness live = d.health->CheckLiveness();
    if (live.alive) {
      systemd::Watchdog();
    } else {
      spdlog::warn(
          "liveness: no heartbeat from the ingest loop for {} ms; withholding the "
          "watchdog ping",
          live.since_beat.count());
    }
    SleepUnless(stop, period);
  }
}

// How long a member may own no partitions while a rebalance is due before /readyz says so:
// two session timeouts, by which the group has evicted a silent member and reassigned.
std::chrono::milliseconds AssignmentGrace(const Config& config) {
  int64_t session_ms = 45000;  // librdkafka's default session.timeout.ms
  auto it = config.kafka.consumer.properties.find("session.timeout.ms");
  if (it != config.kafka.consumer.properties.end()) {
    session_ms = std::strtoll(it->second.c_str(), nullptr, 10);
  }
  return std::chrono::milliseconds(2 * std::max<int64_t>(session_ms, 1000));
}

// Before Start(): the metrics, health and HTTP server, so that during the slow part of
// start-up (migrations, topic creation) /healthz answers 200 and /readyz 503 "starting", and
// /metrics is scraped. The HTTP port is bound here, so a port in use fails start-up at once
// (systemd restarts the unit) instead of running blind.
Status StartEndpoint(const Config& config, Daemon& d) {
  d.metrics = MakeMetrics(config);
  d.health = std::make_unique<HealthRegistry>(&d.clock, kLivenessTimeout);
  for (const char* name : {"kafka", "postgres", "redis", "llm"}) {
    d.health->AddCheck(name, d.probes.Check(name));
  }
  d.health->AddCheck("partitions", [&d, grace = AssignmentGrace(config)] {
    return PartitionCheck(d.ingest_stats.assignment.Snapshot(), d.clock.Now(), grace);
  });
  if (config.http.port != 0) {
    MS_ASSIGN_OR_RETURN(
        d.http, http::HttpServer::Start({config.http.listen, config.http.port},
                                        {d.metrics.get(), d.health.get(), &d.served_read_api,
                                         config.http.token.Reveal()}));
  }
  return Status::Ok();
}

// After Start(): the read API, the ops connections, and every stage reporting to the metrics.
Status StartOps(const Config& config, Daemon& d) {
  pg::PgOptions read_options = PgOptionsFrom(config);
  read_options.pool_size = 2;
  read_options.application_name = "milestoned-read";
  MS_ASSIGN_OR_RETURN(d.read_pool, pg::Pool::Open(read_options));
  d.read_api = std::make_unique<pg::PgReadApi>(d.read_pool.get());
  d.served_read_api.Set(d.read_api.get());
  MS_ASSIGN_OR_RETURN(d.ops_redis, redis::Connection::Open(RedisOptionsFrom(config)));
  d.ingest->SetObservers(d.metrics.get(), d.health.get());
  d.claimer->SetMetrics(d.metrics.get());
  d.extract->SetMetrics(d.metrics.get());
  d.relay->SetMetrics(d.metrics.get());
  return Status::Ok();
}

// Blocks the stop signals in every thread; a dedicated thread waits for them.
sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Handles SIGHUP (log reopen) and the stop signals: the first sets `stop` and starts the
// shutdown.timeout clock; a second signal, or draining past the timeout, ends the process at
// once (exit 1) — what was not committed is redelivered, as after a crash.
void WaitForSignals(sigset_t set, std::atomic<bool>* stop, std::chrono::milliseconds timeout) {
  std::optional<std::chrono::steady_clock::time_point> deadline;
  while (true) {
    int sig = 0;
    if (!deadline) {
      if (sigwait(&set, &sig) != 0) continue;
    } else {
      auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
          *deadline - std::chrono::steady_clock::now());
      timespec wait{static_cast<time_t>(std::max<int64_t>(0, left.count()) / 1'000'000'000),
                    static_cast<long>(std::max<int64_t>(0, left.count()) % 1'000'000'000)};
      sig = sigtimedwait(&set, nullptr, &wait);
      if (sig < 0 && errno == EAGAIN) {
        spdlog::error(
            "shutdown.timeout ({} ms) exceeded while draining: exiting now; what was not "
            "committed is redelivered",
            timeout.count());
        spdlog::shutdown();
        _exit(1);
      }
      if (sig < 0) continue;  // EINTR
    }
    if (sig == SIGHUP) {
      Status st = ReopenLogs();
      spdlog::info("SIGHUP: log file reopened{}", st.ok() ? "" : " failed: " + st.message());
      continue;
    }
    if (stop->exchange(true)) {
      spdlog::warn("second signal: exiting at once");
      spdlog::shutdown();
      _exit(1);
    }
    deadline = std::chrono::steady_clock::now() + timeout;
    spdlog::info("{}: draining (at most shutdown.timeout, {} ms)", strsignal(sig), timeout.count());
  }
}

// The consumer thread's loop behind its exception boundary: unlike the other workers it is
// not started again (its in-flight batches and the consumer's state go with it), the daemon
// drains and stops instead, and what it had not stored is redelivered.
Status RunIngest(Daemon& d, const std::atomic<bool>& stop) {
  try {
    return d.ingest->Run(stop);
  } catch (const std::exception& e) {
    d.metrics->WorkerExceptions("ingest").Increment();
    return Internal(std::string("an exception escaped the ingest loop: ") + e.what());
  }
}

}  // namespace

int RunDaemon(const Config& config) {
  // Before any thread exists (spdlog's flusher, librdkafka's): every thread inherits the mask.
  sigset_t signals = StopSignals();
  Status st = SetupLogging(config.log);
  if (!st.ok()) {
    fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  std::atomic<bool> stop{false};
  std::thread(WaitForSignals, signals, &stop, config.shutdown.timeout).detach();

  Daemon d;
  systemd::Status("starting");
  st = StartEndpoint(config, d);
  if (st.ok()) st = Start(config, d);
  if (st.ok()) st = StartOps(config, d);
  if (!st.ok()) {
    spdlog::critical("start-up failed: {}", st.ToString());
    return 1;
  }
  spdlog::info("milestoned running: brokers={} topics={} group={}", config.kafka.brokers,
               config.kafka.topics.size(), config.kafka.group_id);
  std::atomic<bool> watchdog_stop{false};  // pings go on while draining
  std::thread watchdog_thread([&] { RunWatchdog(d, watchdog_stop); });
  std::thread ops_thread([&] { RunOps(config, d, stop); });
  std::vector<std::thread> workers;
  Sleeper& pause = d.extractors->sleeper;  // interrupted when the drain starts
  Metrics* metrics = d.metrics.get();
  workers.emplace_back(
      [&] { RunGuarded("claim", stop, pause, metrics, [&] { d.claimer->Run(stop); }); });
  workers.emplace_back(
      [&] { RunGuarded("relay", stop, pause, metrics, [&] { d.relay->Run(stop); }); });
  for (int idx = 0; idx < config.llm.max_concurrency; ++idx) {
    workers.emplace_back(
        [&] { RunGuarded("extract", stop, pause, metrics, [&] { d.extract->RunWorker(stop); }); });
  }
  d.health->SetPhase(HealthPhase::kServing);
  systemd::Ready();
  systemd::Status("running");
  st = RunIngest(d, stop);
  if (!st.ok()) spdlog::error("ingest stopped: {}", st.ToString());
  stop = true;
  d.health->SetPhase(HealthPhase::kDraining);
  systemd::Stopping();
  systemd::Status("draining");
  d.extractors->sleeper.Interrupt();  // cut LLM backoff waits short
  d.claimed->Close();
  ops_thread.join();  // before Close: the ops thread reads the consumer's lag
  Status closed = d.consumer->Close();
  if (!closed.ok()) spdlog::warn("consumer close: {}", closed.message());
  for (auto& worker : workers) worker.join();
  Status flushed = d.producer->Flush(std::chrono::seconds(10));
  if (!flushed.ok()) spdlog::warn("producer flush: {}", flushed.message());
  spdlog::info(
      "stopped: polls={} records={} stored={} dead={} batches={} extracted={} failed={} "
      "events={} published={}",
      d.ingest_stats.polls.load(), d.ingest_stats.records.load(), d.ingest_stats.stored.load(),
      d.ingest_stats.dead.load(), d.claim_stats.batches.load(), d.extract_stats.batches_done.load(),
      d.extract_stats.batches_failed.load(), d.extract_stats.events_created.load(),
      d.relay_stats.published.load());
  watchdog_stop = true;
  watchdog_thread.join();
  spdlog::default_logger()->flush();
  return st.ok() ? 0 : 1;
}

}  // namespace ms::app
