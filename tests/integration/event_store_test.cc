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

// A batch of new events is written in one statement; one the database refuses makes the
// batch go event by event, leaving out only the refused one. Both ways store the same rows.
class EventStoreTest : public test::MigratedDatabaseTest {
 protected:
  EventStoreTest() : MigratedDatabaseTest("evbulk") {}
  void SetUp() override {
    MigratedDatabaseTest::SetUp();
    if (!Ready()) return;
    conn_ = Connect();
    ASSERT_NE(conn_, nullptr);
    for (int batch = 1; batch <= 2; ++batch) {
      auto res = conn_->Exec(
          "INSERT INTO batches (id, company_id, claim_id, message_count, trigger, status) "
          "VALUES ($1::bigint, $2, $3, 0, 'threshold', 'extracting')",
          {std::to_string(batch), Company(batch), "claim-" + std::to_string(batch)});
      ASSERT_TRUE(res.ok()) << res.status().ToString();
    }
    auto res = conn_->Exec(
        "INSERT INTO messages (id, company_id, source, source_msg_id, text, sent_at) VALUES "
        "(11, 'acme', 'slack', 'm11', 'a', '2026-03-02T10:00:00Z'), "
        "(12, 'acme', 'slack', 'm12', 'b', '2026-03-01T09:00:00Z')");
    ASSERT_TRUE(res.ok()) << res.status().ToString();
  }
  static std::string Company(int batch) { return batch == 1 ? "acme" : "bolt"; }

  BatchTicket::StoreOutcome Store(int batch, const std::vector<ExtractedEvent>& events) {
    ExtractionResult result;
    result.provider = "rules";
    result.events = events;
    std::vector<std::string> fingerprints;
    for (const auto& e : events) fingerprints.push_back("fp-" + e.type + "-" + e.title);
    BatchTicket::StoreOutcome outcome;
    Status st = conn_->InTransaction([&](pg::Connection& tx) {
      return pg::StoreBatchEvents(tx, batch, Company(batch), result, fingerprints, 0.0,
                                  MilestoneRules::Defaults(), &outcome);
    });
    EXPECT_TRUE(st.ok()) << st.ToString();
    return outcome;
  }

  // The company's outbox payloads in outbox order, without what differs between companies
  // and runs (ids, the company, times of writing).
  std::vector<std::string> Payloads(const std::string& company) {
    auto res = conn_->Exec(
        "SELECT (payload - 'event_id' - 'company_id' - 'first_seen' - 'last_seen' - "
        "'batch_id')::text || ' ' || type || ' ' || h.kind "
        "FROM outbox o JOIN event_history h ON h.event_id = o.event_id "
        "WHERE o.aggregate = $1 ORDER BY o.id",
        {company});
    EXPECT_TRUE(res.ok()) << res.status().ToString();
    std::vector<std::string> out;
    for (int row = 0; res.ok() && row < res->rows(); ++row) out.emplace_back(res->Get(row, 0));
    return out;
  }

  std::unique_ptr<pg::Connection> conn_;
};

std::vector<ExtractedEvent> NewEvents() {
  ExtractedEvent funding;
  funding.type = "funding";
  funding.title = "Closed a $4M seed round";
  funding.severity = "high";
  funding.metrics = {{"amount_usd", "4000000"}, {"round", "seed"}, {"stage", "closed"}};
  funding.stakeholders = {"Blue Ventures"};
  funding.source_message_ids = {11, 12};
  ExtractedEvent hire;
  hire.type = "key_hire";
  hire.title = "Hired a VP of Sales";
  hire.severity = "medium";
  hire.source_message_ids = {12};
  ExtractedEvent launch;
  launch.type = "product_launch";
  launch.title = "Launched the mobile app";
  launch.severity = "medium";
  launch.description = "Generally available to every customer.";
  launch.source_message_ids = {11};
  return {funding, hire, launch};
}

TEST_F(EventStoreTest, NewEventsStoredTogetherMatchThemStoredOneByOne) {
  const BatchTicket::StoreOutcome together = Store(1, NewEvents());
  EXPECT_EQ(together.created, 3);
  EXPECT_EQ(together.rejected, 0);

  std::vector<ExtractedEvent> with_refused = NewEvents();
  ExtractedEvent refused = with_refused[1];
  refused.type = "partnership";
  refused.description = std::string("nul \0 byte: jsonb refuses \u0000 ") + '\0';
  refused.metrics = {{"partner", std::string("x\0y", 3)}};
  with_refused.insert(with_refused.begin() + 2, refused);
  const BatchTicket::StoreOutcome one_by_one = Store(2, with_refused);
  EXPECT_EQ(one_by_one.created, 3);
  EXPECT_EQ(one_by_one.rejected, 1);

  const std::vector<std::string> bulk = Payloads("acme");
  ASSERT_EQ(bulk.size(), 3u);
  EXPECT_EQ(bulk, Payloads("bolt"));
  // In the batch's order, each created once, occurred when its earliest source was sent.
  EXPECT_NE(bulk[0].find("seed round"), std::string::npos) << bulk[0];
  EXPECT_NE(bulk[0].find("2026-03-01T09:00:00"), std::string::npos) << bulk[0];
  EXPECT_NE(bulk[1].find("VP of Sales"), std::string::npos) << bulk[1];
  EXPECT_NE(bulk[2].find("mobile app"), std::string::npos) << bulk[2];
  EXPECT_NE(bulk[2].find("2026-03-02T10:00:00"), std::string::npos) << bulk[2];
  for (const std::string& row : bulk) {
    EXPECT_NE(row.find("event.created created"), std::string::npos) << row;
  }
}

// A fact reported twice in one batch, or already in the ledger, is created once and sighted.
TEST_F(EventStoreTest, ARepeatedFactIsSightedNotCreatedTwice) {
  std::vector<ExtractedEvent> events = NewEvents();
  events.push_back(events[0]);
  const BatchTicket::StoreOutcome first = Store(1, events);
  EXPECT_EQ(first.created, 3);
  EXPECT_EQ(first.sighted, 1);
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT sightings FROM events WHERE type = 'funding'"), 2);
  auto res = conn_->Exec("UPDATE batches SET company_id = 'acme' WHERE id = 2");
  ASSERT_TRUE(res.ok());
  ExtractionResult result;
  result.events = {NewEvents()[1]};
  std::vector<std::string> fingerprints = {"fp-key_hire-Hired a VP of Sales"};
  BatchTicket::StoreOutcome again;
  ASSERT_TRUE(conn_
                  ->InTransaction([&](pg::Connection& tx) {
                    return pg::StoreBatchEvents(tx, 2, "acme", result, fingerprints, 0.0,
                                                MilestoneRules::Defaults(), &again);
                  })
                  .ok());
  EXPECT_EQ(again.created, 0);
  EXPECT_EQ(again.sighted, 1);
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM events"), 3);
  EXPECT_EQ(test::QueryInt(dsn_, "SELECT count(*) FROM event_history WHERE kind = 'created'"), 3);
}

}  // namespace
}  // namespace ms
