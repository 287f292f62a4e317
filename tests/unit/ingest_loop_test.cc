// IngestLoop over a fake message source and fakes behind the Persister's ports: offsets are stored
// only once the records below them are in Postgres and Redis, in poll order, never past a batch
// that is not durable; a down or slow store pauses the partitions and they resume by themselves;
// a revoke finishes the partitions' in-flight work before they go, a lost partition is fenced.
//
// Run runs on a thread of its own; the test waits for states of the source (what was stored,
// paused, committed) and moves the fake clock, which is all the loop reads time from.
#include "app/ingest_loop.h"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "fake_time.h"
#include "ingest_fakes.h"

namespace ms::app {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::FakeMessageSource;
using Offset = FakeMessageSource::Offset;
using State = FakeMessageSource::State;

const PartitionKey kP0{"slack-messages", 0};
const PartitionKey kP1{"slack-messages", 1};

// Which records (by partition and offset) reached Postgres and Redis; any thread.
class Durability {
 public:
  void Upserted(std::span<const Message> messages, const std::vector<MessageRef>& refs) {
    std::lock_guard lock(mu_);
    for (size_t idx = 0; idx < messages.size() && idx < refs.size(); ++idx) {
      const KafkaPosition& at = messages[idx].position;
      Position position{{at.topic, at.partition}, at.offset};
      by_id_[refs[idx].id] = position;
      postgres_.insert(position);
    }
  }
  void Appended(std::span<const MessageRef> refs) {
    std::lock_guard lock(mu_);
    for (const MessageRef& ref : refs) redis_.insert(by_id_.at(ref.id));
  }
  bool InPostgres(const PartitionKey& partition, int64_t offset) const {
    std::lock_guard lock(mu_);
    return postgres_.contains({partition, offset});
  }
  bool InRedis(const PartitionKey& partition, int64_t offset) const {
    std::lock_guard lock(mu_);
    return redis_.contains({partition, offset});
  }
  // Every record of `partition` below `next` is in both.
  bool DurableBelow(const PartitionKey& partition, int64_t next) const {
    for (int64_t offset = 0; offset < next; ++offset) {
      if (!InPostgres(partition, offset) || !InRedis(partition, offset)) return false;
    }
    return true;
  }

 private:
  using Position = std::pair<PartitionKey, int64_t>;
  mutable std::mutex mu_;
  std::map<int64_t, Position> by_id_;  // guarded by mu_
  std::set<Position> postgres_;        // guarded by mu_
  std::set<Position> redis_;           // guarded by mu_
};

struct RecordingStore : test::FakeStore {
  explicit RecordingStore(Durability* durable) : durable(durable) {}
  StatusOr<std::vector<MessageRef>> Upsert(std::span<const Message> messages) override {
    auto refs = FakeStore::Upsert(messages);
    if (refs.ok()) durable->Upserted(messages, *refs);
    return refs;
  }
  Durability* durable;
};

struct RecordingBuffer : test::FakeBuffer {
  explicit RecordingBuffer(Durability* durable) : durable(durable) {}
  StatusOr<std::vector<std::string>> Append(std::span<const MessageRef> refs, int threshold,
                                            milliseconds now) override {
    auto full = FakeBuffer::Append(refs, threshold, now);
    if (full.ok()) durable->Appended(refs);
    return full;
  }
  Durability* durable;
};

// Holds the threads that Pass() until Open(); a test waits for one to arrive.
class Gate {
 public:
  void Pass() {
    std::unique_lock lock(mu_);
    ++arrived_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool AwaitArrival() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, seconds(20), [&] { return arrived_ > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int arrived_ = 0;    // guarded by mu_
  bool open_ = false;  // guarded by mu_
};

// Polls `pred` until it holds, for at most 20 s: for state the source cannot wake a waiter on.
bool Eventually(const std::function<bool()>& pred) {
  const auto deadline = std::chrono::steady_clock::now() + seconds(20);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(milliseconds(1));
  }
  return true;
}

std::vector<Offset> OffsetsOf(const std::vector<Offset>& offsets, const PartitionKey& partition) {
  std::vector<Offset> out;
  for (const Offset& o : offsets) {
    if (o.partition == partition) out.push_back(o);
  }
  return out;
}

bool Has(const std::vector<Offset>& offsets, const Offset& offset) {
  return std::find(offsets.begin(), offsets.end(), offset) != offsets.end();
}

class IngestLoopTest : public ::testing::Test {
 protected:
  IngestLoopTest() {
    loop_ =
        std::make_unique<IngestLoop>(config_, &persister_, &full_companies_, &clock_, &metrics_);
    loop_->Attach(&source_);
    source_.SetListener(loop_.get());
    // Invariant 1, checked at every offset the loop stores.
    source_.on_store_offset = [this](const Offset& o) {
      EXPECT_TRUE(durable_.DurableBelow(o.partition, o.next))
          << "offset " << o.next << " of partition " << o.partition.second
          << " stored before every record below it was in Postgres and Redis";
    };
  }
  ~IngestLoopTest() override {
    gate_.Open();
    (void)Stop();
  }

