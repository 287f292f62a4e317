// Stores of one company's batches racing each other against the real Postgres of the local
// stack: the same milestones in every batch, each batch listing them in its own order. Every
// store must succeed the first time (a failed store costs the batch its extraction), and the
// ledger must end with one event per fingerprint, sighted once per batch.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "adapters/postgres/event_sql.h"
#include "tests/support/stack_env.h"

namespace ms {
namespace {

constexpr int kBatches = 8;
constexpr int kEvents = 6;

ExtractedEvent Milestone(int idx) {
  ExtractedEvent e;
  e.company_id = "acme";
  e.type = "product_launch";
  e.title = "Launched product " + std::to_string(idx);
  e.severity = "medium";
  e.metrics = {{"product", "P" + std::to_string(idx)}};
  e.source_message_ids = {idx + 1};
  return e;
}

class EventStoreRaceTest : public test::MigratedDatabaseTest {
 protected:
  EventStoreRaceTest() : MigratedDatabaseTest("evstore") {}
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (!Ready()) return;
    auto conn = Connect();
    ASSERT_NE(conn, nullptr);
    for (int batch = 1; batch <= kBatches; ++batch) {
      auto res = conn->Exec(
          "INSERT INTO batches (id, company_id, claim_id, message_count, trigger, status) "
          "VALUES ($1::bigint, 'acme', $2, 0, 'threshold', 'extracting')",
          {std::to_string(batch), "claim-" + std::to_string(batch)});
      ASSERT_TRUE(res.ok()) << res.status().ToString();
    }
  }
};

TEST_F(EventStoreRaceTest, ConcurrentStoresOfOneCompanyAllSucceedAndMergeEvents) {
  std::vector<std::unique_ptr<pg::Connection>> conns;
  for (int batch = 0; batch < kBatches; ++batch) {
    conns.push_back(Connect());
    ASSERT_NE(conns.back(), nullptr);
  }
  std::atomic<int> ready{0};
  std::vector<Status> results(kBatches);
  std::vector<std::thread> threads;
  for (int batch = 0; batch < kBatches; ++batch) {
    threads.emplace_back([&, batch] {
      ExtractionResult result;
      result.provider = "rules";
      for (int idx = 0; idx < kEvents; ++idx) result.events.push_back(Milestone(idx));
      // Each batch meets the milestones in another order: the worst case for row locks.
      std::rotate(result.events.begin(), result.events.begin() + batch % kEvents,
                  result.events.end());
      if (batch % 2 == 1) std::reverse(result.events.begin(), result.events.end());
      std::vector<std::string> fingerprints;
      for (const auto& e : result.events) fingerprints.push_back("fp-" + e.title);
      ready += 1;
      while (ready.load() < kBatches) std::this_thread::yield();  // start together
      BatchTicket::StoreOutcome outcome;
      results[batch] = conns[batch]->InTransaction([&](pg::Connection& tx) {
        return pg::StoreBatchEvents(tx, batch + 1, "acme", result, fingerprints, 0.0,
                                    MilestoneRules::Defaults(), &outcome);
      });
    });
  }
  for (auto& t : threads) t.join();
  for (int batch = 0; batch < kBatches; ++batch) {
    EXPECT_TRUE(results[batch].ok()) << "batch " << batch + 1 << ": " << results[batch].ToString();
  }
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM events"), kEvents);
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT min(sightings) FROM events"), kBatches);
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM batches WHERE status = 'done'"), kBatches);
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM event_history WHERE kind = 'created'"),
            kEvents);
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM outbox"), kEvents * kBatches);
}

}  // namespace
}  // namespace ms
