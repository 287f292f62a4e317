#include "app/relay.h"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>
#include <sys/select.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <thread>

#include "adapters/postgres/event_sql.h"

namespace ms::app {
namespace {

constexpr std::string_view kRelayLockKey = "4242770002";

// A company whose earliest unpublished row is not due yet (next_attempt_at in the future) is
// skipped entirely, so none of its later rows overtakes the one that failed. Column 5 says
// whether Kafka already took the row in an earlier round.
constexpr std::string_view kPendingSql = R"sql(
SELECT o.id, o.aggregate, o.type, o.payload::text, e.event_uid, o.kafka_published_at IS NOT NULL
FROM outbox o JOIN events e ON e.id = o.event_id
WHERE o.published_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM outbox held
                  WHERE held.aggregate = o.aggregate AND held.published_at IS NULL
                    AND held.id <= o.id AND held.next_attempt_at > now())
ORDER BY o.id LIMIT $1)sql";

// Returns each row's publish latency on the database's clock: created_at is the store
// transaction's time, published_at is set right after every sink acknowledged the row.
// $2: whether Kafka is a sink (then the row is on the topic too).
constexpr std::string_view kMarkPublishedSql = R"sql(
UPDATE outbox SET published_at = now(), attempts = attempts + 1,
  kafka_published_at = CASE WHEN $2::boolean THEN COALESCE(kafka_published_at, now())
                            ELSE kafka_published_at END
WHERE id = ANY($1::bigint[])
RETURNING extract(epoch FROM published_at - created_at)::float8)sql";

// Kafka took these rows but another sink did not: they are never produced again.
constexpr std::string_view kMarkOnKafkaSql = R"sql(
UPDATE outbox SET kafka_published_at = now()
WHERE id = ANY($1::bigint[]) AND kafka_published_at IS NULL)sql";

// A company's first failed row: one more attempt, and it (with every later row of its
// company) waits retry_base * 2^(earlier attempts), at most retry_cap.
constexpr std::string_view kMarkFailedSql = R"sql(
UPDATE outbox SET attempts = attempts + 1, last_error = $2,
  next_attempt_at = now() + make_interval(
      secs => least($3::float8 * power(2::float8, least(attempts, 30)), $4::float8))
WHERE id = ANY($1::bigint[]))sql";

// Rows behind a company's failed row: not attempted, only told why they wait.
constexpr std::string_view kNoteWaitingSql = R"sql(
UPDATE outbox SET last_error = $2 WHERE id = ANY($1::bigint[]))sql";

constexpr std::chrono::milliseconds kRetryBase = std::chrono::seconds(1);
constexpr std::chrono::milliseconds kRetryCap = std::chrono::minutes(5);
// Past the producer's message timeout, so librdkafka reports a message that timed out itself.
constexpr std::chrono::milliseconds kProduceWaitMargin = std::chrono::seconds(5);

std::string Seconds(std::chrono::milliseconds value) {
  return std::to_string(static_cast<double>(value.count()) / 1000.0);
}

// Groups row ids by the error message they get (an outage gives every row the same one).
using IdsByMessage = std::map<std::string, std::vector<int64_t>>;

}  // namespace

std::chrono::milliseconds RelayProduceWait(std::chrono::milliseconds message_timeout) {
  if (message_timeout.count() <= 0) message_timeout = kafka::ProducerOptions{}.delivery_timeout;
  return message_timeout + kProduceWaitMargin;
}

void OutboxRelay::ObservePublished(const pg::Result& latencies,
                                   std::chrono::steady_clock::time_point round_started) {
  if (metrics_ == nullptr) return;
  metrics_->StageLatency(Stage::kRelay).Observe(SecondsSince(round_started));
  prometheus::Histogram& latency = metrics_->OutboxPublishLatency();
  for (int row = 0; row < latencies.rows(); ++row) {
    const double seconds = std::strtod(std::string(latencies.Get(row, 0)).c_str(), nullptr);
    latency.Observe(std::max(0.0, seconds));
  }
}

OutboxRelay::OutboxRelay(const Config& config, pg::PgOptions pg_options, kafka::Producer* producer,
                         RelayStats* stats)
    : config_(config),
      pg_options_(std::move(pg_options)),
      producer_(producer),
      stats_(stats),
      produce_wait_(RelayProduceWait(producer != nullptr ? producer->message_timeout()
                                                         : std::chrono::milliseconds(0))) {
  if (!config.outbox.webhook_url.empty()) {
    webhook_ = std::make_unique<WebhookSink>(config.outbox.webhook_url,
                                             config.outbox.webhook_secret.Reveal());
  }
}

