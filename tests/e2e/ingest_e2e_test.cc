// The ingest half of the pipeline, end to end: real milestoned processes, real Kafka, Postgres
// and Redis. Each test breaks something at a bad moment and checks invariants 1 and 2.
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "adapters/kafka/dead_letters.h"
#include "adapters/postgres/pg.h"
#include "adapters/redis/redis.h"
#include "tests/e2e/harness.h"
#include "tests/support/kafka_topic.h"

namespace ms::test {
namespace {

using namespace std::chrono_literals;

std::string ScaleflowCsv() {
  return SourceDir() + "/../shared/data/scaleflow_full.csv";
}

TEST_F(PipelineTest, ScaleflowDataSetBecomesThresholdBatchesPlusOneAgedRemainder) {
  if (!std::filesystem::exists(ScaleflowCsv())) GTEST_SKIP() << ScaleflowCsv() << " absent";
  auto daemon = StartDaemon();
  ASSERT_EQ(Ctl({"produce", ScaleflowCsv()}), 0);
  ASSERT_TRUE(WaitAllBatched(1100, 60s)) << "stored=" << Stored() << "\n"
                                         << StoredByPartition() << daemon->Log();
  ExpectEveryMessageInExactlyOneBatch(1100);
  EXPECT_EQ(Query("SELECT count(*) FROM batches WHERE message_count = 200 AND trigger = "
                  "'threshold'"),
            5);
  EXPECT_EQ(Query("SELECT count(*) FROM batches WHERE message_count = 100 AND trigger = "
                  "'max_age'"),
            1);
  EXPECT_EQ(Query("SELECT count(*) FROM batches"), 6);
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0) << daemon->Log();
}

class StuckStoreTest : public PipelineTest {
 protected:
  // With `daemon` running: stores 2,000 of 20,000 generated messages, then takes a lock on
  // `messages` that holds every insert back (an operator's migration or VACUUM FULL; reads go
  // on) and produces the other 18,000 — more than the worker and the read-ahead hold (3 polls) —
  // so that they wait behind the stuck store. Returns once the daemon reported holding back;
  // COMMIT on the returned connection releases the lock.
  std::unique_ptr<pg::Connection> StallTheStoreMidStream(Process& daemon, uint64_t seed) {
    auto [before, during] = SplitCsv(Generate(20000, 50, seed), 2000);
    EXPECT_EQ(Ctl({"produce", before}), 0);
    EXPECT_TRUE(WaitFor([&] { return Stored() == 2000; }, 60s))
        << "stored=" << Stored() << "\n"
        << StoredByPartition() << daemon.Log();
    auto locker = pg::Connection::Open(PgOptionsFor(dsn_));
    EXPECT_TRUE(locker.ok()) << locker.status().ToString();
    if (!locker.ok()) return nullptr;
    EXPECT_TRUE((*locker)->Exec("BEGIN").ok());
    EXPECT_TRUE((*locker)->Exec("LOCK TABLE messages IN SHARE ROW EXCLUSIVE MODE").ok());
    EXPECT_EQ(Ctl({"produce", during}), 0);
    EXPECT_TRUE(
        WaitFor([&] { return daemon.Log().find("persisting is slow") != std::string::npos; }, 30s))
        << daemon.Log();
    return std::move(locker).value();
  }
};

TEST_F(StuckStoreTest, AStoreBlockedPastTheMaxPollIntervalKeepsTheMemberInTheGroup) {
  // librdkafka evicts a member that does not poll for max.poll.interval.ms; shortened here, so
  // that a store blocked for longer shows whether polling goes on while it waits.
  overrides_["MILESTONE_KAFKA_CONSUMER_PROPERTIES"] =
      "session.timeout.ms=6000,max.poll.interval.ms=8000";
  auto daemon = StartDaemon();
  const auto started = std::chrono::steady_clock::now();
  auto locker = StallTheStoreMidStream(*daemon, 71);
  ASSERT_TRUE(locker && !HasFailure());
  // Stall well past max.poll.interval.ms in all.
  std::this_thread::sleep_until(std::max(std::chrono::steady_clock::now(), started + 20s));
  EXPECT_EQ(Stored(), 2000) << "the lock did not hold the store back";
  EXPECT_TRUE(daemon->running()) << daemon->Log();
  ASSERT_TRUE(locker->Exec("COMMIT").ok());
  ASSERT_TRUE(WaitAllBatched(20000, 120s)) << "stored=" << Stored() << "\n"
                                           << StoredByPartition() << daemon->Log();
  ExpectEveryMessageInExactlyOneBatch(20000);
  std::string log = daemon->Log();
  EXPECT_NE(log.find("persisting caught up, partitions resumed"), std::string::npos) << log;
  EXPECT_EQ(log.find("ingest: lost"), std::string::npos) << "evicted from the group\n" << log;
  EXPECT_EQ(log.find("ingest: revoked"), std::string::npos) << "left the group\n" << log;
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0) << daemon->Log();
}

