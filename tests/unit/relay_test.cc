// The outbox relay over fakes behind its ports (ports/outbox.h): each company's rows reach every
// sink in order and stop at its first failure; Kafka's progress survives a webhook failure; a
// delivery whose marking failed is marked later without being sent again; a relay that lost
// its lead (a renewal or a mark fenced) sends and marks nothing more; a new leader waits out
// its predecessor's lease; rows a round had no time for are neither failed nor marked.
#include "app/relay.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <set>

#include "fake_time.h"

namespace ms {
namespace {

using namespace std::chrono_literals;

struct FakeRow {
  OutboxRow row;
  bool published = false;
  int attempts = 0;
  std::string last_error;
  bool held = false;  // waits for its next attempt
};

// The outbox table and its leader row, in memory.
class FakeOutbox final : public Outbox, public OutboxHousekeeping {
 public:
  std::vector<FakeRow> rows;
  int64_t epoch = 0;
  std::chrono::milliseconds predecessor_lease{0};
  std::deque<Status> mark_errors;  // the next marks fail with these
  int marks = 0;                   // successful marks

  void Add(const std::string& company, int count = 1) {
    for (int n = 0; n < count; ++n) {
      OutboxRow row;
      row.id = static_cast<int64_t>(rows.size()) + 1;
      row.company = company;
      row.type = "event.created";
      row.payload = "{}";
      rows.emplace_back().row = row;
    }
  }
  FakeRow& At(int64_t id) { return rows.at(static_cast<size_t>(id - 1)); }

  StatusOr<std::optional<Leadership>> TryLead() override {
    return std::optional<Leadership>(Leadership{++epoch, predecessor_lease});
  }
  Status Renew(int64_t with, std::chrono::milliseconds) override { return Check(with); }
  void Resign(int64_t) override {}
  StatusOr<std::vector<OutboxRow>> Due(int limit) override {
    std::vector<OutboxRow> due;
    std::set<std::string> held;
    for (const FakeRow& r : rows) {
      if (r.published) continue;
      if (r.held) held.insert(r.row.company);
      if (!held.count(r.row.company) && static_cast<int>(due.size()) < limit) due.push_back(r.row);
    }
    return due;
  }
  StatusOr<std::vector<double>> MarkPublished(int64_t with, const std::vector<int64_t>& ids,
                                              bool on_kafka) override {
    MS_RETURN_IF_ERROR(Mark(with));
    for (int64_t id : ids) {
      At(id).published = true;
      At(id).row.on_kafka = At(id).row.on_kafka || on_kafka;
    }
    return std::vector<double>(ids.size(), 0.5);
  }
  Status MarkOnKafka(int64_t with, const std::vector<int64_t>& ids) override {
    MS_RETURN_IF_ERROR(Mark(with));
    for (int64_t id : ids) At(id).row.on_kafka = true;
    return Status::Ok();
  }
  Status MarkFailed(int64_t with, const std::vector<int64_t>& ids, const std::string& error,
                    std::chrono::milliseconds, std::chrono::milliseconds) override {
    MS_RETURN_IF_ERROR(Mark(with));
    for (int64_t id : ids) {
      At(id).attempts += 1;
      At(id).last_error = error;
      At(id).held = true;
    }
    return Status::Ok();
  }
  Status NoteWaiting(int64_t with, const std::vector<int64_t>& ids,
                     const std::string& why) override {
    MS_RETURN_IF_ERROR(Mark(with));
    for (int64_t id : ids) At(id).last_error = why;
    return Status::Ok();
  }
  bool WaitForRows(std::chrono::milliseconds) override { return false; }
  StatusOr<int64_t> PrunePublished(std::chrono::milliseconds) override { return 0; }