bool OutboxRelay::ToKafka() const {
  return !config_.kafka.events_topic.empty() && producer_ != nullptr;
}

std::vector<Status> OutboxRelay::ProduceNew(const pg::Result& rows) {
  std::vector<Status> results(rows.rows(), Status::Ok());
  std::vector<kafka::OutMessage> out;
  std::vector<int> out_rows;
  for (int row = 0; row < rows.rows(); ++row) {
    if (rows.Get(row, 5) == "t") continue;  // on the topic since an earlier round
    out.push_back({config_.kafka.events_topic,
                   std::string(rows.Get(row, 1)),
                   std::string(rows.Get(row, 3)),
                   {{"x-event-id", std::string(rows.Get(row, 4))},
                    {"x-event-type", std::string(rows.Get(row, 2))}}});
    out_rows.push_back(row);
  }
  if (out.empty()) return results;
  std::vector<Status> produced = producer_->ProduceAndWait(out, produce_wait_);
  for (size_t idx = 0; idx < out_rows.size(); ++idx) results[out_rows[idx]] = produced[idx];
  return results;
}

std::vector<OutboxRelay::RowOutcome> OutboxRelay::Deliver(const pg::Result& rows) {
  const bool to_kafka = ToKafka();
  std::vector<Status> kafka_results =
      to_kafka ? ProduceNew(rows) : std::vector<Status>(rows.rows(), Status::Ok());
  std::vector<RowOutcome> outcomes(rows.rows());
  std::set<std::string> failed;     // companies with an undelivered earlier row this round
  std::set<std::string> off_kafka;  // companies with an earlier row Kafka has not taken
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  for (int row = 0; row < rows.rows(); ++row) {
    RowOutcome& outcome = outcomes[row];
    const std::string company(rows.Get(row, 1));
    Status st = kafka_results[row];
    // Recorded only behind an unbroken run of the company's rows on the topic: a row produced
    // again later must not land there after one of the company's later rows.
    if (to_kafka && rows.Get(row, 5) != "t") {
      outcome.kafka_taken = st.ok() && !off_kafka.count(company);
      if (!outcome.kafka_taken) off_kafka.insert(company);
    }
    if (st.ok() && failed.count(company)) st = Aborted("an earlier row of the company failed");
    if (st.ok() && webhook_) {
      st = webhook_->Post(std::string(rows.Get(row, 4)), std::string(rows.Get(row, 2)),
                          std::string(rows.Get(row, 3)), now_s);
    }
    if (st.ok()) {
      outcome.delivered = true;
      continue;
    }
    outcome.first_failure = failed.insert(company).second;
    outcome.error = std::move(st);
  }
  return outcomes;
}

Status OutboxRelay::RecordRound(pg::Connection& conn, const pg::Result& rows,
                                const std::vector<RowOutcome>& outcomes,
                                std::chrono::steady_clock::time_point round_started) {
  std::vector<int64_t> published, on_kafka;
  IdsByMessage failed, waiting;
  Status first_error;
  for (int row = 0; row < rows.rows(); ++row) {
    const RowOutcome& outcome = outcomes[row];
    const int64_t id = rows.GetInt(row, 0);
    if (outcome.delivered) {
      published.push_back(id);
      continue;
    }
    if (outcome.kafka_taken) on_kafka.push_back(id);
    (outcome.first_failure ? failed : waiting)[outcome.error.message()].push_back(id);
    if (outcome.first_failure && first_error.ok()) first_error = outcome.error;
  }
  if (!published.empty()) {
    MS_ASSIGN_OR_RETURN(pg::Result latencies,
                        conn.Exec(kMarkPublishedSql, {pg::Int64ArrayLiteral(published),
                                                      ToKafka() ? "true" : "false"}));
    stats_->published += static_cast<int64_t>(published.size());
    ObservePublished(latencies, round_started);
  }
  if (!on_kafka.empty()) {
    MS_RETURN_IF_ERROR(conn.Exec(kMarkOnKafkaSql, {pg::Int64ArrayLiteral(on_kafka)}).status());
  }
  for (const auto& [message, ids] : failed) {
    stats_->failures += static_cast<int64_t>(ids.size());
    MS_RETURN_IF_ERROR(conn.Exec(kMarkFailedSql, {pg::Int64ArrayLiteral(ids), message,
                                                  Seconds(kRetryBase), Seconds(kRetryCap)})
                           .status());
  }
  for (const auto& [message, ids] : waiting) {
    stats_->failures += static_cast<int64_t>(ids.size());
    MS_RETURN_IF_ERROR(conn.Exec(kNoteWaitingSql, {pg::Int64ArrayLiteral(ids), message}).status());
  }
  return first_error.WithContext("relay");
}

