#include "tests/support/stack_env.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>

#include "adapters/postgres/migrations.h"

namespace ms::test {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string AdminDsn(const StackEnv& env) {
  return env.pg_dsn;  // the `milestoned` role is a superuser on the test stack
}

}  // namespace

std::optional<StackEnv> LoadStackEnv() {
  StackEnv env;
  env.brokers = Env("MILESTONE_KAFKA_BROKERS");
  env.pg_dsn = Env("MILESTONE_POSTGRES_DSN");
  env.redis_host = Env("MILESTONE_REDIS_HOST");
  std::string port = Env("MILESTONE_REDIS_PORT");
  if (env.brokers.empty() || env.pg_dsn.empty() || env.redis_host.empty() || port.empty()) {
    return std::nullopt;
  }
  env.redis_port = std::atoi(port.c_str());
  return env;
}

bool StackRequired() {
  return Env("MILESTONE_REQUIRE_STACK") == "1";
}

int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  static const unsigned nonce = std::random_device{}() % 100000;
  return prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(nonce);
}

pg::PgOptions PgOptionsFor(const std::string& dsn) {
  pg::PgOptions opts;
  opts.dsn = dsn;
  opts.pool_size = 2;
  return opts;
}

redis::RedisOptions RedisOptionsFor(const StackEnv& env) {
  redis::RedisOptions opts;
  opts.host = env.redis_host;
  opts.port = env.redis_port;
  return opts;
}

void MigratedDatabaseTest::SetUp() {
  MS_REQUIRE_STACK(env);
  env_ = env;
  db_ = UniqueName(prefix_);
  dsn_ = CreateDatabase(env_, db_);
  auto conn = pg::Connection::Open(PgOptionsFor(dsn_));
  ASSERT_TRUE(conn.ok()) << conn.status().ToString();
  auto migrated = pg::Migrate(**conn);
  ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
}

std::unique_ptr<pg::Connection> MigratedDatabaseTest::Connect() {
  auto conn = pg::Connection::Open(PgOptionsFor(dsn_));
  EXPECT_TRUE(conn.ok()) << conn.status().ToString();
  return conn.ok() ? std::move(conn).value() : nullptr;
}

std::unique_ptr<pg::Pool> MigratedDatabaseTest::OpenPool(int pool_size) {
  pg::PgOptions options = PgOptionsFor(dsn_);
  if (pool_size > 0) options.pool_size = pool_size;
  auto pool = pg::Pool::Open(options);
  EXPECT_TRUE(pool.ok()) << pool.status().ToString();
  return pool.ok() ? std::move(pool).value() : nullptr;
}

void MigratedDatabaseTest::TearDown() {
  if (!db_.empty()) DropDatabase(env_, db_);
}

std::string CreateDatabase(const StackEnv& env, const std::string& name) {
  auto conn = pg::Connection::Open(PgOptionsFor(AdminDsn(env)));
  if (!conn.ok()) throw std::runtime_error(conn.status().ToString());
  // Identifiers cannot be parameters; `name` comes from UniqueName (alphanumerics and _).
  auto res = (*conn)->Exec("CREATE DATABASE " + name);
  if (!res.ok()) throw std::runtime_error(res.status().ToString());
  return env.pg_dsn + " dbname=" + name;
}

void DropDatabase(const StackEnv& env, const std::string& name) {
  auto conn = pg::Connection::Open(PgOptionsFor(AdminDsn(env)));
  if (conn.ok()) (void)(*conn)->Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

int64_t QueryInt(const std::string& dsn, const std::string& sql) {
  auto conn = pg::Connection::Open(PgOptionsFor(dsn));
  if (!conn.ok()) return -1;
  auto res = (*conn)->Exec(sql);
  if (!res.ok() || res->rows() == 0) return -1;
  return res->GetInt(0, 0);
}

}  // namespace ms::test