TEST_F(StuckStoreTest, DrainingPastTheShutdownTimeoutExitsAndTheRestartLosesNothing) {
  overrides_["MILESTONE_SHUTDOWN_TIMEOUT"] = "3s";
  auto stuck = StartDaemon("stuck");
  auto locker = StallTheStoreMidStream(*stuck, 73);  // draining cannot finish
  ASSERT_TRUE(locker && !HasFailure());
  const auto signalled = std::chrono::steady_clock::now();
  stuck->Signal(SIGTERM);
  auto code = stuck->Wait(20s);
  ASSERT_TRUE(code.has_value()) << "still draining 20 s after SIGTERM\n" << stuck->Log();
  EXPECT_EQ(*code, 1);
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 10s);
  EXPECT_NE(stuck->Log().find("shutdown.timeout (3000 ms) exceeded"), std::string::npos)
      << stuck->Log();
  ASSERT_TRUE(locker->Exec("COMMIT").ok());
  auto restarted = StartDaemon("restarted");
  ASSERT_TRUE(WaitAllBatched(20000, 120s)) << "stored=" << Stored() << "\n"
                                           << StoredByPartition() << restarted->Log();
  ExpectEveryMessageInExactlyOneBatch(20000);
  restarted->Signal(SIGTERM);
  EXPECT_EQ(restarted->Wait(60s), 0) << restarted->Log();
}

TEST_F(PipelineTest, RedeliveredMessagesAreStoredOnce) {
  std::string csv = Generate(3000, 20, 11);
  auto daemon = StartDaemon();
  ASSERT_EQ(Ctl({"produce", csv, "--repeat", "2"}), 0);  // every message twice
  ASSERT_TRUE(WaitAllBatched(3000, 90s)) << "stored=" << Stored();
  ASSERT_EQ(Ctl({"produce", csv}), 0);  // and a third time, after batching
  // All 9,000 records consumed and their offsets committed, yet 3,000 rows.
  ASSERT_TRUE(WaitFor([&] { return CommittedOffsets() == 9000; }, 90s))
      << "committed=" << CommittedOffsets() << "\n"
      << daemon->Log();
  ExpectEveryMessageInExactlyOneBatch(3000);
  daemon->Signal(SIGTERM);
  ASSERT_EQ(daemon->Wait(60s), 0);
  EXPECT_NE(daemon->Log().find("records=9000"), std::string::npos) << daemon->Log();
}

TEST_F(PipelineTest, KillNineMidStreamThenRestartLosesAndDuplicatesNothing) {
  std::string csv = Generate(20000, 50, 21);
  auto daemon = StartDaemon("first");
  ASSERT_EQ(Ctl({"produce", csv}), 0);
  ASSERT_TRUE(WaitFor([&] { return Stored() >= 3000; }, 60s)) << daemon->Log();
  daemon->Signal(SIGKILL);
  ASSERT_EQ(daemon->Wait(10s), 128 + SIGKILL);
  int64_t at_kill = Stored();
  auto restarted = StartDaemon("second");
  ASSERT_TRUE(WaitAllBatched(20000, 120s))
      << "stored=" << Stored() << " (at kill " << at_kill << ")\n"
      << restarted->Log();
  ExpectEveryMessageInExactlyOneBatch(20000);
}

