// Operating the daemon end to end. After a run with the OpenAI-compatible provider against the
// fake LLM server (whose first answer is a 429), /metrics shows every stage fed, the LLM calls
// by HTTP status, the rate-limit wait and the spend, and `milestonectl status` the consumer
// group's lag. During a start-up stuck on Kafka, /healthz is 200 while /readyz says "starting".
// The systemd notify protocol as systemd would see it on its socket, and the signals an operator
// sends (SIGINT, a second stop signal, SIGHUP).
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "adapters/postgres/pg.h"
#include "tests/e2e/harness.h"
#include "tests/fake_llm/fake_llm_server.h"

namespace ms::test {
namespace {

using namespace std::chrono_literals;

// The value of one sample of the text exposition; `series` as rendered, labels included, e.g.
// milestoned_stage_duration_seconds_count{stage="claim"}.
std::optional<double> Sample(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

std::string FileText(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The first JSON document in `output` that starts a line (librdkafka may log around it).
nlohmann::json FirstJson(const std::string& output) {
  size_t start = output.starts_with("{") ? 0 : output.find("\n{");
  if (start == std::string::npos) return nullptr;
  std::istringstream in(output.substr(start));
  nlohmann::json doc;
  try {
    in >> doc;
  } catch (const nlohmann::json::exception&) {
    return nullptr;
  }
  return doc;
}

// systemd's side of the notify protocol: a bound AF_UNIX datagram socket, read by a thread of
// its own (so a test busy producing cannot fill the socket queue and block the daemon's
// sd_notify), each datagram timestamped on arrival.
class NotifySocket {
 public:
  struct Datagram {
    std::string text;
    std::chrono::steady_clock::time_point at;
  };

  explicit NotifySocket(std::string path) : path_(std::move(path)) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(addr.sun_path)) return;
    path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) return;
    bound_ = true;
    reader_ = std::thread([this] { Read(); });
  }
  ~NotifySocket() {
    stop_ = true;
    if (reader_.joinable()) reader_.join();
    close(fd_);
    std::filesystem::remove(path_);
  }
  bool bound() const { return bound_; }
  const std::string& path() const { return path_; }

  std::vector<Datagram> Received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }
  // Index of the first datagram from `from` on whose text satisfies `match`, awaited up to
  // `wait`.
  std::optional<size_t> Await(const std::function<bool(const std::string&)>& match,
                              std::chrono::milliseconds wait, size_t from = 0) {
    std::optional<size_t> found;
    WaitFor(
        [&] {
          auto all = Received();
          for (size_t idx = from; idx < all.size(); ++idx) {
            if (match(all[idx].text)) {
              found = idx;
              return true;
            }
          }
          return false;
        },
        wait);
    return found;
  }
  std::string Dump() {
    std::string out;
    for (const auto& datagram : Received()) out += datagram.text + "\n";
    return out;
  }

 private:
  void Read() {
    while (!stop_) {
      pollfd pfd{fd_, POLLIN, 0};
      if (poll(&pfd, 1, 50) <= 0) continue;
      char buf[4096];
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      received_.push_back(
          {std::string(buf, static_cast<size_t>(n)), std::chrono::steady_clock::now()});
    }
  }

  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::vector<Datagram> received_;  // guarded by mu_
  std::thread reader_;
};

class OperateTest : public PipelineTest {
 protected:
  void SetUp() override {
    PipelineTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    http_port_ = FreeLoopbackPort();
    ASSERT_GT(http_port_, 0);
    overrides_["MILESTONE_HTTP_PORT"] = std::to_string(http_port_);
  }

  // The daemon's answer to GET `path`, or nullopt when nothing answered.
  std::optional<httplib::Response> Get(const std::string& path) {
    httplib::Client client("127.0.0.1", http_port_);
    client.set_connection_timeout(1s);
    client.set_read_timeout(5s);
    auto res = client.Get(path);
    if (!res) return std::nullopt;
    return *res;
  }

  std::string Metrics() {
    auto res = Get("/metrics");
    return res && res->status == 200 ? res->body : "";
  }

  nlohmann::json StatusJson() {
    int code = -1;
    std::string out = CtlOutput({"status", "--json"}, &code);
    EXPECT_EQ(code, 0) << out;
    return FirstJson(out);
  }

  int http_port_ = 0;
};

