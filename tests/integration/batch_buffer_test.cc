// The Redis batch buffer's rebuild marker against the real Redis of the local stack: Redis
// that lost its state is noticed, and so is state lost while a rebuild runs.
#include "adapters/redis/batch_buffer.h"

#include <gtest/gtest.h>

#include "tests/support/stack_env.h"

namespace ms {
namespace {

class BatchBufferRebuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MS_REQUIRE_STACK(env);
    auto options = test::RedisOptionsFor(env);
    auto buffer_conn = redis::Connection::Open(options);
    auto admin = redis::Connection::Open(options);
    ASSERT_TRUE(buffer_conn.ok() && admin.ok());
    admin_ = std::move(admin).value();
    prefix_ = test::UniqueName("rebuild");
    buffer_ = std::make_unique<redis::RedisBatchBuffer>(std::move(buffer_conn).value(), prefix_);
  }

  // What a restart or FLUSHALL does to this buffer, without touching any other test's keys
  // (tests run in parallel on one Redis).
  void Flush() {
    auto keys = admin_->Command({"KEYS", prefix_ + ":*"});
    ASSERT_TRUE(keys.ok()) << keys.status().ToString();
    for (const auto& key : keys->elements) ASSERT_TRUE(admin_->Command({"DEL", key.str}).ok());
  }

  bool Needs() {
    auto needs = buffer_->NeedsRebuild();
    EXPECT_TRUE(needs.ok()) << needs.status().ToString();
    return needs.ok() && *needs;
  }

  std::string prefix_;
  std::unique_ptr<redis::Connection> admin_;
  std::unique_ptr<redis::RedisBatchBuffer> buffer_;
};

TEST_F(BatchBufferRebuildTest, AFinishedRebuildIsRememberedUntilRedisIsEmptied) {
  EXPECT_TRUE(Needs()) << "a fresh Redis holds no buffers";
  ASSERT_TRUE(buffer_->BeginRebuild().ok());
  EXPECT_TRUE(Needs()) << "begun is not finished";
  ASSERT_TRUE(buffer_->MarkRebuilt().ok());
  EXPECT_FALSE(Needs());
  Flush();
  EXPECT_TRUE(Needs());
}

TEST_F(BatchBufferRebuildTest, StateLostWhileARebuildRunsIsNoticed) {
  ASSERT_TRUE(buffer_->BeginRebuild().ok());
  // ... Postgres read and re-appended here, then Redis loses it all ...
  Flush();
  ASSERT_TRUE(buffer_->MarkRebuilt().ok());
  EXPECT_TRUE(Needs()) << "finishing must not cover a flush that happened during the rebuild";
}

}  // namespace
}  // namespace ms