TEST_F(PipelineTest, SigtermMidStreamDrainsExitsZeroAndRestartLosesNothing) {
  std::string csv = Generate(20000, 50, 71);
  auto daemon = StartDaemon("first");
  ASSERT_EQ(Ctl({"produce", csv}), 0);
  ASSERT_TRUE(WaitFor([&] { return Stored() >= 3000; }, 60s)) << daemon->Log();
  daemon->Signal(SIGTERM);
  ASSERT_EQ(daemon->Wait(60s), 0) << daemon->Log();
  EXPECT_NE(daemon->Log().find("draining"), std::string::npos);
  auto restarted = StartDaemon("second");
  ASSERT_TRUE(WaitAllBatched(20000, 120s)) << "stored=" << Stored() << "\n"
                                           << StoredByPartition() << restarted->Log();
  ExpectEveryMessageInExactlyOneBatch(20000);
  restarted->Signal(SIGTERM);
  EXPECT_EQ(restarted->Wait(60s), 0);
}

TEST_F(PipelineTest, RedisFlushedMidStreamIsRebuiltFromPostgres) {
  // A Redis db of its own, so flushing it cannot disturb tests running beside this one.
  overrides_["MILESTONE_REDIS_DB"] = "15";
  std::string csv = Generate(20000, 50, 31);
  auto daemon = StartDaemon();
  ASSERT_EQ(Ctl({"produce", csv}), 0);
  ASSERT_TRUE(WaitFor([&] { return Stored() >= 3000; }, 60s)) << daemon->Log();
  redis::RedisOptions opts = RedisOptionsFor(*stack_);
  opts.db = 15;
  auto redis = redis::Connection::Open(opts);
  ASSERT_TRUE(redis.ok());
  ASSERT_TRUE((*redis)->Command({"FLUSHDB"}).ok());
  // Every message stored when Redis was flushed is batched well under the periodic re-offer of
  // long-unbatched messages (60 s): only the rebuild can have put them back in time (a flush
  // during the start-up rebuild once left thousands to that sweep). Messages stored later are
  // buffered as they arrive, whenever the consumer delivers them.
  const int64_t flushed_up_to = Query("SELECT COALESCE(max(id), 0) FROM messages");
  ASSERT_TRUE(WaitFor(
      [&] {
        return Query("SELECT count(*) FROM pending_messages WHERE id <= " +
                     std::to_string(flushed_up_to)) == 0;
      },
      45s))
      << "stored=" << Stored() << "\n"
      << daemon->Log();
  ASSERT_TRUE(WaitAllBatched(20000, 120s)) << "stored=" << Stored() << "\n"
                                           << StoredByPartition() << daemon->Log();
  ExpectEveryMessageInExactlyOneBatch(20000);
}

TEST_F(PipelineTest, TwoInstancesShareSixPartitionsWithoutDoubleBatching) {
  overrides_["MILESTONE_KAFKA_TOPIC_PARTITIONS"] = "6";
  overrides_["MILESTONE_BATCH_THRESHOLD"] = "50";
  std::string csv = Generate(20000, 50, 41);
  auto first = StartDaemon("first");
  auto second = StartDaemon("second");
  ASSERT_EQ(Ctl({"produce", csv}), 0);
  ASSERT_TRUE(WaitAllBatched(20000, 120s)) << "stored=" << Stored();
  ExpectEveryMessageInExactlyOneBatch(20000);
  EXPECT_EQ(Query("SELECT count(DISTINCT company_id) FROM batches"), 50);
  first->Signal(SIGTERM);
  second->Signal(SIGTERM);
  EXPECT_EQ(first->Wait(60s), 0);
  EXPECT_EQ(second->Wait(60s), 0);
  EXPECT_NE(first->Log().find("assigned"), std::string::npos);
  EXPECT_NE(second->Log().find("assigned"), std::string::npos);
}

