// A seeded nemesis run against the real stack and the real binaries (deploy/chaos runs it with
// a seed and a duration; CI runs a short one). A producer sends generated messages over many
// companies in chunks — some chunks twice (redelivered duplicates), poison records among them —
// while a nemesis chosen by the seed, at random moments: kills -9 and restarts the daemon,
// runs a second instance for a while, SIGSTOPs a daemon past the group's session timeout,
// restarts Kafka, Postgres or Redis (Redis comes back empty), makes Postgres read-only for a
// while or kills the daemon's sessions, and makes the fake LLM answer 429, 500, 529, slowly or
// with malformed JSON. Then it heals everything, waits for quiescence and checks, Jepsen-style:
//  - every produced message stored exactly once (none lost, none unseen), every poison record
//    dead-lettered with its reason;
//  - every stored message in exactly one done batch of its company (a batch failed for good,
//    e.g. by an answer still malformed after its repair, is retried as an operator would);
//  - every outbox row on the events topic, each company's rows in outbox order (a repeat only
//    with the same delivery id);
//  - committed offsets equal the input topics' high watermarks.
//  - no answer paid twice: a prompt the model answered usably is answered again only after a
//    fault that can cut a process from an answer it had not yet kept (kill -9, a killed
//    Postgres session or restart), at most llm.max_concurrency per instance and fault.
// The relay is also killed deliberately between its sinks' acknowledgement and marking the rows
// published (MILESTONE_FAILPOINT=relay.before_mark). Data is produced throughout the run, chunk
// by chunk, so faults land on ingest, extraction and relay alike.
// It prints one table (faults by kind, and what the checks found) and fails on any violation.
#include <signal.h>

#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "adapters/kafka/admin.h"
#include "adapters/postgres/pg.h"
#include "pipeline/text/csv.h"
#include "tests/e2e/harness.h"
#include "tests/fake_llm/fake_llm_server.h"
#include "tests/support/kafka_topic.h"

namespace ms::test {

int Stack(const std::string& verb);  // outage_e2e_test.cc's, linked alongside

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

int64_t EnvInt(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::strtoll(value, nullptr, 10) : fallback;
}

class ChaosRun : public PipelineTest {
 protected:
  void SetUp() override {
    PipelineTest::SetUp();
    if (!stack_) return;
    ASSERT_TRUE(llm_.Start().ok());
    UseOpenAiAt(llm_.base_url());
    overrides_["MILESTONE_LLM_BATCH_RETRY_DELAY"] = "1s";
    overrides_["MILESTONE_LLM_BATCH_ATTEMPTS"] = "100";  // faults are transient here
  }
  void TearDown() override {
    for (auto& daemon : daemons_) {
      if (daemon && daemon->running()) {
        daemon->Signal(SIGCONT);
        daemon->Signal(SIGKILL);
        daemon->Wait(10s);
      }
    }
    Heal();
    llm_.Stop();
    PipelineTest::TearDown();
  }

  // ---- the nemesis -------------------------------------------------------------------------

