// The Redis batch buffer against the real Redis of the local stack: Redis that lost its state
// is noticed, and so is state lost while a rebuild runs; a claim cut short after its script
// is still found by the orphan sweep, and an append landing between a claim and its due-index
// update keeps its company due.
#include "adapters/redis/batch_buffer.h"

#include <gtest/gtest.h>

#include <functional>
#include <utility>

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

// Runs `between` once, right after the next claim script answered (ports the interleaving a
// second instance or a crash would bring).
class InterleavedBuffer final : public redis::RedisBatchBuffer {
 public:
  using RedisBatchBuffer::RedisBatchBuffer;
  std::function<Status()> between;

 protected:
  Status AfterClaimScript() override {
    if (!between) return Status::Ok();
    return std::exchange(between, nullptr)();
  }
};

class BatchBufferInterleavingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MS_REQUIRE_STACK(env);
    auto options = test::RedisOptionsFor(env);
    auto claimer = redis::Connection::Open(options);
    auto appender = redis::Connection::Open(options);
    ASSERT_TRUE(claimer.ok() && appender.ok());
    prefix_ = test::UniqueName("interleave");
    claimer_ = std::make_unique<InterleavedBuffer>(std::move(claimer).value(), prefix_);
    appender_ = std::make_unique<redis::RedisBatchBuffer>(std::move(appender).value(), prefix_);
  }
  Status Append(int64_t id, std::chrono::milliseconds at) {
    MessageRef ref;
    ref.id = id;
    ref.company_id = "acme";
    ref.source = Source::kSlack;
    return appender_->Append(std::span<const MessageRef>(&ref, 1), 100, at).status();
  }

  static constexpr std::chrono::milliseconds kMaxAge{60'000};
  std::string prefix_;
  std::unique_ptr<InterleavedBuffer> claimer_;
  std::unique_ptr<redis::RedisBatchBuffer> appender_;
};

TEST_F(BatchBufferInterleavingTest, AnAppendBetweenAClaimAndItsDueUpdateKeepsTheCompanyDue) {
  const std::chrono::milliseconds t0{1'000'000};
  ASSERT_TRUE(Append(1, t0).ok());
  claimer_->between = [&] { return Append(2, t0 + kMaxAge); };
  auto claim = claimer_->TakeClaim("acme", 100, kMaxAge, t0 + kMaxAge);  // aged: claims id 1
  ASSERT_TRUE(claim.ok()) << claim.status().ToString();
  ASSERT_TRUE(claim->has_value());
  EXPECT_EQ((*claim)->message_ids, std::vector<int64_t>{1});
  auto due = claimer_->DueCompanies(kMaxAge, t0 + 2 * kMaxAge);
  ASSERT_TRUE(due.ok()) << due.status().ToString();
  EXPECT_EQ(*due, std::vector<std::string>{"acme"})
      << "message 2 lost its due entry: max_age no longer applies to it";
}

TEST_F(BatchBufferInterleavingTest, AClaimCutShortAfterItsScriptIsFoundByTheOrphanSweep) {
  const std::chrono::milliseconds t0{1'000'000};
  ASSERT_TRUE(Append(1, t0).ok());
  claimer_->between = [] { return Unavailable("redis: connection lost"); };
  auto claim = claimer_->TakeClaim("acme", 100, kMaxAge, t0 + kMaxAge);
  EXPECT_FALSE(claim.ok()) << "the claim was meant to be cut short";
  auto orphans = claimer_->Orphans(std::chrono::milliseconds(0), t0 + 2 * kMaxAge);
  ASSERT_TRUE(orphans.ok()) << orphans.status().ToString();
  ASSERT_EQ(orphans->size(), 1u) << "a claim nobody will finish or find";
  EXPECT_EQ(orphans->front().message_ids, std::vector<int64_t>{1});
  ASSERT_TRUE(claimer_->Release(orphans->front()).ok());
  auto none = claimer_->Orphans(std::chrono::milliseconds(0), t0 + 2 * kMaxAge);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(BatchBufferInterleavingTest, AClaimThatFindsNothingDueLeavesNoIndexEntry) {
  const std::chrono::milliseconds t0{1'000'000};
  ASSERT_TRUE(Append(1, t0).ok());
  auto claim = claimer_->TakeClaim("acme", 100, kMaxAge, t0);  // neither full nor aged
  ASSERT_TRUE(claim.ok()) << claim.status().ToString();
  EXPECT_FALSE(claim->has_value());
  auto orphans = claimer_->Orphans(std::chrono::milliseconds(0), t0 + kMaxAge);
  ASSERT_TRUE(orphans.ok());
  EXPECT_TRUE(orphans->empty());
}

}  // namespace
}  // namespace ms
