#include "app/daemon.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "adapters/http/server.h"
#include "adapters/kafka/admin.h"
#include "adapters/kafka/consumer_source.h"
#include "adapters/kafka/dead_letters.h"
#include "adapters/kafka/outbox_sink.h"
#include "adapters/postgres/batch_queue.h"
#include "adapters/postgres/event_lifecycle.h"
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
#include "app/ops_loop.h"
#include "app/options.h"
#include "app/relay.h"
#include "app/signals.h"
#include "app/stale_sweep.h"
#include "app/watchdog.h"
#include "app/worker_guard.h"
#include "observability/health.h"
#include "observability/logging.h"
#include "observability/metrics.h"
#include "observability/systemd.h"
#include "pipeline/decode/decode.h"

namespace ms::app {
namespace {

// The ingest loop beats every poll (kafka.poll_timeout) and every backoff round (<= 5 s);
// 20 s without a beat is a wedged loop. Below WatchdogSec=30, so /healthz fails first.
constexpr auto kLivenessTimeout = std::chrono::seconds(20);

struct Daemon;
void Release(Daemon& d);

// Every connection, stage and thread of a running daemon. Built by StartEndpoint(), Start()
// and StartOps(); stopped by Drain() and freed by Release(), each in the order written there.
// The order of the members below means nothing.
struct Daemon {
  Daemon() = default;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;
  ~Daemon() { Release(*this); }