TEST_F(OperateTest, MetricsAndLagAfterAPipelineRunThroughAnLlmProvider) {
  FakeLlmServer llm;
  ASSERT_TRUE(llm.Start().ok());
  FakeReply limited;
  limited.fault = Fault::kRateLimited;
  limited.retry_after = "1";
  llm.Push(limited);
  UseOpenAiAt(llm.base_url());
  overrides_["MILESTONE_LLM_MODEL"] = "fake-model";
  overrides_["MILESTONE_LLM_PRICES"] = "fake-model=1/2";
  const int64_t rows = 300;
  std::string csv = Generate(rows, 3, 17);
  auto daemon = StartDaemon();
  ASSERT_EQ(Ctl({"produce", csv}), 0);
  ASSERT_TRUE(WaitAllDone(rows, 120s)) << daemon->Log();
  const int64_t outbox_rows = Query("SELECT count(*) FROM outbox");
  ASSERT_GT(outbox_rows, 0);
  // The relay observes a row right after marking it published: wait for the metric itself.
  std::string text;
  ASSERT_TRUE(WaitFor(
      [&] {
        text = Metrics();
        auto published = Sample(text, "milestoned_outbox_publish_latency_seconds_count");
        return published && *published == static_cast<double>(outbox_rows);
      },
      60s))
      << text << daemon->Log();

  EXPECT_GT(Sample(text, "milestoned_batch_size_messages_count").value_or(0), 0);
  EXPECT_EQ(Sample(text, "milestoned_batch_size_messages_sum").value_or(0),
            static_cast<double>(rows));
  for (const char* stage : {"persist", "claim", "extract", "store", "relay"}) {
    EXPECT_GT(Sample(text, std::string("milestoned_stage_duration_seconds_count{stage=\"") + stage +
                               "\"}")
                  .value_or(0),
              0)
        << stage;
  }
  const std::string openai = R"({provider="openai",status=")";
  EXPECT_EQ(
      Sample(text, "milestoned_llm_request_duration_seconds_count" + openai + "429\"}").value_or(0),
      1);
  EXPECT_GT(
      Sample(text, "milestoned_llm_request_duration_seconds_count" + openai + "200\"}").value_or(0),
      0);
  EXPECT_EQ(Sample(text, "milestoned_llm_request_errors_total" + openai + "429\"}").value_or(0), 1);
  EXPECT_GE(Sample(text, R"(milestoned_llm_rate_limit_waits_total{provider="openai"})").value_or(0),
            1);
  // The spend equals what the batches recorded (cost_usd is rounded to micro-dollars per batch).
  const double cost =
      Sample(text, R"(milestoned_llm_cost_usd_total{provider="openai"})").value_or(0);
  EXPECT_GT(cost, 0);
  EXPECT_NEAR(cost * 1e6,
              static_cast<double>(Query("SELECT round(sum(cost_usd) * 1e6) FROM batches")),
              static_cast<double>(Query("SELECT count(*) FROM batches")));

  // milestonectl status: every input partition, holding exactly what was produced, and the
  // lag draining to zero as the group commits.
  nlohmann::json status = StatusJson();
  ASSERT_TRUE(status.is_object()) << status;
  const nlohmann::json& lag = status["consumer_lag"];
  ASSERT_TRUE(lag["partitions"].is_array()) << lag;
  EXPECT_EQ(lag["group"], id_);
  EXPECT_EQ(lag["partitions"].size(), 12u) << "two input topics of six partitions";
  int64_t produced = 0;
  for (const auto& partition : lag["partitions"]) {
    produced += partition["high_watermark"].get<int64_t>();
  }
  EXPECT_EQ(produced, rows);
  EXPECT_TRUE(WaitFor([&] { return StatusJson()["consumer_lag"]["total"] == 0; }, 30s))
      << StatusJson();
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0) << daemon->Log();
}