  void Fault(const std::string& kind) {
    ++faults_[kind];
    std::cout << "chaos: " << kind << "\n";
  }
  Process& Primary() { return *daemons_.front(); }
  void KillAndRestart() {
    Fault("kill -9 and restart");
    ++answer_cuts_;
    Primary().Signal(SIGCONT);
    Primary().Signal(SIGKILL);
    Primary().Wait(10s);
    daemons_.front() = StartDaemon("milestoned-" + std::to_string(++starts_));
  }
  void SecondInstance() {
    if (daemons_.size() > 1) {
      Fault("second instance stopped");
      daemons_.back()->Signal(SIGTERM);
      daemons_.back()->Wait(60s);
      daemons_.pop_back();
      return;
    }
    Fault("second instance started");
    daemons_.push_back(StartDaemon("milestoned-" + std::to_string(++starts_)));
  }
  // Every instance down, then the primary back alone with the relay's failpoint armed: once it
  // leads (after the killed leader's lease) and a round's rows are acknowledged, it holds
  // before marking them, and is killed there. Without rows to relay it is killed anyway.
  void KillRelayBeforeMark() {
    while (daemons_.size() > 1) {
      daemons_.back()->Signal(SIGKILL);
      daemons_.back()->Wait(10s);
      daemons_.pop_back();
    }
    Primary().Signal(SIGCONT);
    Primary().Signal(SIGKILL);
    Primary().Wait(10s);
    overrides_["MILESTONE_FAILPOINT"] = "relay.before_mark";
    daemons_.front() = StartDaemon("milestoned-" + std::to_string(++starts_));
    overrides_.erase("MILESTONE_FAILPOINT");
    const bool held = WaitFor(
        [&] {
          ProduceDue();
          return Primary().Log().find("failpoint relay.before_mark reached") != std::string::npos;
        },
        90s);
    Fault(held ? "relay killed between produce and mark" : "relay killed (no round to mark)");
    answer_cuts_ += 3;  // the second instance and the primary, twice
    Primary().Signal(SIGKILL);
    Primary().Wait(10s);
    daemons_.front() = StartDaemon("milestoned-" + std::to_string(++starts_));
  }
  void PausePastSessionTimeout() {
    Fault("SIGSTOP past the session timeout");
    Primary().Signal(SIGSTOP);
    std::this_thread::sleep_for(8s);  // the nemesis' own pacing: session.timeout.ms is 6 s
    Primary().Signal(SIGCONT);
  }
  void RestartServer(const std::string& server) {
    Fault("restart " + server);
    if (server == "postgres") ++answer_cuts_;
    ASSERT_EQ(Stack("stop-" + server), 0);
    down_.insert(server);
    std::this_thread::sleep_for(std::chrono::milliseconds(1000 + rng_() % 4000));
    ASSERT_EQ(Stack("start-" + server), 0);
    down_.erase(server);
  }
  void Admin(const std::string& sql) {
    auto conn = pg::Connection::Open(PgOptionsFor(stack_->pg_dsn));
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    auto res = (*conn)->Exec(sql);
    ASSERT_TRUE(res.ok()) << res.status().ToString();
  }
  void ReadOnlyForAWhile() {
    Fault("postgres read-only");
    Admin("ALTER SYSTEM SET default_transaction_read_only = on");
    Admin("SELECT pg_reload_conf()");
    read_only_ = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2000 + rng_() % 4000));
    Admin("ALTER SYSTEM RESET default_transaction_read_only");
    Admin("SELECT pg_reload_conf()");
    read_only_ = false;
  }
  void KillSessions() {
    Fault("postgres sessions killed");
    ++answer_cuts_;
    Admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + db_ +
          "' AND pid <> pg_backend_pid()");
  }
  void LlmFaults() {
    static const std::pair<test::Fault, const char*> kFaults[] = {
        {test::Fault::kRateLimited, "llm 429"},
        {test::Fault::kServerError, "llm 500"},
        {test::Fault::kOverloaded, "llm 529"},
        {test::Fault::kSlow, "llm slow"},
        {test::Fault::kTruncatedAnswer, "llm malformed JSON"},
    };
    const auto& [fault, name] = kFaults[rng_() % std::size(kFaults)];
    Fault(name);
    FakeReply reply;
    reply.fault = fault;
    reply.delay = fault == test::Fault::kSlow ? 3s : 0ms;
    llm_.PushN(reply, 1 + static_cast<int>(rng_() % 4));
  }
  void Heal() {
    for (auto& daemon : daemons_) {
      if (daemon) daemon->Signal(SIGCONT);
    }
    if (read_only_) {
      Admin("ALTER SYSTEM RESET default_transaction_read_only");
      Admin("SELECT pg_reload_conf()");
      read_only_ = false;
    }
    for (const std::string& server : std::set<std::string>(down_)) Stack("start-" + server);
    down_.clear();
  }
  void OneFault() {
    switch (rng_() % 10) {
      case 0:
        return KillAndRestart();
      case 1:
        return SecondInstance();
      case 2:
        return PausePastSessionTimeout();
      case 3:
        return RestartServer("kafka");
      case 4:
        return RestartServer("postgres");
      case 5:
        return RestartServer("redis");
      case 6:
        return ReadOnlyForAWhile();
      case 7:
        return KillSessions();
      case 8:
        return KillRelayBeforeMark();
      default:
        return LlmFaults();
    }
  }

  // ---- the producer ------------------------------------------------------------------------

  // The generated data set in `chunks` CSV files of about the same size, each with the header.
  void PrepareData(int64_t rows, int chunks) {
    std::ifstream in(Generate(rows, 30, seed_));
    CsvReader reader(in);
    auto header = reader.Next();
    ASSERT_TRUE(header.ok() && header->has_value());
    std::vector<std::ofstream> outs;
    for (int chunk = 0; chunk < chunks; ++chunk) {
      chunks_.push_back(scratch_ + "/chunk" + std::to_string(chunk) + ".csv");
      outs.emplace_back(chunks_.back());
      WriteRecord(outs.back(), **header);
    }
    for (int64_t record = 0;; ++record) {
      auto fields = reader.Next();
      ASSERT_TRUE(fields.ok()) << fields.status().ToString();
      if (!fields->has_value()) break;
      WriteRecord(outs[static_cast<size_t>(record * chunks / rows)], **fields);
    }
    expected_ = rows;
  }
  static void WriteRecord(std::ofstream& out, const std::vector<std::string>& fields) {
    for (size_t idx = 0; idx < fields.size(); ++idx) {
      out << (idx > 0 ? "," : "") << CsvField(fields[idx]);
    }
    out << "\n";
  }
  void ProduceChunk(size_t chunk) {
    ASSERT_EQ(Ctl({"produce", chunks_[chunk]}, 5min), 0) << "produce " << chunks_[chunk];
  }
  // Chunk k is due k/chunks of the way through the run, so data arrives throughout it; some
  // chunks go twice (a redelivery), poison records ride along.
  void ProduceDue() {
    while (next_chunk_ < chunks_.size() &&
           Clock::now() >= started_ + duration_ * static_cast<int64_t>(next_chunk_) /
                                          static_cast<int64_t>(chunks_.size())) {
      ProduceChunk(next_chunk_);
      if (rng_() % 4 == 0) {
        Fault("chunk produced twice");
        ProduceChunk(next_chunk_);
      }
      ++next_chunk_;
      if (rng_() % 3 == 0) ProducePoison();
    }
  }
  void ProducePoison() {
    const std::string path = scratch_ + "/poison" + std::to_string(poison_) + ".jsonl";
    std::ofstream(path) << "{not json " << poison_ << "\n"
                        << R"({"metadata":{"company_id":"acme"},"type":"message","text":"",)"
                        << R"("user":"U1","ts":"1762000000.0001","channel":"C1"})"
                        << "\n";
    poison_ += 2;
    ASSERT_EQ(Ctl({"produce", path}, 2min), 0);
  }

  // ---- the checker -------------------------------------------------------------------------

  struct Findings {
    int64_t stored = 0, lost = 0, duplicated = 0, batches = 0, not_done = 0, unbatched = 0;
    int64_t events = 0, outbox = 0, unseen_rows = 0, reordered = 0, dead_letters = 0;
    int64_t topic_records = 0;  // repeats included
    int64_t committed = 0, high_watermarks = 0;
    int64_t usable_answers = 0, prompts_answered = 0, paid_again = 0;
  };

  // Usable answers (200, whole JSON) per distinct prompt: a prompt answered twice was paid twice.
  void CheckAnswers(Findings& found) {
    std::map<size_t, int> answers;
    for (const RecordedRequest& request : llm_.requests()) {
      if (request.fault != test::Fault::kNone && request.fault != test::Fault::kSlow) continue;
      ++answers[std::hash<std::string>()(request.body)];
      ++found.usable_answers;
    }
    found.prompts_answered = static_cast<int64_t>(answers.size());
    found.paid_again = found.usable_answers - found.prompts_answered;
  }

  void CheckTopic(Findings& found) {
    auto conn = pg::Connection::Open(PgOptionsFor(dsn_));
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    auto rows = (*conn)->Exec("SELECT id, aggregate FROM outbox ORDER BY id");
    ASSERT_TRUE(rows.ok()) << rows.status().ToString();
    found.outbox = rows->rows();
    auto records = ReadWholeTopic(stack_->brokers, id_ + "-events", 120s);
    ASSERT_TRUE(records.has_value()) << "could not read the events topic";
    found.topic_records = static_cast<int64_t>(records->size());
    std::map<std::string, std::vector<int64_t>> order;  // per company, first sightings
    std::set<int64_t> seen;
    for (const TopicRecord& record : *records) {
      const int64_t id = std::stoll(record.headers.at("x-delivery-id"));
      if (seen.insert(id).second) order[record.key].push_back(id);
    }
    for (int row = 0; row < rows->rows(); ++row) {
      if (!seen.count(rows->GetInt(row, 0))) ++found.unseen_rows;
    }
    for (const auto& [company, ids] : order) {
      for (size_t idx = 1; idx < ids.size(); ++idx) found.reordered += ids[idx] < ids[idx - 1];
    }
  }
  void CheckOffsets(Findings& found) {
    auto lags = kafka::GroupLags(stack_->brokers, {}, id_, {id_ + "-slack", id_ + "-gmail"}, 30s);
    ASSERT_TRUE(lags.ok()) << lags.status().ToString();
    for (const kafka::PartitionLag& lag : *lags) {
      found.committed += std::max<int64_t>(lag.committed, 0);
      found.high_watermarks += lag.high_watermark;
    }
    auto letters = ReadWholeTopic(stack_->brokers, id_ + "-dlq", 60s);
    ASSERT_TRUE(letters.has_value());
    std::set<std::string> distinct;  // a redelivered poison record is dead-lettered again
    for (const TopicRecord& letter : *letters) {
      distinct.insert(letter.headers.at("x-milestoned-source-topic") + "/" +
                      letter.headers.at("x-milestoned-source-partition") + "@" +
                      letter.headers.at("x-milestoned-source-offset"));
    }
    found.dead_letters = static_cast<int64_t>(distinct.size());
  }
  Findings Check() {
    Findings found;
    found.stored = Stored();
    found.lost = std::max<int64_t>(expected_ - found.stored, 0);
    found.duplicated = std::max<int64_t>(found.stored - expected_, 0);
    found.batches = Query("SELECT count(*) FROM batches");
    found.not_done = Query("SELECT count(*) FROM batches WHERE status <> 'done'");
    found.unbatched = Query("SELECT count(*) FROM pending_messages");
    found.events = Query("SELECT count(*) FROM events");
    CheckTopic(found);
    CheckOffsets(found);
    CheckAnswers(found);
    return found;
  }
  void PrintTable(const Findings& found) {
    std::cout << "\nchaos run: seed " << seed_ << ", " << duration_.count() << " s\n"
              << "| fault | count |\n|---|---|\n";
    for (const auto& [kind, count] : faults_) std::cout << "| " << kind << " | " << count << " |\n";
    std::cout << "\n| check | value |\n|---|---|\n"
              << "| messages produced (distinct) | " << expected_ << " |\n"
              << "| stored | " << found.stored << " |\n"
              << "| lost | " << found.lost << " |\n"
              << "| duplicated | " << found.duplicated << " |\n"
              << "| poison records / dead-lettered | " << poison_ << " / " << found.dead_letters
              << " |\n"
              << "| batches / not done / messages unbatched | " << found.batches << " / "
              << found.not_done << " / " << found.unbatched << " |\n"
              << "| events / outbox rows | " << found.events << " / " << found.outbox << " |\n"
              << "| records on the events topic (repeats: same delivery id) | "
              << found.topic_records << " |\n"
              << "| outbox rows unseen on the topic | " << found.unseen_rows << " |\n"
              << "| reordered (per company) | " << found.reordered << " |\n"
              << "| committed offsets / high watermarks | " << found.committed << " / "
              << found.high_watermarks << " |\n"
              << "| LLM requests / usable answers / prompts answered | " << llm_.request_count()
              << " / " << found.usable_answers << " / " << found.prompts_answered << " |\n"
              << "| answers paid again / allowed by faults | " << found.paid_again << " / "
              << PaidAgainAllowed() << " |\n"
              << "| operator retries of failed batches | " << operator_retries_ << " |\n";
  }

  // A fault that can cut a process from answers it has not kept yet costs at most the calls in
  // flight then: llm.max_concurrency (default 2) per instance.
  int64_t PaidAgainAllowed() const { return answer_cuts_ * 2 * 2; }

  uint64_t seed_ = static_cast<uint64_t>(EnvInt("MILESTONE_CHAOS_SEED", 1));
  std::chrono::seconds duration_{EnvInt("MILESTONE_CHAOS_SECONDS", 45)};
  std::mt19937_64 rng_{seed_};
  FakeLlmServer llm_;
  std::vector<std::unique_ptr<Process>> daemons_;
  int starts_ = 0;
  std::vector<std::string> chunks_;
  int64_t expected_ = 0;
  int64_t poison_ = 0;
  std::map<std::string, int> faults_;
  std::set<std::string> down_;
  bool read_only_ = false;
  int operator_retries_ = 0;
  int64_t answer_cuts_ = 0;
  Clock::time_point started_ = Clock::now();
  size_t next_chunk_ = 0;
};

