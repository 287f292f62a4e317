// The real Prometheus scrapes the in-process HTTP server, and promtool accepts the exposition.
// Both skip when the Debian `prometheus` package is not installed.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>

#include "adapters/http/server.h"
#include "tests/support/process.h"
#include "tests/support/stack_env.h"

namespace ms {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const char* kPrometheus = "/usr/bin/prometheus";
const char* kPromtool = "/usr/bin/promtool";

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/ms_prom_XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void WriteConfig(const fs::path& file, int target_port) {
  std::ofstream(file) << "global:\n"
                         "  scrape_interval: 1s\n"
                         "  scrape_timeout: 1s\n"
                         "  evaluation_interval: 1s\n"
                         "scrape_configs:\n"
                         "  - job_name: milestoned\n"
                         "    static_configs:\n"
                         "      - targets: ['127.0.0.1:"
                      << target_port << "']\n";
}

// The value of the first sample of an instant query, if Prometheus answered with one.
std::optional<double> QueryValue(httplib::Client& prometheus, const std::string& query) {
  auto res = prometheus.Get("/api/v1/query", {{"query", query}}, httplib::Headers{});
  if (!res || res->status != 200) return std::nullopt;
  auto body = nlohmann::json::parse(res->body, nullptr, false);
  if (body.is_discarded() || body["data"]["result"].empty()) return std::nullopt;
  return std::stod(body["data"]["result"][0]["value"][1].get<std::string>());
}

TEST(PrometheusScrape, RealPrometheusScrapesTheMetricsEndpoint) {
  if (!fs::exists(kPrometheus)) GTEST_SKIP() << "prometheus absent (Debian package prometheus)";
  Metrics metrics({.version = "", .llm_providers = {"rules"}, .dlq_reasons = {}});
  metrics.MessagesConsumed(Source::kSlack).Increment(42);
  SystemClock clock;
  HealthRegistry health(&clock, 30s);
  auto server = http::HttpServer::Start({"127.0.0.1", 0, 2}, {&metrics, &health, nullptr});
  ASSERT_TRUE(server.ok()) << server.status().ToString();

  TempDir dir;
  WriteConfig(dir.path() / "prometheus.yml", (*server)->port());
  const int prom_port = test::FreeLoopbackPort();
  test::Process prometheus = test::Process::Start(
      {kPrometheus, "--config.file=" + (dir.path() / "prometheus.yml").string(),
       "--storage.tsdb.path=" + (dir.path() / "data").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
      {}, (dir.path() / "prometheus.log").string());
  httplib::Client client("127.0.0.1", prom_port);
  client.set_connection_timeout(1s);

  EXPECT_TRUE(
      test::WaitFor([&] { return QueryValue(client, R"(up{job="milestoned"})") == 1.0; }, 60s))
      << prometheus.Log();
  EXPECT_TRUE(test::WaitFor(
      [&] {
        auto value = QueryValue(client, R"(milestoned_messages_consumed_total{source="slack"})");
        return value && *value > 0;
      },
      30s))
      << prometheus.Log();
  prometheus.Signal(SIGTERM);
  EXPECT_TRUE(prometheus.Wait(30s).has_value());
}

TEST(PrometheusScrape, PromtoolAcceptsTheExposition) {
  if (!fs::exists(kPromtool)) GTEST_SKIP() << "promtool absent (Debian package prometheus)";
  Metrics metrics({.version = "", .llm_providers = {"rules"}, .dlq_reasons = {"invalid_json"}});
  metrics.MessagesConsumed(Source::kSlack).Increment(42);
  metrics.LlmRequestLatency("rules", 200).Observe(0.01);
  metrics.LlmRequestErrors("rules", 0).Increment();
  PartitionLag lag{"slack-messages", 3, 12};
  metrics.SetConsumerLags({&lag, 1});
  TempDir dir;
  const fs::path file = dir.path() / "metrics.txt";
  std::ofstream(file) << metrics.Serialize();
  FILE* pipe =
      popen((std::string(kPromtool) + " check metrics < " + file.string() + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe)) output.append(buf, n);
  int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  EXPECT_EQ(output, "") << "promtool lint findings";
}

}  // namespace
}  // namespace ms