  SystemClock clock;
  // Operate.
  std::unique_ptr<Metrics> metrics;
  std::unique_ptr<HealthRegistry> health;
  Probes probes;
  std::unique_ptr<http::HttpServer> http;
  std::unique_ptr<pg::Pool> read_pool;
  std::unique_ptr<pg::PgReadApi> read_api;
  DeferredReadApi served_read_api;               // read_api once StartOps made it
  std::unique_ptr<redis::Connection> ops_redis;  // used by the ops thread only
  std::unique_ptr<OpsLoop> ops;
  std::unique_ptr<WatchdogThread> watchdog;
  // Ingest and claim.
  std::unique_ptr<pg::Pool> pool;
  std::unique_ptr<pg::PgMessageStore> store;
  std::unique_ptr<kafka::Producer> producer;
  std::unique_ptr<kafka::KafkaDeadLetterSink> dead_letters;
  std::unique_ptr<redis::RedisBatchBuffer> ingest_buffer;
  std::unique_ptr<redis::RedisBatchBuffer> claim_buffer;
  std::unique_ptr<Persister> persister;
  std::unique_ptr<BoundedQueue<std::string>> full_companies;
  std::unique_ptr<BoundedQueue<ClaimedBatch>> claimed;
  AssignmentTracker assignment;  // kept by the ingest loop's rebalance callbacks
  std::unique_ptr<IngestLoop> ingest;
  std::unique_ptr<Claimer> claimer;
  std::unique_ptr<kafka::ConsumerSource> source;  // the consumer as the ingest loop sees it
  std::unique_ptr<kafka::Consumer> consumer;
  // Extract, relay, lifecycle.
  std::unique_ptr<pg::PgBatchQueue> batch_queue;
  std::unique_ptr<ExtractorSet> extractors;
  std::unique_ptr<ExtractStage> extract;
  std::unique_ptr<pg::PgOutbox> outbox;
  std::unique_ptr<kafka::KafkaOutboxSink> kafka_sink;  // null without kafka.events_topic
  std::unique_ptr<webhook::WebhookSink> webhook_sink;  // null without outbox.webhook_url
  std::unique_ptr<OutboxRelay> relay;
  std::unique_ptr<pg::PgEventLifecycle> event_lifecycle;
  std::unique_ptr<StaleSweep> stale_sweep;
  // The claim, relay, stale sweep and extract threads, behind their exception boundaries.
  std::vector<std::thread> workers;
};

// The pipeline: connections, schema, topics and stages. After StartEndpoint (d.metrics).
Status Start(const Config& config, Daemon& d) {
  pg::PgOptions pg_options = PgOptionsFrom(config);
  // Each extraction worker holds a connection for its batch's lock; ingest, claim and the stale
  // sweep need theirs.
  pg_options.pool_size = std::max(pg_options.pool_size, config.llm.max_concurrency + 3);
  systemd::NotifyStatus("starting: connecting to postgres");
  MS_ASSIGN_OR_RETURN(d.pool, pg::Pool::Open(pg_options));
  if (config.postgres.migrate_on_start) {
    systemd::NotifyStatus("starting: migrating the schema");
    MS_ASSIGN_OR_RETURN(auto lease, d.pool->Acquire());
    MS_ASSIGN_OR_RETURN(auto report, pg::Migrate(*lease));
    spdlog::info("postgres: schema at version {} ({} applied now)", report.current_version,
                 report.applied.size());
  }
  d.store = std::make_unique<pg::PgMessageStore>(d.pool.get());
  if (config.kafka.create_topics) {
    systemd::NotifyStatus("starting: creating kafka topics");
    std::vector<kafka::TopicSpec> topics;
    for (const auto& t : config.kafka.topics) topics.push_back({t, config.kafka.topic_partitions});
    topics.push_back({config.kafka.dlq_topic, config.kafka.topic_partitions});
    if (!config.kafka.events_topic.empty()) {
      topics.push_back({config.kafka.events_topic, config.kafka.topic_partitions});
    }
    MS_RETURN_IF_ERROR(kafka::EnsureTopics(config.kafka.brokers, ProducerPropertiesFrom(config),
                                           topics, std::chrono::seconds(30)));
  }
  systemd::NotifyStatus("starting: connecting to kafka and redis");
  MS_ASSIGN_OR_RETURN(d.producer, kafka::Producer::Open(ProducerOptionsFrom(config)));
  d.dead_letters =
      std::make_unique<kafka::KafkaDeadLetterSink>(d.producer.get(), config.kafka.dlq_topic);
  MS_ASSIGN_OR_RETURN(auto ingest_conn, redis::Connection::Open(RedisOptionsFrom(config)));
  MS_ASSIGN_OR_RETURN(auto claim_conn, redis::Connection::Open(RedisOptionsFrom(config)));
  d.ingest_buffer =
      std::make_unique<redis::RedisBatchBuffer>(std::move(ingest_conn), config.redis.key_prefix);
  d.claim_buffer =
      std::make_unique<redis::RedisBatchBuffer>(std::move(claim_conn), config.redis.key_prefix);
  d.persister = std::make_unique<Persister>(d.store.get(), d.ingest_buffer.get(),
                                            d.dead_letters.get(), config.batch.threshold);
  d.full_companies =
      std::make_unique<BoundedQueue<std::string>>(static_cast<size_t>(config.batch.queue_capacity));
  d.claimed = std::make_unique<BoundedQueue<ClaimedBatch>>(
      static_cast<size_t>(config.batch.queue_capacity));
  d.ingest = std::make_unique<IngestLoop>(config, d.persister.get(), d.full_companies.get(),
                                          &d.clock, d.metrics.get());
  d.ingest->SetReadiness(d.health.get(), &d.assignment);
  d.claimer =
      std::make_unique<Claimer>(config, d.claim_buffer.get(), d.store.get(), d.store.get(),
                                d.full_companies.get(), d.claimed.get(), &d.clock, d.metrics.get());
  d.batch_queue = std::make_unique<pg::PgBatchQueue>(d.pool.get(), app::MilestoneRulesFrom(config));
  MS_ASSIGN_OR_RETURN(d.extractors, MakeExtractor(config, d.metrics.get()));
  spdlog::info("extract: provider={} model={}", d.extractors->provider, d.extractors->model);
  d.extract = std::make_unique<ExtractStage>(config, d.batch_queue.get(), d.extractors->extractor,
                                             d.claimed.get(), d.metrics.get());
  d.extract->SetSleeper(&d.extractors->sleeper);
  d.extract->SetClock(&d.clock);
  if (d.extractors->jobs) d.extract->SetJobExtractor(d.extractors->jobs.get());
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
  d.relay = std::make_unique<OutboxRelay>(
      config, d.outbox.get(), d.outbox.get(),
      OutboxRelay::Sinks{d.kafka_sink.get(), d.webhook_sink.get()}, produce_wait, &d.clock,
      &d.extractors->sleeper, d.metrics.get());
  d.event_lifecycle = std::make_unique<pg::PgEventLifecycle>(d.pool.get());
  d.stale_sweep = std::make_unique<StaleSweep>(d.event_lifecycle.get(), config.events.stale_after,
                                               &d.extractors->sleeper);
  MS_ASSIGN_OR_RETURN(d.consumer,
                      kafka::Consumer::Open(ConsumerOptionsFrom(config), d.ingest.get()));
  d.assignment.Subscribed(d.clock.Now());
  d.source = std::make_unique<kafka::ConsumerSource>(d.consumer.get());
  d.ingest->Attach(d.source.get());
  return Status::Ok();
}

// ---- Operate: metrics, health, HTTP endpoint, systemd ----

std::unique_ptr<Metrics> MakeMetrics(const Config& config) {
  MetricsOptions options;
  options.llm_providers = {std::string(LlmProviderName(config.llm.provider))};  // "rules", ...
  // DlqReason is a dense enum ending at kBadField.
  for (int r = 0; r <= static_cast<int>(DlqReason::kBadField); ++r) {
    options.dlq_reasons.emplace_back(DlqReasonCode(static_cast<DlqReason>(r)));
  }
  return std::make_unique<Metrics>(options);
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
    return PartitionCheck(d.assignment.Snapshot(), d.clock.Now(), grace);
  });
  if (config.http.port != 0) {
    MS_ASSIGN_OR_RETURN(
        d.http, http::HttpServer::Start({config.http.listen, config.http.port},
                                        {d.metrics.get(), d.health.get(), &d.served_read_api,
                                         config.http.token.Reveal()}));
  }
  return Status::Ok();
}