TEST_F(OperateTest, DuringStartUpAliveButNotReady) {
  // No broker there: creating the topics waits for its timeout, so start-up stays in progress.
  overrides_["MILESTONE_KAFKA_BROKERS"] = "127.0.0.1:" + std::to_string(FreeLoopbackPort());
  auto daemon = StartDaemon();
  std::optional<httplib::Response> healthz;
  ASSERT_TRUE(WaitFor(
      [&] {
        healthz = Get("/healthz");
        return healthz.has_value();
      },
      20s))
      << daemon->Log();
  EXPECT_EQ(healthz->status, 200) << healthz->body;
  auto readyz = Get("/readyz");
  ASSERT_TRUE(readyz.has_value());
  EXPECT_EQ(readyz->status, 503);
  auto ready = nlohmann::json::parse(readyz->body);
  EXPECT_EQ(ready["status"], "not_ready");
  EXPECT_EQ(ready["checks"]["lifecycle"]["detail"], "starting");
  EXPECT_EQ(ready["checks"]["partitions"]["detail"], "not subscribed yet");
  EXPECT_NE(Metrics().find("milestoned_build_info"), std::string::npos);
  auto batch = Get("/v1/batches/1");
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->status, 503) << "no read API before start-up finished";
  EXPECT_TRUE(daemon->running()) << "start-up gave up already\n" << daemon->Log();
  daemon->Signal(SIGKILL);
  EXPECT_TRUE(daemon->Wait(30s).has_value());
}

TEST_F(OperateTest, SystemdNotifyReadyStatusWatchdogAndStopping) {
  NotifySocket notify(scratch_ + "/notify.sock");
  ASSERT_TRUE(notify.bound()) << notify.path();
  const auto watchdog_sec = 2s;
  overrides_["NOTIFY_SOCKET"] = notify.path();
  overrides_["WATCHDOG_USEC"] = std::to_string(std::chrono::microseconds(watchdog_sec).count());
  auto daemon = StartDaemon();

  auto ready = notify.Await([](const std::string& t) { return t == "READY=1"; }, 90s);
  ASSERT_TRUE(ready.has_value()) << notify.Dump() << daemon->Log();
  EXPECT_EQ(Query("SELECT count(*) FROM pg_tables WHERE tablename = 'schema_migrations'"), 1)
      << "READY=1 before the schema was migrated";
  // Start-up reported its steps before READY=1, migrating among them.
  const auto before_ready = notify.Received();
  auto step = [&](const std::string& prefix) {
    return std::any_of(before_ready.begin(), before_ready.begin() + static_cast<long>(*ready),
                       [&](const auto& d) { return d.text.starts_with(prefix); });
  };
  EXPECT_TRUE(step("STATUS=starting")) << notify.Dump();
  EXPECT_TRUE(step("STATUS=starting: migrating")) << notify.Dump();

  // While running, the status line counts what was stored.
  const int64_t rows = 500;
  ASSERT_EQ(Ctl({"produce", Generate(rows, 5, 23)}), 0);
  const std::string stored = "STATUS=running: " + std::to_string(rows) + " messages stored, ";
  auto progress =
      notify.Await([&](const std::string& t) { return t.starts_with(stored); }, 60s, *ready);
  ASSERT_TRUE(progress.has_value()) << notify.Dump() << daemon->Log();
  EXPECT_NE(notify.Received()[*progress].text.find(" batches done, "), std::string::npos);
  // The only member of its group owns both input topics' six partitions.
  auto readyz = Get("/readyz");
  ASSERT_TRUE(readyz.has_value());
  EXPECT_EQ(readyz->status, 200) << readyz->body;
  auto checks = nlohmann::json::parse(readyz->body, nullptr, false)["checks"];
  EXPECT_EQ(checks["partitions"]["ok"], true) << readyz->body;
  EXPECT_EQ(checks["partitions"]["detail"], "assigned 12 partitions") << readyz->body;

  // Keep-alives, at least every WatchdogSec (the daemon aims for half of it).
  auto pings = [&] {
    std::vector<std::chrono::steady_clock::time_point> at;
    for (const auto& d : notify.Received()) {
      if (d.text == "WATCHDOG=1") at.push_back(d.at);
    }
    return at;
  };
  ASSERT_TRUE(WaitFor([&] { return pings().size() >= 4; }, 30s)) << notify.Dump();
  auto at = pings();
  for (size_t idx = 1; idx < at.size(); ++idx) {
    EXPECT_LT(at[idx] - at[idx - 1], watchdog_sec) << "ping " << idx << "\n" << notify.Dump();
  }

  const size_t before_stop = notify.Received().size();
  daemon->Signal(SIGTERM);
  EXPECT_TRUE(notify.Await([](const std::string& t) { return t == "STOPPING=1"; }, 30s, before_stop)
                  .has_value())
      << notify.Dump();
  EXPECT_EQ(daemon->Wait(60s), 0) << daemon->Log();
}