  void Start() {
    run_ = std::async(std::launch::async, [this] { return loop_->Run(stop_); });
  }
  Status Stop() {
    if (!run_.valid()) return Status::Ok();
    stop_ = true;
    source_.Wake();
    return run_.get();
  }
  // Adds `count` well-formed Slack messages to `partition`; returns the offset after them.
  int64_t AddRecords(const PartitionKey& partition, int count) {
    int64_t offset = -1;
    for (int n = 0; n < count; ++n) {
      std::string id = "m" + std::to_string(next_id_++);
      offset = source_.Add(
          partition,
          R"({"type":"message","client_msg_id":")" + id +
              R"(","text":"hello","user":"U1","ts":"1762000000.000100","channel":"C1"})");
    }
    return offset + 1;
  }
  void AdvanceClock(milliseconds delta) {
    clock_.Advance(delta);
    source_.Wake();
  }
  bool AwaitStored(const std::vector<Offset>& offsets) {
    return source_.Await([&](const State& s) {
      return std::all_of(offsets.begin(), offsets.end(),
                         [&](const Offset& o) { return Has(s.stored, o); });
    });
  }
  // Waits until the loop has polled `rounds` more times: it went round its loop meanwhile.
  bool AwaitRounds(int rounds) {
    const int polls = source_.state().polls;
    return source_.Await([&](const State& s) { return s.polls >= polls + rounds; });
  }

  Config config_;
  test::FakeClock clock_;
  Durability durable_;
  RecordingStore postgres_{&durable_};
  RecordingBuffer redis_{&durable_};
  test::FakeDlq dlq_;
  Persister persister_{&postgres_, &redis_, &dlq_, /*threshold=*/1000};
  BoundedQueue<std::string> full_companies_{16};
  Metrics metrics_;
  FakeMessageSource source_{{kP0, kP1}};
  Gate gate_;
  std::unique_ptr<IngestLoop> loop_;
  std::atomic<bool> stop_{false};
  std::future<Status> run_;
  int next_id_ = 0;
};

TEST_F(IngestLoopTest, StoresOffsetsOnlyAfterPostgresAndRedisInPollOrder) {
  const int64_t p0 = AddRecords(kP0, 3);
  const int64_t p1 = AddRecords(kP1, 2);
  Start();
  ASSERT_TRUE(AwaitStored({{kP0, p0}, {kP1, p1}}));
  const int64_t p0_more = AddRecords(kP0, 1);
  ASSERT_TRUE(AwaitStored({{kP0, p0_more}}));
  ASSERT_TRUE(Stop().ok());

  State s = source_.state();
  EXPECT_EQ(OffsetsOf(s.stored, kP0), (std::vector<Offset>{{kP0, p0}, {kP0, p0_more}}));
  EXPECT_EQ(OffsetsOf(s.stored, kP1), (std::vector<Offset>{{kP1, p1}}));
  EXPECT_TRUE(s.refused.empty());
  EXPECT_TRUE(s.paused.empty());
  EXPECT_EQ(postgres_.stored.size(), 6u);
  EXPECT_EQ(redis_.appended.size(), 6u);
  EXPECT_EQ(metrics_.Total(MetricId::messages_stored), 6);
}

