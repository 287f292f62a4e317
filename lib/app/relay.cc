#include "app/relay.h"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>
#include <sys/select.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>

#include "adapters/postgres/event_sql.h"

namespace ms::app {
namespace {

constexpr std::string_view kRelayLockKey = "4242770002";

constexpr std::string_view kPendingSql = R"sql(
SELECT o.id, o.aggregate, o.type, o.payload::text, e.event_uid
FROM outbox o JOIN events e ON e.id = o.event_id
WHERE o.published_at IS NULL ORDER BY o.id LIMIT $1)sql";

// Returns each row's publish latency on the database's clock: created_at is the store
// transaction's time, published_at is set right after every sink acknowledged the row.
constexpr std::string_view kMarkPublishedSql = R"sql(
UPDATE outbox SET published_at = now(), attempts = attempts + 1 WHERE id = ANY($1::bigint[])
RETURNING extract(epoch FROM published_at - created_at)::float8)sql";

}  // namespace

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
    : config_(config), pg_options_(std::move(pg_options)), producer_(producer), stats_(stats) {
  if (!config.outbox.webhook_url.empty()) {
    webhook_ = std::make_unique<WebhookSink>(config.outbox.webhook_url,
                                             config.outbox.webhook_secret.Reveal());
  }
}

std::vector<bool> OutboxRelay::Deliver(const pg::Result& rows, Status* first_error) {
  std::vector<Status> kafka_results(rows.rows(), Status::Ok());
  if (!config_.kafka.events_topic.empty() && producer_ != nullptr) {
    std::vector<kafka::OutMessage> out;
    for (int row = 0; row < rows.rows(); ++row) {
      out.push_back({config_.kafka.events_topic,
                     std::string(rows.Get(row, 1)),
                     std::string(rows.Get(row, 3)),
                     {{"x-event-id", std::string(rows.Get(row, 4))},
                      {"x-event-type", std::string(rows.Get(row, 2))}}});
    }
    kafka_results = producer_->ProduceAndWait(out, std::chrono::seconds(30));
  }
  std::vector<bool> delivered(rows.rows(), false);
  std::set<std::string> blocked;  // companies with an undelivered earlier row this round
  int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  for (int row = 0; row < rows.rows(); ++row) {
    std::string company(rows.Get(row, 1));
    Status st = kafka_results[row];
    if (st.ok() && blocked.count(company)) st = Aborted("an earlier row of the company failed");
    if (st.ok() && webhook_) {
      st = webhook_->Post(std::string(rows.Get(row, 4)), std::string(rows.Get(row, 2)),
                          std::string(rows.Get(row, 3)), now_s);
    }
    if (st.ok()) {
      delivered[row] = true;
      continue;
    }
    blocked.insert(company);
    if (first_error->ok()) *first_error = st;
  }
  return delivered;
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
    Status first_error;
    std::vector<bool> delivered = Deliver(rows, &first_error);
    std::vector<int64_t> published, failed;
    for (int row = 0; row < rows.rows(); ++row) {
      (delivered[row] ? published : failed).push_back(rows.GetInt(row, 0));
    }
    if (!published.empty()) {
      MS_ASSIGN_OR_RETURN(pg::Result latencies,
                          conn.Exec(kMarkPublishedSql, {pg::Int64ArrayLiteral(published)}));
      stats_->published += static_cast<int64_t>(published.size());
      ObservePublished(latencies, round_started);
    }
    if (!failed.empty()) {
      stats_->failures += static_cast<int64_t>(failed.size());
      (void)conn.Exec(
          "UPDATE outbox SET attempts = attempts + 1, last_error = $2 "
          "WHERE id = ANY($1::bigint[])",
          {pg::Int64ArrayLiteral(failed), first_error.message()});
      return first_error.WithContext("relay");
    }
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
