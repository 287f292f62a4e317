// PersistWorker: Persister::Write and Buffer on threads of their own, a two-stage pipeline,
// batches handed back in submission order with their progress so a failed batch resumes where
// it stopped.
#include "app/persist_worker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "fake_time.h"
#include "ingest_fakes.h"

namespace ms::app {
namespace {

using std::chrono::milliseconds;

IngestBatch OneMessageBatch(const std::string& id) {
  IngestBatch batch;
  Message m;
  m.company_id = "acme";
  m.source_msg_id = id;
  m.text = "hello";
  m.position = {"slack-messages", 0, 7};
  batch.messages.push_back(m);
  batch.next_offsets[{"slack-messages", 0}] = 8;
  batch.records = 1;
  return batch;
}

class PersistWorkerTest : public ::testing::Test {
 protected:
  test::FakeStore store_;
  test::FakeBuffer buffer_;
  test::FakeDlq dlq_;
  Persister persister_{&store_, &buffer_, &dlq_, /*threshold=*/100};
  test::FakeClock clock_;
};

TEST_F(PersistWorkerTest, ProcessesOffTheCallingThreadAndHandsTheBatchBack) {
  std::promise<void> entered, release;
  std::shared_future<void> gate = release.get_future().share();
  std::thread::id worker_thread;
  store_.on_upsert = [&] {
    worker_thread = std::this_thread::get_id();
    entered.set_value();
    gate.wait();
  };
  PersistWorker worker(&persister_, &clock_);
  EXPECT_FALSE(worker.busy());
  EXPECT_FALSE(worker.Take(milliseconds(0)).has_value());  // nothing in flight

  worker.Submit(OneMessageBatch("a"));
  EXPECT_TRUE(worker.busy());
  entered.get_future().wait();
  EXPECT_FALSE(worker.Take(milliseconds(0)).has_value());  // still inside the store
  EXPECT_TRUE(worker.busy());
  release.set_value();

  auto done = worker.Take(milliseconds(10000));
  ASSERT_TRUE(done.has_value());
  ASSERT_TRUE(done->result.ok()) << done->result.status().ToString();
  EXPECT_EQ(done->result->stored, 1u);
  EXPECT_TRUE(done->batch.written);
  EXPECT_TRUE(done->batch.buffered);
  EXPECT_EQ((done->batch.next_offsets[{"slack-messages", 0}]), 8);
  EXPECT_NE(worker_thread, std::this_thread::get_id());
  EXPECT_FALSE(worker.busy());
  EXPECT_EQ(buffer_.appended.size(), 1u);
}

TEST_F(PersistWorkerTest, AFailedBatchComesBackWithItsProgressAndResumesThere) {
  PersistWorker worker(&persister_, &clock_);
  buffer_.next_error = Unavailable("redis down");
  worker.Submit(OneMessageBatch("a"));
  auto failed = worker.Take(milliseconds(10000));
  ASSERT_TRUE(failed.has_value());
  EXPECT_EQ(failed->result.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(failed->batch.written);    // Postgres step done...
  EXPECT_FALSE(failed->batch.buffered);  // ...Redis step not

  worker.Submit(std::move(failed->batch));
  auto retried = worker.Take(milliseconds(10000));
  ASSERT_TRUE(retried.has_value());
  ASSERT_TRUE(retried->result.ok()) << retried->result.status().ToString();
  EXPECT_EQ(store_.calls, 1);  // not upserted again
  EXPECT_EQ(buffer_.calls, 2);
  EXPECT_EQ(buffer_.appended.size(), 1u);
}

TEST_F(PersistWorkerTest, BatchesFinishInSubmissionOrder) {
  PersistWorker worker(&persister_, &clock_);
  for (const char* id : {"a", "b", "c"}) {
    worker.Submit(OneMessageBatch(id));
    auto done = worker.Take(milliseconds(10000));
    ASSERT_TRUE(done.has_value());
    ASSERT_TRUE(done->result.ok());
    EXPECT_EQ(done->batch.messages[0].source_msg_id, id);
  }
  ASSERT_EQ(store_.stored.size(), 3u);
  EXPECT_EQ(store_.stored[2].source_msg_id, "c");
}

TEST_F(PersistWorkerTest, OneBatchIsAppendedWhileTheNextIsUpserted) {
  std::promise<void> append_entered, store_entered, release;
  std::shared_future<void> gate = release.get_future().share();
  buffer_.on_append = [&] {
    if (buffer_.calls == 0) {
      append_entered.set_value();
      gate.wait();
    }
  };
  PersistWorker worker(&persister_, &clock_);
  worker.Submit(OneMessageBatch("a"));
  append_entered.get_future().wait();  // "a" is stored and now inside the Redis step
  EXPECT_FALSE(worker.full());
  store_.on_upsert = [&] { store_entered.set_value(); };
  worker.Submit(OneMessageBatch("b"));
  EXPECT_TRUE(worker.full());
  // "b"'s upsert starts while "a"'s append is still blocked.
  EXPECT_EQ(store_entered.get_future().wait_for(std::chrono::seconds(10)),
            std::future_status::ready);
  EXPECT_FALSE(worker.Take(milliseconds(0)).has_value());  // "a" comes first, and is not done
  release.set_value();
  for (const char* id : {"a", "b"}) {
    auto done = worker.Take(milliseconds(10000));
    ASSERT_TRUE(done.has_value());
    ASSERT_TRUE(done->result.ok()) << done->result.status().ToString();
    EXPECT_EQ(done->batch.messages[0].source_msg_id, id);
    EXPECT_TRUE(done->batch.buffered);
  }
  EXPECT_FALSE(worker.busy());
  EXPECT_EQ(buffer_.appended.size(), 2u);
}

TEST_F(PersistWorkerTest, AFailedUpsertComesBackBeforeTheBatchBehindIt) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  store_.next_error = Unavailable("postgres down");
  store_.on_upsert = [&] {
    if (store_.calls == 0) gate.wait();  // hold "a" until "b" is queued behind it
  };
  PersistWorker worker(&persister_, &clock_);
  worker.Submit(OneMessageBatch("a"));
  worker.Submit(OneMessageBatch("b"));
  release.set_value();
  auto first = worker.Take(milliseconds(10000));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->batch.messages[0].source_msg_id, "a");
  EXPECT_EQ(first->result.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(first->batch.written);
  EXPECT_FALSE(first->batch.buffered);  // a failed upsert skips the Redis step
  auto second = worker.Take(milliseconds(10000));
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->batch.messages[0].source_msg_id, "b");
  EXPECT_TRUE(second->result.ok());
  EXPECT_EQ(buffer_.calls, 1);
}

TEST_F(PersistWorkerTest, DestructionWaitsForTheBatchBeingProcessed) {
  std::promise<void> entered, release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<bool> finished{false};
  store_.on_upsert = [&] {
    entered.set_value();
    gate.wait();
    finished = true;
  };
  auto worker = std::make_unique<PersistWorker>(&persister_, &clock_);
  worker->Submit(OneMessageBatch("a"));
  entered.get_future().wait();
  std::thread releaser([&] { release.set_value(); });
  worker.reset();  // must not return while Process still runs on the worker's thread
  EXPECT_TRUE(finished.load());
  releaser.join();
}

}  // namespace
}  // namespace ms::app