TEST_F(PipelineTest, PoisonMessagesGoToTheDeadLetterTopicAndTheRestFlows) {
  std::string jsonl = scratch_ + "/mixed.jsonl";
  {
    std::ofstream out(jsonl);
    out << R"({"metadata":{"company_id":"acme"},"type":"message","text":"We closed our Series A","user":"U1","ts":"1762000000.000100","channel":"C1"})"
        << "\n"
        << R"({"metadata":{"company_id":"acme"},"type":"message","text":"","user":"U1","ts":"1762000000.000200","channel":"C1"})"
        << "\n"
        << R"({"metadata":{"company_id":"acme"},"type":"reaction_added","user":"U1"})"
        << "\n";
  }
  auto daemon = StartDaemon();
  ASSERT_EQ(Ctl({"produce", jsonl}), 0);
  ASSERT_TRUE(WaitAllBatched(1, 60s)) << daemon->Log();
  // The dead letters' offsets are committed only once the DLQ acknowledged them.
  ASSERT_TRUE(WaitFor([&] { return CommittedOffsets() == 3; }, 60s)) << daemon->Log();
  daemon->Signal(SIGTERM);
  ASSERT_EQ(daemon->Wait(60s), 0);
  EXPECT_NE(daemon->Log().find("dead=2"), std::string::npos) << daemon->Log();
}

// A record under ingest.max_message_bytes that the DLQ cannot take whole (1,040,000 bytes of
// non-JSON, over the producer's message.max.bytes of 1,000,000): its dead letter carries the
// value cut to what fits, with the original's size and SHA-256, and the record behind it is
// stored.
TEST_F(PipelineTest, AnUndecodableRecordTooLargeForTheDeadLetterTopicDoesNotStopIngest) {
  const std::string huge(1'040'000, 'x');
  auto daemon = StartDaemon();
  ASSERT_TRUE(ProduceRaw(stack_->brokers, id_ + "-slack", "acme", huge, 2'000'000).ok());
  std::string jsonl = scratch_ + "/after.jsonl";
  {
    std::ofstream out(jsonl);
    out << R"({"metadata":{"company_id":"acme"},"type":"message","text":"We closed our Series A","user":"U1","ts":"1762000000.000100","channel":"C1"})"
        << "\n";
  }
  ASSERT_EQ(Ctl({"produce", jsonl}), 0);
  ASSERT_TRUE(WaitAllBatched(1, 60s)) << daemon->Log();
  ASSERT_TRUE(WaitFor([&] { return CommittedOffsets() == 2; }, 60s)) << daemon->Log();
  auto letters = ReadWholeTopic(stack_->brokers, id_ + "-dlq", 60s);
  ASSERT_TRUE(letters.has_value());
  ASSERT_EQ(letters->size(), 1u);
  const TopicRecord& letter = letters->front();
  EXPECT_EQ(letter.headers.at("x-milestoned-reason"), "invalid_json");
  EXPECT_EQ(letter.headers.at("x-milestoned-original-size"), "1040000");
  EXPECT_EQ(letter.headers.at("x-milestoned-original-sha256"), kafka::Sha256Hex(huge));
  EXPECT_EQ(letter.headers.at("x-milestoned-source-topic"), id_ + "-slack");
  EXPECT_GT(letter.value.size(), 990'000u) << "cut to what fits, not emptied";
  EXPECT_LT(letter.value.size(), 1'000'000u);
  EXPECT_EQ(letter.headers.at("x-milestoned-value-cut"),
            std::to_string(letter.value.size()) + " of 1040000 bytes");
  // Replaying it would store a truncated message: replay names the original instead.
  int code = -1;
  std::string out = CtlOutput({"dlq", "replay"}, &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("replayed 0 record(s)"), std::string::npos) << out;
  EXPECT_NE(out.find("the original is at " + id_ + "-slack/"), std::string::npos) << out;
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0);
}

}  // namespace
}  // namespace ms::test