TEST_F(IngestLoopTest, AFailedUpsertStoresNoOffsetAndPausesUntilTheRetrySucceeds) {
  postgres_.next_error = Unavailable("postgres down");
  const int64_t p0 = AddRecords(kP0, 3);
  const int64_t p1 = AddRecords(kP1, 2);
  Start();
  ASSERT_TRUE(source_.Await([](const State& s) { return s.paused.size() == 2; }));
  ASSERT_TRUE(AwaitRounds(3));  // backing off: the clock has not moved
  EXPECT_TRUE(source_.state().stored.empty());
  EXPECT_EQ(metrics_.Gauge<MetricId::ingest_paused>().Value(), 1);
  EXPECT_EQ(metrics_.Total(MetricId::ingest_persist_failures), 1);

  AdvanceClock(seconds(10));  // past any backoff
  ASSERT_TRUE(AwaitStored({{kP0, p0}, {kP1, p1}}));
  ASSERT_TRUE(source_.Await([](const State& s) { return s.paused.empty(); }));
  const int64_t p0_more = AddRecords(kP0, 1);
  ASSERT_TRUE(AwaitStored({{kP0, p0_more}}));
  ASSERT_TRUE(Stop().ok());

  EXPECT_EQ(OffsetsOf(source_.state().stored, kP0),
            (std::vector<Offset>{{kP0, p0}, {kP0, p0_more}}));
  EXPECT_EQ(metrics_.Gauge<MetricId::ingest_paused>().Value(), 0);
  EXPECT_EQ(postgres_.calls, 3);  // the failed upsert, its retry, the last poll
}

TEST_F(IngestLoopTest, ABatchDurableBehindAFailedOneWaitsForIt) {
  redis_.next_error = Unavailable("redis down");
  redis_.on_append = [this] {
    if (redis_.calls == 0) gate_.Pass();  // the first poll's append waits, then fails
  };
  const int64_t first = AddRecords(kP0, 2);  // one poll
  Start();
  ASSERT_TRUE(gate_.AwaitArrival());          // the first poll is in Postgres, held before Redis
  const int64_t second = AddRecords(kP0, 1);  // a record is a poll of its own
  ASSERT_TRUE(Eventually([&] { return durable_.InPostgres(kP0, second - 1); }));
  gate_.Open();
  ASSERT_TRUE(Eventually([&] { return durable_.InRedis(kP0, second - 1); }));
  ASSERT_TRUE(source_.Await([](const State& s) { return !s.paused.empty(); }));
  ASSERT_TRUE(AwaitRounds(3));  // both polls are back on the loop's thread by now
  EXPECT_TRUE(source_.state().stored.empty())
      << "the second poll's offsets were stored while the first one was not durable";

  AdvanceClock(seconds(10));
  ASSERT_TRUE(AwaitStored({{kP0, first}, {kP0, second}}));
  ASSERT_TRUE(Stop().ok());
  EXPECT_EQ(source_.state().stored, (std::vector<Offset>{{kP0, first}, {kP0, second}}));
  EXPECT_EQ(postgres_.calls, 2);  // the retry redid only the first poll's Redis step
  EXPECT_EQ(redis_.calls, 3);
}