TEST_F(ChaosRun, NothingLostNothingTwiceEverythingPublishedInOrderUnderFaults) {
  PrepareData(EnvInt("MILESTONE_CHAOS_ROWS", 4000), 10);
  daemons_.push_back(StartDaemon("milestoned-" + std::to_string(++starts_)));
  started_ = Clock::now();
  const auto end = started_ + duration_;
  while (Clock::now() < end || next_chunk_ < chunks_.size()) {
    ProduceDue();
    if (HasFatalFailure()) return;
    if (Clock::now() < end && rng_() % 10 < 6) OneFault();
    if (HasFatalFailure()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng_() % 1500));  // pacing
  }
  Heal();
  if (!Primary().running()) daemons_.front() = StartDaemon("milestoned-healed");
  // A batch failed for good (an answer still malformed after its repair) waits for an
  // operator: retry failed batches as one would, until every batch is done.
  ASSERT_TRUE(WaitFor(
      [&] {
        if (Query("SELECT count(*) FROM batches WHERE status = 'failed'") > 0) {
          ++operator_retries_;
          Ctl({"batches", "retry", "--failed"}, 1min);
        }
        return WaitAllDone(expected_, 5s);
      },
      5min))
      << "stored=" << Stored();
  ASSERT_TRUE(WaitFor(
      [&] { return Query("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0; }, 3min));
  ASSERT_TRUE(WaitFor([&] { return CommittedOffsets() > 0; }, 60s));
  Findings found;
  ASSERT_TRUE(WaitFor(
      [&] {
        found = Check();
        return found.committed == found.high_watermarks;
      },
      2min));
  PrintTable(found);
  EXPECT_EQ(found.lost, 0);
  EXPECT_EQ(found.duplicated, 0);
  EXPECT_EQ(found.dead_letters, poison_);
  EXPECT_EQ(found.not_done, 0);
  EXPECT_EQ(found.unbatched, 0);
  ExpectEveryMessageInExactlyOneBatch(expected_);
  EXPECT_EQ(found.unseen_rows, 0);
  EXPECT_EQ(found.reordered, 0);
  EXPECT_EQ(found.committed, found.high_watermarks);
  EXPECT_LE(found.paid_again, PaidAgainAllowed()) << "an answer was paid for again";
  for (auto& daemon : daemons_) {
    daemon->Signal(SIGTERM);
    EXPECT_EQ(daemon->Wait(60s), 0) << daemon->Log();
  }
}

}  // namespace
}  // namespace ms::test
