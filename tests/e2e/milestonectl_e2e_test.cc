// milestonectl against the real stack: exit codes, and every subcommand the deploy scripts and
// the demo used to be the only callers of (migrate, events, batches, dlq, report).
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "adapters/kafka/admin.h"
#include "adapters/kafka/dead_letters.h"
#include "adapters/kafka/producer.h"
#include "tests/e2e/harness.h"

namespace ms::test {
namespace {

using namespace std::chrono_literals;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct CtlRun {
  int code = -1;
  std::string out;
  std::string err;
};

// milestonectl with `args` and no stack: stdout and stderr kept apart.
CtlRun RunCtl(const std::vector<std::string>& args) {
  const auto dir = std::filesystem::temp_directory_path() / UniqueName("ctl_usage");
  std::filesystem::create_directories(dir);
  std::string cmd = "exec '" + BinDir() + "/milestonectl/milestonectl'";
  for (const auto& a : args) cmd += " '" + a + "'";
  cmd += " >'" + (dir / "out").string() + "' 2>'" + (dir / "err").string() + "'";
  CtlRun run;
  run.code = RunToEnd({"/bin/sh", "-c", cmd}, {}, (dir / "sh").string(), 30s);
  run.out = ReadFile((dir / "out").string());
  run.err = ReadFile((dir / "err").string());
  std::filesystem::remove_all(dir);
  return run;
}

// The subcommand names listed under "SUBCOMMANDS:" in a CLI11 help text.
std::vector<std::string> SubcommandsIn(const std::string& help) {
  std::vector<std::string> names;
  std::istringstream lines(help);
  bool in_section = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("Subcommands:") || line.starts_with("SUBCOMMANDS:")) {
      in_section = true;
    } else if (in_section && line.starts_with("  ")) {
      std::istringstream words(line);
      std::string name;
      words >> name;
      names.push_back(name);
    } else if (in_section && !line.empty()) {
      in_section = false;
    }
  }
  return names;
}

// The first JSON document in `output` that starts a line (stderr lines may come around it).
nlohmann::json FirstJson(const std::string& output) {
  for (size_t start = 0; start < output.size();) {
    if (output[start] == '{' || output[start] == '[') {
      std::istringstream in(output.substr(start));
      nlohmann::json doc;
      try {
        in >> doc;
        return doc;
      } catch (const nlohmann::json::exception&) {
      }
    }
    size_t next = output.find('\n', start);
    if (next == std::string::npos) break;
    start = next + 1;
  }
  return nullptr;
}

TEST(MilestonectlUsage, BadUsageExitsTwoWithTheReasonOnStderr) {
  const std::vector<std::vector<std::string>> bad = {
      {},                                                       // no subcommand
      {"--no-such-option", "status"},                           // unknown option
      {"nonsense"},                                             // unknown subcommand
      {"events"},                                               // --company is required
      {"events", "--company"},                                  // option without its value
      {"batches"},                                              // batches needs list|show|retry
      {"batches", "show"},                                      // the id is required
      {"batches", "show", "seven"},                             // not a number
      {"batches", "retry"},                                     // neither an id nor --failed
      {"dlq", "replay", "--json", "extra"},                     // stray argument
      {"investor-email", "--company", "x", "--format", "pdf"},  // not md|json
      {"generate", "--rows", "0"},                              // out of range
  };
  for (const auto& args : bad) {
    std::string shown;
    for (const auto& a : args) shown += a + " ";
    CtlRun run = RunCtl(args);
    EXPECT_EQ(run.code, 2) << shown << "\nstdout: " << run.out << "\nstderr: " << run.err;
    EXPECT_FALSE(run.err.empty()) << shown << ": no reason on stderr";
    EXPECT_TRUE(run.out.empty()) << shown << ": " << run.out;
  }
}