 private:
  Status Check(int64_t with) const {
    if (with != epoch) return FailedPrecondition("relay: fenced");
    return Status::Ok();
  }
  Status Mark(int64_t with) {
    MS_RETURN_IF_ERROR(Check(with));
    if (!mark_errors.empty()) {
      Status error = mark_errors.front();
      mark_errors.pop_front();
      return error;
    }
    ++marks;
    return Status::Ok();
  }
};

// Takes every row except those scripted to fail; stops a company at its first failure. As the
// Kafka sink, takes a row on the topic already without sending it.
struct FakeSink final : OutboxSink {
  explicit FakeSink(bool kafka) : is_kafka(kafka) {}
  bool is_kafka;
  std::map<int64_t, Status> fail;  // by row id: fails once
  bool out_of_time = false;
  std::vector<int64_t> sent;                       // every row it was asked to send, in order
  std::vector<std::chrono::milliseconds> budgets;  // of each call
  test::FakeClock* clock = nullptr;                // advanced by `takes` in each call, when set
  std::chrono::milliseconds takes{0};
  std::vector<Status> Deliver(const std::vector<OutboxRow>& rows,
                              std::chrono::milliseconds budget) override {
    budgets.push_back(budget);
    if (clock != nullptr) clock->Advance(takes);
    std::vector<Status> results;
    std::set<std::string> failed;
    for (const OutboxRow& row : rows) {
      if (failed.count(row.company)) {
        results.push_back(Aborted("an earlier row of the company failed"));
        continue;
      }
      if (is_kafka && row.on_kafka) {
        results.push_back(Status::Ok());
        continue;
      }
      if (out_of_time || budget.count() <= 0) {
        results.push_back(DeadlineExceeded("not posted: the round's time is up"));
        continue;
      }
      sent.push_back(row.id);
      auto it = fail.find(row.id);
      if (it == fail.end()) {
        results.push_back(Status::Ok());
        continue;
      }
      results.push_back(it->second);
      fail.erase(it);
      failed.insert(row.company);
    }
    return results;
  }
};

class RelayTest : public ::testing::Test {
 protected:
  std::unique_ptr<app::OutboxRelay> Relay(bool with_webhook = true) {
    auto relay = std::make_unique<app::OutboxRelay>(
        config_, &outbox_, &outbox_,
        app::OutboxRelay::Sinks{&kafka_, with_webhook ? &webhook_ : nullptr}, 5s, &clock_,
        &sleeper_, &metrics_);
    EXPECT_TRUE(relay->Lead().ok());
    return relay;
  }
  void Due(std::initializer_list<int64_t> ids) {
    for (int64_t id : ids) outbox_.At(id).held = false;  // the backoff is over
  }

