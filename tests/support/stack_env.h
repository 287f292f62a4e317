// Test access to the local stack started by deploy/local/stack (its env file must be
// sourced). Each test isolates itself: its own database, topics, consumer group and Redis key
// prefix, named by UniqueName().
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "adapters/postgres/pg.h"
#include "adapters/redis/redis.h"

namespace ms::test {

struct StackEnv {
  std::string brokers;
  std::string pg_dsn;  // the stack's `milestoned` database
  std::string redis_host;
  int redis_port = 0;
};

// Reads MILESTONE_KAFKA_BROKERS, MILESTONE_POSTGRES_DSN, MILESTONE_REDIS_HOST/PORT.
std::optional<StackEnv> LoadStackEnv();

// In a test body: skips (or, with MILESTONE_REQUIRE_STACK=1 as in CI, fails) when the stack
// env is missing.
#define MS_REQUIRE_STACK(env_var)                                                          \
  auto env_var##_opt = ::ms::test::LoadStackEnv();                                         \
  if (!env_var##_opt) {                                                                    \
    if (::ms::test::StackRequired()) FAIL() << "local stack env missing (source its env)"; \
    GTEST_SKIP() << "local stack not running: deploy/local/stack up, then source its env"; \
  }                                                                                        \
  const ::ms::test::StackEnv& env_var = *env_var##_opt

bool StackRequired();

// "prefix_<pid>_<counter>_<random>": unique across tests and concurrent test processes.
std::string UniqueName(const std::string& prefix);

// A loopback TCP port nobody listens on right now: the kernel's choice, never a fixed number.
// (Another process could take it before the caller binds it; tests accept that small race.)
int FreeLoopbackPort();

// Creates an empty database and returns a DSN for it; dropped by DropDatabase.
std::string CreateDatabase(const StackEnv& env, const std::string& name);
void DropDatabase(const StackEnv& env, const std::string& name);

// A fixture with a database of its own, migrated to the current schema and dropped after the
// test. Skips (fails with MILESTONE_REQUIRE_STACK=1) without the local stack. A derived SetUp
// calls this one first and returns unless Ready(); a derived TearDown closes its connections,
// then calls this one.
class MigratedDatabaseTest : public ::testing::Test {
 protected:
  explicit MigratedDatabaseTest(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override;
  void TearDown() override;
  bool Ready() const { return !IsSkipped() && !HasFatalFailure(); }

  // A new connection to, or pool on, the test's database; null after a failed assertion.
  std::unique_ptr<pg::Connection> Connect();
  std::unique_ptr<pg::Pool> OpenPool(int pool_size = 0);  // 0: the adapter's default size

  StackEnv env_;
  std::string db_;
  std::string dsn_;

 private:
  std::string prefix_;
};

pg::PgOptions PgOptionsFor(const std::string& dsn);
redis::RedisOptions RedisOptionsFor(const StackEnv& env);

// Polls `condition` every 50 ms until it holds or `timeout` passes. Returns whether it held.
bool WaitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout);

// Runs one query expected to return a single integer (test assertions).
int64_t QueryInt(const std::string& dsn, const std::string& sql);

}  // namespace ms::test