TEST(MilestonectlUsage, HelpExitsZeroEverywhereAndListsTheExitCodes) {
  CtlRun top = RunCtl({"--help"});
  ASSERT_EQ(top.code, 0) << top.err;
  EXPECT_NE(top.out.find("Exit codes:"), std::string::npos) << top.out;
  EXPECT_NE(top.out.find("2  bad usage"), std::string::npos) << top.out;
  EXPECT_EQ(RunCtl({"--version"}).code, 0);

  const std::vector<std::string> listed = SubcommandsIn(top.out);
  const std::vector<std::string> known = {"migrate",        "produce", "generate",
                                          "status",         "events",  "batches",
                                          "investor-email", "dlq",     "report"};
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()),
            std::set<std::string>(known.begin(), known.end()))
      << top.out;
  std::vector<std::vector<std::string>> helps;
  for (const auto& name : listed) helps.push_back({name, "--help"});
  for (const char* sub : {"list", "show", "retry"}) helps.push_back({"batches", sub, "--help"});
  for (const char* sub : {"list", "replay"}) helps.push_back({"dlq", sub, "--help"});
  for (const auto& args : helps) {
    CtlRun run = RunCtl(args);
    EXPECT_EQ(run.code, 0) << args[0] << " " << args[1] << ": " << run.err;
    EXPECT_NE(run.out.find("Usage"), std::string::npos) << args[0] << ": " << run.out;
  }
}

// milestonectl subcommands against the real stack, with this test's database and topics.
class MilestonectlTest : public PipelineTest {
 protected:
  void SetUp() override {
    PipelineTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    slack_topic_ = id_ + "-slack";
    dlq_topic_ = id_ + "-dlq";
  }

  // The sum of the high watermarks of `topic`'s partitions: every record ever produced to it.
  int64_t RecordsIn(const std::string& topic) {
    auto lags = kafka::GroupLags(stack_->brokers, {}, id_ + "-probe", {topic}, 10s);
    EXPECT_TRUE(lags.ok()) << lags.status().ToString();
    int64_t total = 0;
    for (const auto& lag : lags.ok() ? *lags : std::vector<kafka::PartitionLag>{}) {
      total += lag.high_watermark;
    }
    return total;
  }

  // Dead letters as the daemon's DLQ sink writes them (dead_letters.cc), each to the given DLQ
  // partition, with the reason header and an origin on the Slack input topic.
  void ProduceDeadLetters(const std::vector<std::pair<std::string, int32_t>>& reasons) {
    auto producer = kafka::Producer::Open({stack_->brokers, {}, true, 30s});
    ASSERT_TRUE(producer.ok()) << producer.status().ToString();
    std::vector<kafka::OutMessage> out;
    for (const auto& [reason, partition] : reasons) {
      const std::string n = std::to_string(out.size());
      out.push_back({dlq_topic_,
                     "acme",
                     "{\"poison\": " + n + "}",
                     {{std::string(kafka::kReasonHeader), reason},
                      {std::string(kafka::kDetailHeader), "test record " + n},
                      {std::string(kafka::kSourceTopicHeader), slack_topic_},
                      {std::string(kafka::kSourcePartitionHeader), "0"},
                      {std::string(kafka::kSourceOffsetHeader), n}},
                     partition});
    }
    for (const Status& st : (*producer)->ProduceAndWait(out, 30s)) {
      ASSERT_TRUE(st.ok()) << st.ToString();
    }
  }

  void CreateTopics() {
    ASSERT_TRUE(
        kafka::EnsureTopics(stack_->brokers, {}, {{slack_topic_, 1}, {dlq_topic_, 2}}, 30s).ok());
  }

  // milestonectl with `args`: its JSON output, after checking the exit code.
  nlohmann::json CtlJson(const std::vector<std::string>& args, int expected_code = 0) {
    int code = -1;
    std::string out = CtlOutput(args, &code);
    EXPECT_EQ(code, expected_code) << args[0] << ": " << out;
    nlohmann::json doc = FirstJson(out);
    EXPECT_FALSE(doc.is_null()) << args[0] << ": no JSON in\n" << out;
    return doc;
  }

  std::string QueryText(const std::string& sql) {
    auto conn = pg::Connection::Open(PgOptionsFor(dsn_));
    EXPECT_TRUE(conn.ok()) << conn.status().ToString();
    if (!conn.ok()) return "";
    auto res = (*conn)->Exec(sql);
    EXPECT_TRUE(res.ok() && res->rows() == 1) << sql;
    return res.ok() && res->rows() == 1 ? std::string(res->Get(0, 0)) : "";
  }

  void Exec(const std::string& sql) {
    auto conn = pg::Connection::Open(PgOptionsFor(dsn_));
    ASSERT_TRUE(conn.ok()) << conn.status().ToString();
    auto res = (*conn)->Exec(sql);
    ASSERT_TRUE(res.ok()) << sql << ": " << res.status().ToString();
    ASSERT_GT(res->affected(), 0) << sql;
  }

