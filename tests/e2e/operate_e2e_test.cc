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
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

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
  overrides_["MILESTONE_LLM_PROVIDER"] = "openai";
  overrides_["MILESTONE_LLM_BASE_URL"] = llm.base_url();
  overrides_["MILESTONE_LLM_API_KEY"] = "sk-test-0123456789";
  overrides_["MILESTONE_LLM_MODEL"] = "fake-model";
  overrides_["MILESTONE_LLM_PRICES"] = "fake-model=1/2";
  overrides_["MILESTONE_LLM_REQUESTS_PER_MINUTE"] = "100000";
  overrides_["MILESTONE_LLM_TOKENS_PER_MINUTE"] = "1000000000";
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

}  // namespace
}  // namespace ms::test