// The adapters as the ops thread probes them. Each lambda uses only what outlives the ops
// thread: the producer (thread-safe), the consumer (the ops thread stops before it closes), the
// read pool (so a busy pipeline pool does not read as Postgres down) and the ops thread's own
// Redis connection.
OpsDependencies OpsDependenciesOf(const Config& config, Daemon& d) {
  using std::chrono::seconds;
  OpsDependencies deps;
  deps.ping_brokers = [producer = d.producer.get()] { return producer->PingBrokers(seconds(2)); };
  deps.partition_offsets = [consumer =
                                d.consumer.get()]() -> StatusOr<std::vector<PartitionOffsets>> {
    MS_ASSIGN_OR_RETURN(auto lags, consumer->Lags(seconds(2)));
    std::vector<PartitionOffsets> out;
    for (const auto& lag : lags) {
      out.push_back({lag.tp.topic, lag.tp.partition, lag.committed, lag.high_watermark});
    }
    return out;
  };
  deps.outbox_backlog = [pool = d.read_pool.get()]() -> StatusOr<int64_t> {
    MS_ASSIGN_OR_RETURN(auto lease, pool->Acquire(seconds(1)));
    return pg::CountUnpublished(*lease);
  };
  deps.pending = [redis = d.ops_redis.get(),
                  prefix = config.redis.key_prefix]() -> StatusOr<PendingSummary> {
    MS_ASSIGN_OR_RETURN(redis::DueSummary due, redis::ReadDueSummary(*redis, prefix));
    return PendingSummary{due.companies, due.oldest};
  };
  return deps;
}

