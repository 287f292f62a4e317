// HttpServer in-process on a loopback ephemeral port: health, readiness, metrics and the read
// API's error mapping, with a fake ReadApi.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "adapters/http/server.h"
#include "fake_time.h"

namespace ms::http {
namespace {

using std::chrono::seconds;
using test::FakeClock;
using ::testing::HasSubstr;

class FakeReadApi final : public ReadApi {
 public:
  StatusOr<std::string> CompanyEvents(const std::string& company_id,
                                      const EventFilter& filter) override {
    last_company = company_id;
    last_filter = filter;
    if (company_id == "down") return Unavailable("postgres: connection refused");
    if (company_id == "bug") return Internal("SQLSTATE 42P01 secret detail");
    return std::string(R"({"company_id":")") + company_id + R"(","events":[]})";
  }
  StatusOr<std::string> Batch(int64_t batch_id) override {
    if (batch_id == 7) return std::string(R"({"id":7})");
    return NotFound("no batch " + std::to_string(batch_id));
  }
  StatusOr<std::string> InvestorEmail(const std::string& company_id) override {
    return InvalidArgument("invalid company id " + company_id);
  }
  std::string last_company;
  EventFilter last_filter;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Restart(&api_); }

  void Restart(ReadApi* api) {
    server_.reset();
    auto server = HttpServer::Start({"127.0.0.1", 0, 2}, {&metrics_, &health_, api});
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  }

  httplib::Result Get(const std::string& path) { return client_->Get(path.c_str()); }

  FakeClock clock_;
  HealthRegistry health_{&clock_, seconds(10)};
  Metrics metrics_;
  FakeReadApi api_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, HealthzFollowsTheHeartbeat) {
  health_.SetPhase(HealthPhase::kServing);
  auto res = Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  clock_.Advance(seconds(11));
  res = Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_THAT(res->body, HasSubstr("stalled"));
}

TEST_F(HttpServerTest, DuringStartUpAliveButNotReady) {
  clock_.Advance(seconds(60));  // a long start-up (migrations, topic creation)
  auto res = Get("/healthz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  res = Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(nlohmann::json::parse(res->body)["checks"]["lifecycle"]["detail"], "starting");
}

TEST_F(HttpServerTest, ReadyzReportsPhaseAndChecks) {
  health_.AddCheck("postgres", [] { return CheckResult{true, "ok"}; });
  auto res = Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  health_.SetPhase(HealthPhase::kServing);
  res = Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "application/json");
  auto body = nlohmann::json::parse(res->body);
  EXPECT_EQ(body["status"], "ready");
  EXPECT_EQ(body["checks"]["postgres"]["ok"], true);
}

TEST_F(HttpServerTest, MetricsUseTheTextFormat) {
  metrics_.MessagesConsumed(Source::kGmail).Increment(4);
  auto res = Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(res->body, HasSubstr("milestoned_messages_consumed_total{source=\"gmail\"} 4"));
}

TEST_F(HttpServerTest, EventsPassCompanyAndFilter) {
  auto res = Get("/v1/companies/acme-1/events?since=2024-01-01T00:00:00Z&type=funding");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, R"({"company_id":"acme-1","events":[]})");
  EXPECT_EQ(api_.last_company, "acme-1");
  EXPECT_EQ(api_.last_filter.since, "2024-01-01T00:00:00Z");
  EXPECT_EQ(api_.last_filter.type, "funding");
}

TEST_F(HttpServerTest, ReadErrorsMapToHttpStatuses) {
  EXPECT_EQ(Get("/v1/batches/7")->status, 200);
  EXPECT_EQ(Get("/v1/batches/8")->status, 404);
  EXPECT_EQ(Get("/v1/batches/abc")->status, 400);
  EXPECT_EQ(Get("/v1/batches/-3")->status, 400);
  EXPECT_EQ(Get("/v1/companies/acme/investor-email")->status, 400);
  EXPECT_EQ(Get("/v1/companies/down/events")->status, 503);
  auto res = Get("/v1/companies/bug/events");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_THAT(res->body, ::testing::Not(HasSubstr("secret")));
  res = Get("/v1/nothing");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  EXPECT_THAT(res->body, HasSubstr("\"error\""));
}

TEST_F(HttpServerTest, ReadRoutesWithoutAReadApiAreUnavailable) {
  Restart(nullptr);
  EXPECT_EQ(Get("/v1/batches/7")->status, 503);
  EXPECT_EQ(Get("/healthz")->status, 200);
}

TEST_F(HttpServerTest, StopIsIdempotentAndClosesThePort) {
  int port = server_->port();
  server_->Stop();
  server_->Stop();
  httplib::Client client("127.0.0.1", port);
  EXPECT_FALSE(client.Get("/healthz"));
}

TEST_F(HttpServerTest, APortInUseIsAConfigurationError) {
  auto second = HttpServer::Start({"127.0.0.1", server_->port(), 1}, {&metrics_, &health_, &api_});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
}

// Silent connections (opened, nothing sent) must not hold every thread: a probe with a short
// timeout is answered while eight of them are open.
TEST_F(HttpServerTest, SilentConnectionsDoNotDelayAProbe) {
  auto server = HttpServer::Start({"127.0.0.1", 0}, {&metrics_, &health_, &api_});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  std::vector<int> silent;
  for (int n = 0; n < 8; ++n) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>((*server)->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    silent.push_back(fd);
  }
  health_.SetPhase(HealthPhase::kServing);
  httplib::Client probe("127.0.0.1", (*server)->port());
  probe.set_connection_timeout(0, 500'000);
  probe.set_read_timeout(0, 900'000);  // under the server's 1 s read timeout
  auto res = probe.Get("/healthz");
  ASSERT_TRUE(res) << "the probe waited behind silent connections: "
                   << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  for (int fd : silent) close(fd);
}

TEST_F(HttpServerTest, WithATokenTheReadApiNeedsItAndProbesDoNot) {
  HttpServices services{&metrics_, &health_, &api_, "t0ken"};
  auto server = HttpServer::Start({"127.0.0.1", 0}, services);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  httplib::Client client("127.0.0.1", (*server)->port());
  auto bare = client.Get("/v1/companies/acme/events");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->status, 401);
  EXPECT_EQ(bare->get_header_value("WWW-Authenticate"), "Bearer");
  auto wrong = client.Get("/v1/companies/acme/events", {{"Authorization", "Bearer t0kem"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto longer = client.Get("/v1/companies/acme/events", {{"Authorization", "Bearer t0ken0"}});
  ASSERT_TRUE(longer);
  EXPECT_EQ(longer->status, 401);
  auto right = client.Get("/v1/companies/acme/events", {{"Authorization", "Bearer t0ken"}});
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  EXPECT_EQ(api_.last_company, "acme");
  for (const char* open : {"/healthz", "/metrics"}) {
    auto res = client.Get(open);
    ASSERT_TRUE(res);
    EXPECT_NE(res->status, 401) << open;
  }
}

TEST(HttpLoopbackTest, RecognisesLoopbackAddresses) {
  EXPECT_TRUE(IsLoopback("127.0.0.1"));
  EXPECT_TRUE(IsLoopback("::1"));
  EXPECT_TRUE(IsLoopback("localhost"));
  EXPECT_FALSE(IsLoopback("0.0.0.0"));
  EXPECT_FALSE(IsLoopback("::"));
}

}  // namespace
}  // namespace ms::http