  // Runs the daemon (offline `rules` extractor) over a generated data set plus one poison
  // line, waits until every message is in a done batch, and stops it.
  void RunPipeline(int64_t rows) {
    std::string csv = Generate(rows, 2, 23);
    std::string poison = scratch_ + "/poison.jsonl";
    std::ofstream(poison) << "this is not JSON\n";
    auto daemon = StartDaemon();
    ASSERT_EQ(Ctl({"produce", csv}), 0);
    ASSERT_EQ(Ctl({"produce", poison}), 0);
    ASSERT_TRUE(WaitAllDone(rows, 120s)) << daemon->Log();
    ASSERT_TRUE(WaitFor([&] { return RecordsIn(dlq_topic_) == 1; }, 30s)) << daemon->Log();
    daemon->Signal(SIGTERM);
    ASSERT_EQ(daemon->Wait(60s), 0) << daemon->Log();
  }

  std::string slack_topic_;
  std::string dlq_topic_;
};

TEST_F(MilestonectlTest, MigrateAppliesEveryMigrationOnceThenNothing) {
  nlohmann::json first = CtlJson({"migrate", "--json"});
  ASSERT_TRUE(first["applied"].is_array()) << first;
  EXPECT_FALSE(first["applied"].empty()) << "a new database has every migration to apply";
  EXPECT_EQ(static_cast<int64_t>(first["applied"].size()),
            Query("SELECT count(*) FROM schema_migrations"));
  EXPECT_EQ(first["version"], Query("SELECT max(version) FROM schema_migrations"));
  nlohmann::json second = CtlJson({"migrate", "--json"});
  EXPECT_EQ(second["applied"], nlohmann::json::array()) << second;
  EXPECT_EQ(second["version"], first["version"]);
  int code = -1;
  std::string text = CtlOutput({"migrate"}, &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(text.find("applied 0 migration(s) now"), std::string::npos) << text;
}

// After a real run: events, batches and report say what the database holds, with a failed
// batch, a failing outbox row and a dead letter planted for the error sections.
TEST_F(MilestonectlTest, LedgerCommandsAgreeWithTheDatabase) {
  ASSERT_NO_FATAL_FAILURE(RunPipeline(400));
  ASSERT_GT(Query("SELECT count(*) FROM events"), 0);
  ASSERT_GT(Query("SELECT count(*) FROM outbox"), 0);

  // events --company --since --type (--all: every event, not the most significant 20)
  const std::string company =
      QueryText("SELECT company_id FROM events GROUP BY company_id ORDER BY count(*) DESC LIMIT 1");
  const std::string type = QueryText("SELECT type FROM events WHERE company_id = '" + company +
                                     "' GROUP BY type ORDER BY count(*) DESC, type LIMIT 1");
  Exec("UPDATE events SET occurred_at = '2020-01-01' WHERE id % 2 = 0");
  const std::string in_company = "FROM events WHERE company_id = '" + company + "'";
  nlohmann::json all = CtlJson({"events", "--company", company, "--all", "--json"});
  ASSERT_TRUE(all.is_array()) << all;
  EXPECT_EQ(static_cast<int64_t>(all.size()), Query("SELECT count(*) " + in_company));
  nlohmann::json recent =
      CtlJson({"events", "--company", company, "--since", "2021-01-01", "--all", "--json"});
  EXPECT_EQ(static_cast<int64_t>(recent.size()),
            Query("SELECT count(*) " + in_company + " AND id % 2 = 1"));
  EXPECT_LT(recent.size(), all.size() + 1);
  for (const auto& e : recent) EXPECT_GE(e["occurred_at"].get<std::string>(), "2021-01-01") << e;
  nlohmann::json typed =
      CtlJson({"events", "--company", company, "--type", type, "--all", "--json"});
  EXPECT_EQ(static_cast<int64_t>(typed.size()),
            Query("SELECT count(*) " + in_company + " AND type = '" + type + "'"));
  for (const auto& e : typed) EXPECT_EQ(e["type"], type) << e;
  EXPECT_EQ(CtlJson({"events", "--company", "nobody", "--json"}), nlohmann::json::array());
  nlohmann::json top = CtlJson({"events", "--company", company, "--top", "3", "--json"});
  EXPECT_EQ(top.size(), std::min<size_t>(3, all.size()));
  for (size_t idx = 1; idx < top.size(); ++idx) {
    EXPECT_GE(top[idx - 1]["occurred_at"].get<std::string>(),
              top[idx]["occurred_at"].get<std::string>())
        << "newest first";
  }

  // batches list | show | retry
  const int64_t batches = Query("SELECT count(*) FROM batches");
  nlohmann::json listed = CtlJson({"batches", "list", "--limit", "1000", "--json"});
  EXPECT_EQ(static_cast<int64_t>(listed.size()), batches);
  const int64_t failed_id = Query("SELECT min(id) FROM batches");
  Exec(
      "UPDATE batches SET status = 'failed', attempts = 3, last_error = 'test: provider said no' "
      "WHERE id = " +
      std::to_string(failed_id));
  Exec(
      "UPDATE batches SET llm_calls = 2 + id % 3, dropped_messages = id % 5, "
      "rejected_events = id % 2, cost_usd = 0.002 * message_count, decided_offline = id % 4");
  nlohmann::json failed = CtlJson({"batches", "list", "--status", "failed", "--json"});
  ASSERT_EQ(failed.size(), 1u) << failed;
  EXPECT_EQ(failed[0]["id"], failed_id);
  nlohmann::json shown = CtlJson({"batches", "show", std::to_string(failed_id)});
  EXPECT_EQ(shown["status"], "failed");
  EXPECT_EQ(shown["last_error"], "test: provider said no");
  EXPECT_EQ(shown["messages"], Query("SELECT cardinality(message_ids) FROM batches WHERE id = " +
                                     std::to_string(failed_id)));
  int code = -1;
  std::string missing = CtlOutput({"batches", "show", "987654321"}, &code);
  EXPECT_EQ(code, 3) << missing;
  EXPECT_EQ(Ctl({"batches", "retry", "987654321"}), 3);

  // report, Markdown and JSON, before the retry: the failed batch is an error.
  Exec(
      "UPDATE outbox SET published_at = NULL, attempts = 4, last_error = 'webhook: HTTP 500' "
      "WHERE id = (SELECT min(id) FROM outbox)");
  std::string md = CtlOutput({"report"}, &code);
  EXPECT_EQ(code, 0) << md;
  for (const char* section :
       {"# milestoned pipeline report", "## Messages by source", "## Events by type and severity",
        "## Batches, LLM calls, tokens and cost", "| LLM calls |",
        "## LLM spend per 1,000 messages by mode (done batches)", "| cost USD per 1k |",
        "## Duration", "## Errors", "### Failed batches (1;", "test: provider said no",
        "### Outbox rows failing to publish (1)", "webhook: HTTP 500", "### Dead letters",
        "1 record(s), 1 past the replay group"}) {
    EXPECT_NE(md.find(section), std::string::npos) << section << "\n" << md;
  }
  nlohmann::json report = CtlJson({"report", "--json"});
  int64_t messages = 0;
  for (const auto& row : report["messages"]) messages += row["messages"].get<int64_t>();
  EXPECT_EQ(messages, Query("SELECT count(*) FROM messages"));
  int64_t events = 0;
  for (const auto& row : report["events"]) {
    events += row["high"].get<int64_t>() + row["medium"].get<int64_t>() + row["low"].get<int64_t>();
  }
  EXPECT_EQ(events, Query("SELECT count(*) FROM events"));
  int64_t report_batches = 0, calls = 0, dropped = 0, rejected = 0, prompt = 0;
  for (const auto& row : report["batches"]) {
    report_batches += row["batches"].get<int64_t>();
    calls += row["llm_calls"].get<int64_t>();
    dropped += row["dropped_messages"].get<int64_t>();
    rejected += row["rejected_events"].get<int64_t>();
    prompt += row["prompt_tokens"].get<int64_t>();
  }
  EXPECT_EQ(report_batches, batches);
  EXPECT_EQ(calls, Query("SELECT sum(llm_calls) FROM batches"));
  EXPECT_EQ(dropped, Query("SELECT sum(dropped_messages) FROM batches"));
  EXPECT_EQ(rejected, Query("SELECT sum(rejected_events) FROM batches"));
  EXPECT_EQ(prompt, Query("SELECT sum(prompt_tokens) FROM batches"));
  // $0.002 a message is $2 per 1,000; calls per 1,000 messages over the done batches.
  int64_t done_messages = 0, decided_offline = 0;
  double done_calls = 0;
  for (const auto& row : report["economy"]) {
    EXPECT_EQ(row["mode"], "rules") << "the mode the batches were decided in: " << row;
    done_messages += row["messages"].get<int64_t>();
    decided_offline += row["decided_offline"].get<int64_t>();
    EXPECT_DOUBLE_EQ(row["cost_usd_per_1k"].get<double>(), 2.0) << row;
    done_calls += row["calls_per_1k"].get<double>() * row["messages"].get<double>() / 1000;
  }
  EXPECT_EQ(done_messages, Query("SELECT sum(message_count) FROM batches WHERE status = 'done'"));
  EXPECT_EQ(decided_offline,
            Query("SELECT sum(decided_offline) FROM batches WHERE status = 'done'"));
  EXPECT_NEAR(done_calls, Query("SELECT sum(llm_calls) FROM batches WHERE status = 'done'"),
              0.01 * static_cast<double>(done_messages) / 1000 + 1e-9);
  EXPECT_EQ(report["failed_batches_total"], 1);
  EXPECT_EQ(report["failed_batches"][0]["id"], failed_id);
  EXPECT_EQ(report["failing_outbox_total"], 1);
  EXPECT_EQ(report["failing_outbox"][0]["attempts"], 4);
  EXPECT_EQ(report["dead_letters"]["records"], 1) << report["dead_letters"];
  EXPECT_TRUE(report["duration"]["seconds"].is_number()) << report["duration"];
  nlohmann::json one = CtlJson({"report", "--company", company, "--json"});
  int64_t company_messages = 0;
  for (const auto& row : one["messages"]) company_messages += row["messages"].get<int64_t>();
  EXPECT_EQ(company_messages,
            Query("SELECT count(*) FROM messages WHERE company_id = '" + company + "'"));

  // retry: failed -> claimed, error cleared, a fresh llm.batch_attempts (the 3 attempts the
  // batch had used are forgiven); a second retry finds nothing to do.
  EXPECT_EQ(CtlJson({"batches", "retry", std::to_string(failed_id), "--json"}),
            nlohmann::json({{"requeued", 1}}));
  EXPECT_EQ(QueryText("SELECT status || '/' || COALESCE(last_error, 'none') || '/' || attempts "
                      "FROM batches WHERE id = " +
                      std::to_string(failed_id)),
            "claimed/none/0");
  EXPECT_EQ(CtlJson({"batches", "retry", "--failed", "--json"}), nlohmann::json({{"requeued", 0}}));
}

// A replay of one reason leaves the other reason's records replayable, even where the two are
// interleaved on one partition (the replay group's offset must not pass a skipped record).
TEST_F(MilestonectlTest, DlqReplayOfOneReasonLeavesTheOthersReplayable) {
  CreateTopics();
  ProduceDeadLetters({{"invalid_json", 0},
                      {"no_company", 0},
                      {"invalid_json", 0},
                      {"no_company", 0},
                      {"no_company", 1},
                      {"invalid_json", 1}});
  ASSERT_EQ(RecordsIn(dlq_topic_), 6);
  nlohmann::json listed = CtlJson({"dlq", "list", "--json"});
  ASSERT_EQ(listed.size(), 6u) << listed;
  EXPECT_EQ(listed[0]["source_topic"], slack_topic_);
  nlohmann::json only = CtlJson({"dlq", "list", "--reason", "no_company", "--json"});
  ASSERT_EQ(only.size(), 3u) << only;
  for (const auto& r : only) EXPECT_EQ(r["reason"], "no_company") << r;
  int code = -1;
  std::string out = CtlOutput({"dlq", "replay", "--reason", "no_company"}, &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("replayed 3 record(s)"), std::string::npos) << out;
  EXPECT_EQ(RecordsIn(slack_topic_), 3);

  out = CtlOutput({"dlq", "replay", "--reason", "invalid_json"}, &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("replayed 3 record(s)"), std::string::npos)
      << "the records skipped by the first replay were lost to the second\n"
      << out;
  EXPECT_EQ(RecordsIn(slack_topic_), 6);

  nlohmann::json dry = CtlJson({"dlq", "replay", "--dry-run", "--json"});
  EXPECT_EQ(dry["dry_run"], true) << dry;
  EXPECT_GT(dry["replayed"].get<int64_t>(), 0) << "records after a skipped one come again";
  EXPECT_EQ(dry["skipped_other_reason"], 0) << dry;
  EXPECT_EQ(RecordsIn(slack_topic_), 6) << "a dry run sends nothing";
}

}  // namespace
}  // namespace ms::test