// After Start(): the read API, the ops connections and thread, and the watchdog.
Status StartOps(const Config& config, Daemon& d) {
  pg::PgOptions read_options = PgOptionsFrom(config);
  read_options.pool_size = 2;
  read_options.application_name = "milestoned-read";
  MS_ASSIGN_OR_RETURN(d.read_pool, pg::Pool::Open(read_options));
  d.read_api = std::make_unique<pg::PgReadApi>(d.read_pool.get());
  d.served_read_api.Set(d.read_api.get());
  MS_ASSIGN_OR_RETURN(d.ops_redis, redis::Connection::Open(RedisOptionsFrom(config)));
  d.ops = std::make_unique<OpsLoop>(OpsLoop::Deps{
      .clock = &d.clock,
      .metrics = d.metrics.get(),
      .health = d.health.get(),
      .probes = &d.probes,
      .dependencies = OpsDependenciesOf(config, d),
      .extractors = d.extractors.get(),
  });
  d.watchdog = std::make_unique<WatchdogThread>(d.health.get());
  return Status::Ok();
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

// The worker threads, each behind its exception boundary: the claimer, the relay, the stale
// sweep, and llm.max_concurrency extract workers. They stop once `stop` is set (and the waits
// Drain interrupts are cut short).
void StartWorkers(const Config& config, Daemon& d, const std::atomic<bool>& stop) {
  // Every thread captures only what outlives it: the daemon, the stop flag, and pointers.
  Sleeper* pause = &d.extractors->sleeper;  // interrupted when the drain starts
  Metrics* metrics = d.metrics.get();
  auto start = [&d, &stop, pause, metrics](std::string_view worker, auto loop) {
    d.workers.emplace_back([&stop, pause, metrics, worker, loop] {
      RunGuarded(worker, stop, *pause, metrics, [&stop, &loop] { loop(stop); });
    });
  };
  start("claim", [claimer = d.claimer.get()](const std::atomic<bool>& s) { claimer->Run(s); });
  start("relay", [relay = d.relay.get()](const std::atomic<bool>& s) { relay->Run(s); });
  start("stale", [sweep = d.stale_sweep.get()](const std::atomic<bool>& s) { sweep->Run(s); });
  for (int idx = 0; idx < config.llm.max_concurrency; ++idx) {
    start("extract",
          [extract = d.extract.get()](const std::atomic<bool>& s) { extract->RunWorker(s); });
  }
}

// What this run did, from the metrics: one line at shutdown.
void LogTotals(const Metrics& metrics) {
  auto total = [&metrics](MetricId id) { return static_cast<int64_t>(metrics.Total(id)); };
  spdlog::info(
      "stopped: records={} stored={} dead={} batches={} extracted={} failed={} events={} "
      "published={}",
      total(MetricId::records_polled), total(MetricId::messages_stored), total(MetricId::dlq),
      total(MetricId::batches_claimed), total(MetricId::batches_done),
      total(MetricId::batches_failed), total(MetricId::events_created),
      total(MetricId::outbox_published));
}

// The shutdown order, once the ingest loop returned and `stop` is set. Each step relies on the
// ones before it:
//  1. /readyz and systemd say "draining" (STOPPING=1): no new traffic is sent here.
//  2. Backoff waits (the shared sleeper) are interrupted and the claimed-batch queue closed, so
//     every worker sees the stop at once instead of after its wait.
//  3. The ops thread stops: it reads the consumer's lag, so before the consumer closes.
//  4. The consumer closes: it commits the stored offsets and leaves the group. Its last
//     rebalance callbacks still reach the ingest loop, which is alive until Release.
//  5. The workers (claim, relay, stale sweep, extract) are joined, each after finishing the
//     unit of work in hand.
//  6. The producer flushes (at most 10 s): dead letters and relayed events still in flight.
//  7. The totals are logged, and only then the watchdog stops: pings go on while draining.
// The signal thread (RunDaemon's) outlives all this and Release, so shutdown.timeout and a
// second signal still end a drain that hangs.
void Drain(Daemon& d, std::atomic<bool>& stop) {
  stop = true;
  d.health->SetPhase(HealthPhase::kDraining);
  systemd::Stopping();
  systemd::NotifyStatus("draining");
  d.extractors->sleeper.Interrupt();  // cut LLM backoff waits short
  d.claimed->Close();
  d.ops->Stop();
  Status closed = d.consumer->Close();
  if (!closed.ok()) spdlog::warn("consumer close: {}", closed.message());
  for (auto& worker : d.workers) worker.join();
  d.workers.clear();
  Status flushed = d.producer->Flush(std::chrono::seconds(10));
  if (!flushed.ok()) spdlog::warn("producer flush: {}", flushed.message());
  LogTotals(*d.metrics);
  d.watchdog->Stop();
}

// Frees everything a daemon holds, after Drain or after a start-up that failed part way (no
// worker was started then). Threads stop first; then users go before what they use:
//  1. the ops and watchdog threads (idempotent after Drain);
//  2. the HTTP server, so it stops serving before anything it serves goes away, then the
//     read API, its pool and the ops connection;
//  3. the relay, its sinks and outbox, the stale sweep, the extract stage and its extractors
//     and batch queue;
//  4. the consumer, then its source (the consumer's close may still call back into the loop
//     through it), the claimer, the ingest loop (the consumer's rebalance listener), the
//     queues, the persister, the Redis buffers, the dead-letter sink, the producer (its
//     destructor flushes), the message store and the pipeline's pool;
//  5. health and metrics last: everything above may report to them.
void Release(Daemon& d) {
  if (d.ops) d.ops->Stop();
  if (d.watchdog) d.watchdog->Stop();
  d.ops.reset();
  d.watchdog.reset();
  d.http.reset();
  d.served_read_api.Set(nullptr);
  d.read_api.reset();
  d.read_pool.reset();
  d.ops_redis.reset();
  d.relay.reset();
  d.webhook_sink.reset();
  d.kafka_sink.reset();
  d.outbox.reset();
  d.stale_sweep.reset();
  d.event_lifecycle.reset();
  d.extract.reset();
  d.extractors.reset();
  d.batch_queue.reset();
  d.consumer.reset();
  d.source.reset();
  d.claimer.reset();
  d.ingest.reset();
  d.claimed.reset();
  d.full_companies.reset();
  d.persister.reset();
  d.claim_buffer.reset();
  d.ingest_buffer.reset();
  d.dead_letters.reset();
  d.producer.reset();
  d.store.reset();
  d.pool.reset();
  d.health.reset();
  d.metrics.reset();
}

}  // namespace