TEST_F(OperateTest, SigintMidStreamDrainsLikeSigtermAndRestartLosesNothing) {
  const int64_t rows = 20000;
  auto [before, during] = SplitCsv(Generate(rows, 50, 81), 5000);
  auto daemon = StartDaemon("first");
  ASSERT_EQ(Ctl({"produce", before}), 0);
  ASSERT_TRUE(WaitFor([&] { return Stored() == 5000; }, 60s)) << daemon->Log();
  std::thread producer([&] { EXPECT_EQ(Ctl({"produce", during}), 0); });
  WaitFor([&] { return Stored() > 5000; }, 30s);  // the rest is under way
  daemon->Signal(SIGINT);
  const int64_t at_signal = Stored();
  producer.join();
  ASSERT_EQ(daemon->Wait(60s), 0) << daemon->Log();
  EXPECT_NE(daemon->Log().find("Interrupt: draining"), std::string::npos) << daemon->Log();
  auto restarted = StartDaemon("second");
  ASSERT_TRUE(WaitAllBatched(rows, 120s))
      << "stored=" << Stored() << " (at SIGINT " << at_signal << ")\n"
      << restarted->Log();
  ExpectEveryMessageInExactlyOneBatch(rows);
  restarted->Signal(SIGTERM);
  EXPECT_EQ(restarted->Wait(60s), 0) << restarted->Log();
}

TEST_F(OperateTest, ASecondSignalDuringADrainExitsAtOnceAndTheRestartLosesNothing) {
  overrides_["MILESTONE_SHUTDOWN_TIMEOUT"] = "120s";  // far beyond what the test waits
  const int64_t rows = 3000;
  auto [before, during] = SplitCsv(Generate(rows, 20, 83), 1000);
  auto daemon = StartDaemon("stuck");
  ASSERT_EQ(Ctl({"produce", before}), 0);
  ASSERT_TRUE(WaitFor([&] { return Stored() == 1000; }, 60s)) << daemon->Log();
  // A lock on `messages` holds every insert back, so the drain cannot finish.
  auto locker = pg::Connection::Open(PgOptionsFor(dsn_));
  ASSERT_TRUE(locker.ok()) << locker.status().ToString();
  ASSERT_TRUE((*locker)->Exec("BEGIN").ok());
  ASSERT_TRUE((*locker)->Exec("LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE").ok());
  ASSERT_EQ(Ctl({"produce", during}), 0);
  ASSERT_TRUE(WaitFor(
      [&] {
        return Query(
                   "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                   "AND wait_event_type = 'Lock'") > 0;
      },
      30s))
      << "no insert waits on the lock\n"
      << daemon->Log();
  daemon->Signal(SIGTERM);
  ASSERT_TRUE(WaitFor(
      [&] { return daemon->Log().find("draining (at most shutdown.timeout") != std::string::npos; },
      10s))
      << daemon->Log();
  ASSERT_TRUE(daemon->running()) << "the drain finished despite the lock\n" << daemon->Log();
  const auto second = std::chrono::steady_clock::now();
  daemon->Signal(SIGINT);
  auto code = daemon->Wait(20s);
  ASSERT_TRUE(code.has_value()) << "still draining 20 s after the second signal\n" << daemon->Log();
  EXPECT_EQ(*code, 1) << daemon->Log();
  EXPECT_LT(std::chrono::steady_clock::now() - second, 10s);
  EXPECT_NE(daemon->Log().find("second signal: exiting at once"), std::string::npos)
      << daemon->Log();
  ASSERT_TRUE((*locker)->Exec("COMMIT").ok());
  auto restarted = StartDaemon("restarted");
  ASSERT_TRUE(WaitAllBatched(rows, 120s)) << "stored=" << Stored() << "\n" << restarted->Log();
  ExpectEveryMessageInExactlyOneBatch(rows);
  restarted->Signal(SIGTERM);
  EXPECT_EQ(restarted->Wait(60s), 0) << restarted->Log();
}

TEST_F(OperateTest, SighupReopensTheLogFileAfterARename) {
  const std::string log_file = scratch_ + "/milestoned-file.log";
  const std::string rotated = log_file + ".1";
  overrides_["MILESTONE_LOG_FILE"] = log_file;
  auto daemon = StartDaemon();
  ASSERT_TRUE(WaitFor(
      [&] { return FileText(log_file).find("milestoned running") != std::string::npos; }, 60s))
      << FileText(log_file) << daemon->Log();
  std::filesystem::rename(log_file, rotated);  // what logrotate does
  daemon->Signal(SIGHUP);
  ASSERT_TRUE(WaitFor(
      [&] { return FileText(log_file).find("SIGHUP: log file reopened") != std::string::npos; },
      20s))
      << "no new file at " << log_file << "; the rotated one ends:\n"
      << FileText(rotated);
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0) << daemon->Log();
  EXPECT_NE(FileText(log_file).find("stopped: "), std::string::npos) << FileText(log_file);
  const std::string old_text = FileText(rotated);
  EXPECT_NE(old_text.find("milestoned running"), std::string::npos);
  EXPECT_EQ(old_text.find("stopped: "), std::string::npos) << "still writing the rotated file";
}