Status OutboxRelay::BecomeLeader(pg::Connection& conn) {
  MS_ASSIGN_OR_RETURN(pg::Result got, conn.Exec("SELECT pg_try_advisory_lock($1::bigint)",
                                                {std::string(kRelayLockKey)}));
  if (got.Get(0, 0) != "t") return Aborted("another instance is the relay");
  MS_RETURN_IF_ERROR(conn.Exec("LISTEN milestoned_outbox").status());
  spdlog::info("relay: this instance publishes the outbox");
  return Status::Ok();
}

Status OutboxRelay::PublishPending(pg::Connection& conn) {
  while (true) {
    const auto round_started = std::chrono::steady_clock::now();
    MS_ASSIGN_OR_RETURN(pg::Result rows,
                        conn.Exec(kPendingSql, {std::to_string(config_.outbox.batch_size)}));
    if (rows.rows() == 0) return Status::Ok();
    MS_RETURN_IF_ERROR(RecordRound(conn, rows, Deliver(rows), round_started));
  }
}

Status OutboxRelay::Maintain(pg::Connection& conn) {
  double retention_s = static_cast<double>(config_.outbox.retention.count()) / 1000.0;
  MS_RETURN_IF_ERROR(conn.Exec("DELETE FROM outbox WHERE published_at < now() - "
                               "make_interval(secs => $1)",
                               {std::to_string(retention_s)})
                         .status());
  MS_ASSIGN_OR_RETURN(int64_t staled, pg::MarkStaleEvents(conn, config_.events.stale_after));
  if (staled > 0)
    spdlog::info("relay: {} event(s) unseen for events.stale_after became stale", staled);
  MS_ASSIGN_OR_RETURN(pg::Result backlog,
                      conn.Exec("SELECT count(*) FROM outbox WHERE published_at IS NULL"));
  stats_->backlog = backlog.GetInt(0, 0);
  return Status::Ok();
}

void OutboxRelay::WaitForNotification(pg::Connection& conn, std::chrono::milliseconds wait) {
  int fd = PQsocket(conn.raw());
  if (fd < 0) {
    std::this_thread::sleep_for(wait);
    return;
  }
  fd_set set;
  FD_ZERO(&set);
  FD_SET(fd, &set);
  timeval tv{static_cast<time_t>(wait.count() / 1000),
             static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
  select(fd + 1, &set, nullptr, nullptr, &tv);
  PQconsumeInput(conn.raw());
  while (PGnotify* note = PQnotifies(conn.raw())) PQfreemem(note);
}

void OutboxRelay::Run(const std::atomic<bool>& stop) {
  // With nowhere to relay, the leader still does the maintenance (the stale lifecycle).
  const bool relaying = !config_.kafka.events_topic.empty() || webhook_;
  if (!relaying) {
    spdlog::warn(
        "relay: neither kafka.events_topic nor outbox.webhook_url is set; the outbox "
        "is not relayed (events still go stale on schedule)");
  }
  std::unique_ptr<pg::Connection> conn;
  bool leader = false;
  auto last_maintenance = std::chrono::steady_clock::time_point{};
  const auto poll = config_.outbox.poll_interval;
  while (!stop.load()) {
    if (!conn || !conn->healthy()) {
      leader = false;
      stats_->leader = false;
      auto opened = pg::Connection::Open(pg_options_);
      if (!opened.ok()) {
        std::this_thread::sleep_for(poll);
        continue;
      }
      conn = std::move(opened).value();
    }
    if (!leader) {
      Status st = BecomeLeader(*conn);
      leader = st.ok();
      stats_->leader = leader;
      if (!leader) {
        std::this_thread::sleep_for(poll);  // stand by; retry the lock
        continue;
      }
    }
    Status st = relaying ? PublishPending(*conn) : Status::Ok();
    if (!st.ok()) spdlog::warn("relay: {} (retrying)", st.ToString());
    if (std::chrono::steady_clock::now() - last_maintenance > std::chrono::seconds(60)) {
      Status maintained = Maintain(*conn);
      if (!maintained.ok()) spdlog::warn("relay: maintenance: {}", maintained.ToString());
      last_maintenance = std::chrono::steady_clock::now();
    }
    WaitForNotification(*conn, poll);
  }
}

}  // namespace ms::app
