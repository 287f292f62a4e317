// The Redis batch buffer against the real Redis of the local stack: one append call per hash
// slot counts, indexes and reports every company of a poll, as often as it is repeated; Redis
// that lost its state is noticed, and so is state lost while a rebuild runs; a claim cut short
// after its script is still found by the orphan sweep, and an append landing between a claim and
// its due-index update keeps its company due.
#include "adapters/redis/batch_buffer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <set>
#include <utility>

#include "tests/support/stack_env.h"

namespace ms {
namespace {

// A buffer over its own key prefix, and a second connection to look underneath it.
class BufferOnRedis : public ::testing::Test {
 protected:
  explicit BufferOnRedis(std::string tag) : tag_(std::move(tag)) {}
  void SetUp() override {
    MS_REQUIRE_STACK(env);
    auto options = test::RedisOptionsFor(env);
    auto buffer_conn = redis::Connection::Open(options);
    auto admin = redis::Connection::Open(options);
    ASSERT_TRUE(buffer_conn.ok() && admin.ok());
    admin_ = std::move(admin).value();
    prefix_ = test::UniqueName(tag_);
    buffer_ = std::make_unique<redis::RedisBatchBuffer>(std::move(buffer_conn).value(), prefix_);
  }

  std::string tag_;
  std::string prefix_;
  std::unique_ptr<redis::Connection> admin_;
  std::unique_ptr<redis::RedisBatchBuffer> buffer_;
};

class BatchBufferRebuildTest : public BufferOnRedis {
 protected:
  BatchBufferRebuildTest() : BufferOnRedis("rebuild") {}

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

// A poll over many companies, some sharing a hash slot (so one script call serves several).
class BatchBufferAppendTest : public BufferOnRedis {
 protected:
  BatchBufferAppendTest() : BufferOnRedis("append") {}

  // `companies` companies, ids i = 1..per_company*companies round robin, even ids from Slack.
  static std::vector<MessageRef> Refs(const std::vector<std::string>& companies, int per_company,
                                      int64_t first_id = 1) {
    std::vector<MessageRef> refs;
    int64_t id = first_id;
    for (int round = 0; round < per_company; ++round) {
      for (const std::string& company : companies) {
        MessageRef ref;
        ref.id = id;
        ref.company_id = company;
        ref.source = id % 2 == 0 ? Source::kSlack : Source::kGmail;
        refs.push_back(ref);
        ++id;
      }
    }
    return refs;
  }

  std::vector<std::string> Due() {
    auto due = buffer_->DueCompanies(std::chrono::milliseconds(0), kLater);
    EXPECT_TRUE(due.ok()) << due.status().ToString();
    std::vector<std::string> out = due.ok() ? *due : std::vector<std::string>{};
    std::sort(out.begin(), out.end());
    return out;
  }

  // The company's pending count of one source kept in its meta hash (absent = 0).
  int64_t Meta(const std::string& company, const std::string& field) {
    auto r = admin_->Command({"HGET", prefix_ + ":{" + company + "}:meta", field});
    EXPECT_TRUE(r.ok());
    return r.ok() && !r->is_nil() ? std::stoll(r->str) : 0;
  }

  static constexpr std::chrono::milliseconds kNow{5'000'000};
  static constexpr std::chrono::milliseconds kLater{6'000'000};
};

// 40 companies, and two more found to share the first one's slot.
std::vector<std::string> ManyCompaniesSomeInOneSlot(const std::string& prefix) {
  std::vector<std::string> out;
  for (int i = 0; i < 40; ++i) out.push_back("co" + std::to_string(i));
  const int slot = redis::KeySlot(prefix + ":{co0}:pending");
  for (int i = 40; out.size() < 42; ++i) {
    const std::string company = "co" + std::to_string(i);
    if (redis::KeySlot(prefix + ":{" + company + "}:pending") == slot) out.push_back(company);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(BatchBufferAppendTest, OnePollCountsIndexesAndReportsEveryCompany) {
  const auto companies = ManyCompaniesSomeInOneSlot(prefix_);
  auto full = buffer_->Append(Refs(companies, 3), 3, kNow);
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  std::sort(full->begin(), full->end());
  EXPECT_EQ(*full, companies) << "every company reached the threshold of 3";
  EXPECT_EQ(Due(), companies) << "every company with pending messages is due";
  for (const std::string& company : companies) {
    auto pending = buffer_->PendingCount(company);
    ASSERT_TRUE(pending.ok());
    EXPECT_EQ(*pending, 3) << company;
    EXPECT_EQ(Meta(company, "slack") + Meta(company, "gmail"), 3) << company;
  }
  auto below = buffer_->Append(Refs(companies, 1, 1000), 5, kNow);
  ASSERT_TRUE(below.ok());
  EXPECT_TRUE(below->empty()) << "4 pending is below a threshold of 5";
}

TEST_F(BatchBufferAppendTest, ARepeatedAppendChangesNoCountAndRestoresALostDueEntry) {
  const auto companies = ManyCompaniesSomeInOneSlot(prefix_);
  const auto refs = Refs(companies, 2);
  ASSERT_TRUE(buffer_->Append(refs, 100, kNow).ok());
  // The reply of the first append lost before the due index was written: the entries are
  // missing, and the same refs come again (a retried poll or a re-offer from Postgres).
  ASSERT_TRUE(admin_->Command({"DEL", prefix_ + ":due"}).ok());
  ASSERT_TRUE(Due().empty());
  auto again = buffer_->Append(refs, 100, kLater);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Due(), companies);
  for (const std::string& company : companies) {
    auto pending = buffer_->PendingCount(company);
    ASSERT_TRUE(pending.ok());
    EXPECT_EQ(*pending, 2) << company << ": counted twice";
    EXPECT_EQ(Meta(company, "slack") + Meta(company, "gmail"), 2);
  }
  // The due score is the first arrival, not the repeat's.
  auto aged = buffer_->DueCompanies(kLater - kNow, kLater);
  ASSERT_TRUE(aged.ok());
  EXPECT_EQ(aged->size(), companies.size());
}

TEST(KeySlot, IsRedisClusterSlotOfTheHashTag) {
  EXPECT_EQ(redis::KeySlot("123456789"), 0x31C3 & 16383);  // CRC-16/XMODEM's check value
  EXPECT_EQ(redis::KeySlot("{user1000}.following"), redis::KeySlot("{user1000}.followers"));
  EXPECT_EQ(redis::KeySlot("{user1000}.following"), redis::KeySlot("user1000"));
  EXPECT_EQ(redis::KeySlot("somekey"), 11058);  // CLUSTER KEYSLOT's documented examples
  EXPECT_EQ(redis::KeySlot("foo{hash_tag}"), 2515);
  EXPECT_NE(redis::KeySlot("foo{}{bar}"), redis::KeySlot("bar"))
      << "an empty tag hashes the whole key";
  EXPECT_EQ(redis::KeySlot("foo{{bar}}zap"), redis::KeySlot("{bar")) << "the first { to the next }";
}

}  // namespace
}  // namespace ms