int RunDaemon(const Config& config) {
  // Before any thread exists (spdlog's flusher, librdkafka's): every thread inherits the mask.
  sigset_t signals = BlockStopSignals();
  Status st = SetupLogging(config.log);
  if (!st.ok()) {
    fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }
  // Declared before the daemon, so it is joined after the daemon is released.
  SignalThread signal_thread(signals, config.shutdown.timeout);
  std::atomic<bool>& stop = signal_thread.stop();

  Daemon d;
  systemd::NotifyStatus("starting");
  st = StartEndpoint(config, d);
  if (st.ok()) st = Start(config, d);
  if (st.ok()) st = StartOps(config, d);
  if (!st.ok()) {
    spdlog::critical("start-up failed: {}", st.ToString());
    return 1;
  }
  spdlog::info("milestoned running: brokers={} topics={} group={}", config.kafka.brokers,
               config.kafka.topics.size(), config.kafka.group_id);
  d.watchdog->Start();
  d.ops->Start();
  StartWorkers(config, d, stop);
  d.health->SetPhase(HealthPhase::kServing);
  systemd::Ready();
  systemd::NotifyStatus("running");
  st = RunIngest(d, stop);
  if (!st.ok()) spdlog::error("ingest stopped: {}", st.ToString());
  Drain(d, stop);
  spdlog::default_logger()->flush();
  return st.ok() ? 0 : 1;
}

}  // namespace ms::app