  Config config_;
  FakeOutbox outbox_;
  FakeSink kafka_{true}, webhook_{false};
  test::FakeClock clock_;
  test::FakeSleeper sleeper_{&clock_};
  Metrics metrics_;
};

TEST_F(RelayTest, ACompanysRowsStopAtItsFirstFailureWhileOthersGoOn) {
  outbox_.Add("acme", 3);  // rows 1-3
  outbox_.Add("beta", 2);  // rows 4-5
  kafka_.fail[2] = Unavailable("kafka delivery: broker down");
  auto relay = Relay();
  EXPECT_FALSE(relay->PublishPending().ok());
  EXPECT_EQ(kafka_.sent, (std::vector<int64_t>{1, 2, 4, 5}));
  EXPECT_EQ(webhook_.sent, (std::vector<int64_t>{1, 4, 5})) << "row 3 overtook row 2";
  EXPECT_TRUE(outbox_.At(1).published);
  EXPECT_FALSE(outbox_.At(2).published);
  EXPECT_EQ(outbox_.At(2).attempts, 1);
  EXPECT_FALSE(outbox_.At(3).published);
  EXPECT_EQ(outbox_.At(3).attempts, 0) << "a row behind a failure is not an attempt";
  EXPECT_NE(outbox_.At(3).last_error.find("earlier row"), std::string::npos);
  EXPECT_TRUE(outbox_.At(4).published && outbox_.At(5).published);
  EXPECT_EQ(metrics_.Total(MetricId::outbox_published), 3);
  EXPECT_EQ(metrics_.Total(MetricId::outbox_delivery_failures), 2) << "row 2 and row 3 behind it";

  Due({2});
  ASSERT_TRUE(relay->PublishPending().ok());
  EXPECT_EQ(webhook_.sent, (std::vector<int64_t>{1, 4, 5, 2, 3}));
}

TEST_F(RelayTest, AWebhookFailureKeepsKafkasProgressSoNothingIsProducedTwice) {
  outbox_.Add("acme", 2);
  webhook_.fail[1] = Unavailable("webhook answered HTTP 500");
  auto relay = Relay();
  EXPECT_FALSE(relay->PublishPending().ok());
  EXPECT_TRUE(outbox_.At(1).row.on_kafka && outbox_.At(2).row.on_kafka);
  Due({1});
  ASSERT_TRUE(relay->PublishPending().ok());
  EXPECT_EQ(kafka_.sent, (std::vector<int64_t>{1, 2})) << "produced again";
  EXPECT_TRUE(outbox_.At(1).published && outbox_.At(2).published);
}

TEST_F(RelayTest, ADeliveryWhoseMarkFailedIsMarkedLaterWithoutASecondSend) {
  outbox_.Add("acme", 2);
  outbox_.mark_errors = {Unavailable("cannot execute UPDATE in a read-only transaction")};
  auto relay = Relay();
  EXPECT_EQ(relay->PublishPending().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(outbox_.At(1).published);
  ASSERT_TRUE(relay->PublishPending().ok());
  EXPECT_TRUE(outbox_.At(1).published && outbox_.At(2).published);
  EXPECT_EQ(kafka_.sent, (std::vector<int64_t>{1, 2})) << "a flood of duplicates on Kafka";
  EXPECT_EQ(webhook_.sent, (std::vector<int64_t>{1, 2})) << "the webhook got a row twice";
}

TEST_F(RelayTest, AfterAFailedMarkTheRelayBacksOffLongerEachTimeUpToFiveMinutes) {
  outbox_.Add("acme", 1);
  for (int n = 0; n < 12; ++n) outbox_.mark_errors.push_back(Unavailable("database is down"));
  std::atomic<bool> stop{false};
  test::StoppingSleeper sleeper(&stop, 12);
  app::OutboxRelay relay(config_, &outbox_, &outbox_, {&kafka_, nullptr}, 5s, &clock_, &sleeper,
                         &metrics_);
  relay.Run(stop);
  ASSERT_EQ(sleeper.waits().size(), 12u);
  EXPECT_EQ(kafka_.sent, (std::vector<int64_t>{1})) << "sent again while unmarked";
  EXPECT_LE(*std::max_element(sleeper.waits().begin(), sleeper.waits().end()), 5min);
  EXPECT_GT(*std::max_element(sleeper.waits().begin(), sleeper.waits().end()), 10s) << "no backoff";
}

TEST_F(RelayTest, ARelayFencedAtRenewalSendsNothing) {
  outbox_.Add("acme", 1);
  auto relay = Relay();
  outbox_.epoch += 1;  // another instance took the lead
  EXPECT_EQ(relay->PublishPending().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(relay->leading());
  EXPECT_TRUE(kafka_.sent.empty());
  EXPECT_EQ(metrics_.Gauge<MetricId::relay_leader>().Value(), 0);
}

TEST_F(RelayTest, ARelayFencedAtItsMarkStopsLeading) {
  outbox_.Add("acme", 1);
  outbox_.mark_errors = {FailedPrecondition("relay: fenced, epoch 1 no longer leads")};
  auto relay = Relay();
  EXPECT_EQ(relay->PublishPending().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(relay->leading());
  EXPECT_EQ(outbox_.marks, 0);
}

TEST_F(RelayTest, ANewLeaderWaitsOutItsPredecessorsLease) {
  outbox_.predecessor_lease = 12s;
  auto relay = Relay();
  EXPECT_EQ(sleeper_.sleeps(), std::vector<std::chrono::milliseconds>{12s});
  EXPECT_TRUE(relay->leading());
  EXPECT_EQ(metrics_.Gauge<MetricId::relay_leader>().Value(), 1);
}

TEST_F(RelayTest, RowsARoundHadNoTimeForAreNeitherFailedNorMarked) {
  outbox_.Add("acme", 2);
  webhook_.out_of_time = true;
  auto relay = Relay();
  ASSERT_TRUE(relay->PublishPending().ok());
  EXPECT_FALSE(outbox_.At(1).published);
  EXPECT_EQ(outbox_.At(1).attempts, 0);
  EXPECT_TRUE(outbox_.At(1).last_error.empty());
  EXPECT_TRUE(outbox_.At(1).row.on_kafka) << "Kafka's part is recorded all the same";
}

// The round's deadline is the renewed lease less its margin (5 s with a 5 s produce wait), on
// the injected clock: a Kafka delivery that used it up leaves the webhook no time at all.
TEST_F(RelayTest, TheRoundsDeadlineIsKeptByTheInjectedClock) {
  outbox_.Add("acme", 1);
  kafka_.clock = &clock_;
  kafka_.takes = 6s;
  auto relay = Relay();
  ASSERT_TRUE(relay->PublishPending().ok());
  EXPECT_EQ(kafka_.budgets, std::vector<std::chrono::milliseconds>{5s});
  EXPECT_EQ(webhook_.budgets, std::vector<std::chrono::milliseconds>{-1s});
  EXPECT_TRUE(webhook_.sent.empty());
  EXPECT_FALSE(outbox_.At(1).published);
}

}  // namespace
}  // namespace ms
