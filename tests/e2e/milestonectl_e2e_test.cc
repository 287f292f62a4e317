// milestonectl against the real stack: exit codes, and every subcommand the deploy scripts and
// the demo used to be the only callers of (migrate, events, batches, dlq, report).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
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

  std::string slack_topic_;
  std::string dlq_topic_;
};

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

  out = CtlOutput({"dlq", "replay", "--reason", "no_company", "--dry-run"}, &code);
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(RecordsIn(slack_topic_), 6) << "a dry run sends nothing";
}

}  // namespace
}  // namespace ms::test
