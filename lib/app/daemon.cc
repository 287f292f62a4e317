#include "app/daemon.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "adapters/kafka/admin.h"
#include "adapters/kafka/dead_letters.h"
#include "adapters/postgres/message_store.h"
#include "adapters/postgres/migrations.h"
#include "adapters/redis/batch_buffer.h"
#include "app/claimer.h"
#include "app/ingest_loop.h"
#include "app/options.h"
#include "observability/logging.h"

namespace ms::app {
namespace {

// Every connection and stage of a running daemon. Built by Start(); torn down in reverse.
struct Daemon {
  SystemClock clock;
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
  std::unique_ptr<kafka::Consumer> consumer;
};

Status Start(const Config& config, Daemon& d) {
  MS_ASSIGN_OR_RETURN(d.pool, pg::Pool::Open(PgOptionsFrom(config)));
  if (config.postgres.migrate_on_start) {
    MS_ASSIGN_OR_RETURN(auto lease, d.pool->Acquire());
    MS_ASSIGN_OR_RETURN(auto report, pg::Migrate(*lease));
    spdlog::info("postgres: schema at version {} ({} applied now)", report.current_version,
                 report.applied.size());
  }
  d.store = std::make_unique<pg::PgMessageStore>(d.pool.get());
  if (config.kafka.create_topics) {
    std::vector<kafka::TopicSpec> topics;
    for (const auto& t : config.kafka.topics) topics.push_back({t, config.kafka.topic_partitions});
    topics.push_back({config.kafka.dlq_topic, config.kafka.topic_partitions});
    if (!config.kafka.events_topic.empty()) {
      topics.push_back({config.kafka.events_topic, config.kafka.topic_partitions});
    }
    MS_RETURN_IF_ERROR(kafka::EnsureTopics(config.kafka.brokers, config.kafka.producer.properties,
                                           topics, std::chrono::seconds(30)));
  }
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
  MS_ASSIGN_OR_RETURN(d.consumer,
                      kafka::Consumer::Open(ConsumerOptionsFrom(config), d.ingest.get()));
  d.ingest->Attach(d.consumer.get());
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

void WaitForSignals(sigset_t set, std::atomic<bool>* stop) {
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (sig == SIGHUP) {
      Status st = ReopenLogs();
      spdlog::info("SIGHUP: log file reopened{}", st.ok() ? "" : " failed: " + st.message());
      continue;
    }
    if (stop->exchange(true)) {
      spdlog::warn("second signal: exiting at once");
      _exit(1);
    }
    spdlog::info("{}: draining", strsignal(sig));
  }
}

// The hand-over point to extraction. Extraction is not wired yet (issue: extract and
// record): batches wait in Postgres with status `claimed`, which is what "ready for
// extraction" means; this stage only counts and logs them.
void RunReadyStage(BoundedQueue<ClaimedBatch>* claimed) {
  while (auto batch = claimed->Pop(std::chrono::hours(1))) {
    spdlog::info("batch {} ready for extraction: company={} messages={}", batch->batch_id,
                 batch->company_id, batch->message_count);
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
  std::thread(WaitForSignals, signals, &stop).detach();

  Daemon d;
  st = Start(config, d);
  if (!st.ok()) {
    spdlog::critical("start-up failed: {}", st.ToString());
    return 1;
  }
  spdlog::info("milestoned running: brokers={} topics={} group={}", config.kafka.brokers,
               config.kafka.topics.size(), config.kafka.group_id);
  std::thread claim_thread([&] { d.claimer->Run(stop); });
  std::thread ready_thread([&] { RunReadyStage(d.claimed.get()); });
  st = d.ingest->Run(stop);
  if (!st.ok()) spdlog::error("ingest stopped: {}", st.ToString());
  stop = true;
  Status closed = d.consumer->Close();
  if (!closed.ok()) spdlog::warn("consumer close: {}", closed.message());
  claim_thread.join();
  d.claimed->Close();
  ready_thread.join();
  Status flushed = d.producer->Flush(std::chrono::seconds(10));
  if (!flushed.ok()) spdlog::warn("producer flush: {}", flushed.message());
  spdlog::info("stopped: records={} stored={} dead={} batches={}", d.ingest_stats.records.load(),
               d.ingest_stats.stored.load(), d.ingest_stats.dead.load(),
               d.claim_stats.batches.load());
  spdlog::default_logger()->flush();
  return st.ok() ? 0 : 1;
}

}  // namespace ms::app