TEST_F(IngestLoopTest, ASlowStorePausesAfterkSlowPersistAndResumesWhenItFinishes) {
  postgres_.on_upsert = [this] {
    if (postgres_.calls == 0) gate_.Pass();
  };
  Start();
  const int64_t first = AddRecords(kP0, 1);
  ASSERT_TRUE(gate_.AwaitArrival());
  const int64_t second = AddRecords(kP0, 1);  // in flight behind the first
  ASSERT_TRUE(source_.Await([](const State& s) { return s.undelivered == 0; }));
  const int64_t third = AddRecords(kP0, 1);  // read ahead: the worker is full
  ASSERT_TRUE(source_.Await([](const State& s) { return s.undelivered == 0; }));
  ASSERT_TRUE(Eventually([&] {
    clock_.Advance(IngestLoop::kSlowPersist);
    return !source_.state().paused.empty();
  }));
  EXPECT_TRUE(source_.state().stored.empty());
  EXPECT_EQ(metrics_.Gauge<MetricId::ingest_paused>().Value(), 0)
      << "a slow store is not a dependency down";
  EXPECT_EQ(metrics_.Total(MetricId::ingest_holdbacks), 1);

  gate_.Open();
  ASSERT_TRUE(AwaitStored({{kP0, first}, {kP0, second}, {kP0, third}}));
  ASSERT_TRUE(source_.Await([](const State& s) { return s.paused.empty(); }));
  ASSERT_TRUE(Stop().ok());
  EXPECT_EQ(source_.state().stored,
            (std::vector<Offset>{{kP0, first}, {kP0, second}, {kP0, third}}));
}

TEST_F(IngestLoopTest, ARevokeFinishesInFlightWorkBeforeThePartitionGoes) {
  postgres_.on_upsert = [this] {
    if (postgres_.calls == 0) gate_.Pass();
  };
  const int64_t p0 = AddRecords(kP0, 2);
  const int64_t p1 = AddRecords(kP1, 1);
  Start();
  ASSERT_TRUE(gate_.AwaitArrival());  // the poll is in flight, held in Postgres
  source_.Revoke({kP0}, /*lost=*/false);
  ASSERT_TRUE(source_.Await([](const State& s) { return s.revoking == 1; }));
  gate_.Open();
  ASSERT_TRUE(source_.Await([](const State& s) { return s.revokes_done == 1; }));

  State s = source_.state();
  EXPECT_EQ(s.committed, (std::map<PartitionKey, int64_t>{{kP0, p0}}))
      << "the revoked partition's in-flight offsets were not stored before it was released";
  EXPECT_TRUE(s.refused.empty());
  EXPECT_TRUE(Has(s.stored, {kP1, p1}));
  const int64_t p1_more = AddRecords(kP1, 1);  // the kept partition goes on
  ASSERT_TRUE(AwaitStored({{kP1, p1_more}}));
  ASSERT_TRUE(Stop().ok());
}

TEST_F(IngestLoopTest, ALostPartitionIsFencedAndNothingIsStoredForIt) {
  postgres_.next_error = Unavailable("postgres down");
  AddRecords(kP0, 2);
  const int64_t p1 = AddRecords(kP1, 2);
  Start();
  ASSERT_TRUE(source_.Await([](const State& s) { return s.paused.size() == 2; }));
  source_.Revoke({kP0}, /*lost=*/true);
  ASSERT_TRUE(source_.Await([](const State& s) { return s.revokes_done == 1; }));
  AdvanceClock(seconds(10));
  ASSERT_TRUE(AwaitStored({{kP1, p1}}));
  ASSERT_TRUE(Stop().ok());

  State s = source_.state();
  EXPECT_TRUE(OffsetsOf(s.stored, kP0).empty());
  EXPECT_TRUE(s.refused.empty()) << "the loop tried to store an offset of the lost partition";
  EXPECT_TRUE(s.committed.empty());
  EXPECT_FALSE(durable_.InPostgres(kP0, 0)) << "the lost partition's messages were stored";
  EXPECT_EQ(postgres_.stored.size(), 2u);
}

TEST_F(IngestLoopTest, AFatalSourceErrorWhilePausedEndsRunToo) {
  postgres_.next_error = Unavailable("postgres down");
  AddRecords(kP0, 2);
  Start();
  ASSERT_TRUE(source_.Await([](const State& s) { return !s.paused.empty(); }));
  source_.FailFatally();
  ASSERT_EQ(run_.wait_for(seconds(20)), std::future_status::ready);
  EXPECT_EQ(run_.get().code(), StatusCode::kFailedPrecondition);
}

TEST_F(IngestLoopTest, AFatalSourceErrorEndsRun) {
  source_.FailFatally();
  Start();
  ASSERT_EQ(run_.wait_for(seconds(20)), std::future_status::ready);
  EXPECT_EQ(run_.get().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace ms::app