// The value of the first sample of an instant query, if Prometheus answered with one.
std::optional<double> PromQuery(httplib::Client& prometheus, const std::string& query) {
  auto res = prometheus.Get("/api/v1/query", {{"query", query}}, httplib::Headers{});
  if (!res || res->status != 200) return std::nullopt;
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (body.is_discarded() || !body["data"]["result"].is_array() || body["data"]["result"].empty()) {
    return std::nullopt;
  }
  return std::stod(body["data"]["result"][0]["value"][1].get<std::string>());
}

// Runs `command` through the shell; returns its exit status and sets *output (stdout+stderr).
int Shell(const std::string& command, std::string* output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return -1;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe)) output->append(buf, n);
  int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(OperateTest, RealPrometheusScrapesTheDaemonAndPromtoolAcceptsItsMetrics) {
  const std::string prometheus_bin = "/usr/bin/prometheus", promtool = "/usr/bin/promtool";
  if (!std::filesystem::exists(prometheus_bin) || !std::filesystem::exists(promtool)) {
    GTEST_SKIP() << "prometheus absent (Debian package prometheus; deploy/install-deps)";
  }
  auto daemon = StartDaemon();
  const int64_t rows = 300;
  ASSERT_EQ(Ctl({"produce", Generate(rows, 3, 29)}), 0);
  ASSERT_TRUE(WaitAllBatched(rows, 60s)) << "stored=" << Stored() << "\n" << daemon->Log();

  const std::string config = scratch_ + "/prometheus.yml";
  std::ofstream(config) << "global:\n"
                           "  scrape_interval: 1s\n"
                           "  scrape_timeout: 1s\n"
                           "scrape_configs:\n"
                           "  - job_name: milestoned\n"
                           "    static_configs:\n"
                           "      - targets: ['127.0.0.1:"
                        << http_port_ << "']\n";
  const int prom_port = FreeLoopbackPort();
  Process prometheus = Process::Start(
      {prometheus_bin, "--config.file=" + config, "--storage.tsdb.path=" + scratch_ + "/prom-data",
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
      {}, scratch_ + "/prometheus.log");
  httplib::Client client("127.0.0.1", prom_port);
  client.set_connection_timeout(1s);
  EXPECT_TRUE(WaitFor([&] { return PromQuery(client, R"(up{job="milestoned"})") == 1.0; }, 60s))
      << prometheus.Log();
  EXPECT_TRUE(WaitFor(
      [&] {
        return PromQuery(client, "sum(milestoned_messages_consumed_total)") ==
               static_cast<double>(rows);
      },
      30s))
      << PromQuery(client, "sum(milestoned_messages_consumed_total)").value_or(-1) << "\n"
      << prometheus.Log();
  prometheus.Signal(SIGTERM);
  EXPECT_TRUE(prometheus.Wait(30s).has_value());

  // The daemon's own exposition, not a hand-built one, passes promtool's lint.
  const std::string exposition = scratch_ + "/metrics.txt";
  std::ofstream(exposition) << Metrics();
  std::string output;
  EXPECT_EQ(Shell(promtool + " check metrics < " + exposition, &output), 0) << output;
  EXPECT_EQ(output, "") << "promtool lint findings";
  EXPECT_GT(std::filesystem::file_size(exposition), 1000u);
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0) << daemon->Log();
}

}  // namespace
}  // namespace ms::test
