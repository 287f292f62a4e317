#include "tests/e2e/harness.h"

#include <librdkafka/rdkafka.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "pipeline/text/csv.h"

namespace ms::test {

std::string BinDir() {
  // Another build of the binaries (e.g. an old one, to see a new test fail on it).
  const char* dir = std::getenv("MILESTONE_BIN_DIR");
  return dir != nullptr && *dir != '\0' ? dir : MS_BIN_DIR;
}
std::string SourceDir() {
  return MS_SOURCE_DIR;
}

void PipelineTest::SetUp() {
  stack_ = LoadStackEnv();
  if (!stack_) {
    if (StackRequired()) GTEST_FAIL() << "local stack env missing";
    GTEST_SKIP() << "local stack not running: deploy/local/stack up, then source its env";
  }
  id_ = UniqueName("e2e");
  db_ = id_;
  dsn_ = CreateDatabase(*stack_, db_);
  scratch_ = (std::filesystem::temp_directory_path() / id_).string();
  std::filesystem::create_directories(scratch_);
}

void PipelineTest::TearDown() {
  if (!stack_) return;
  const char* keep = std::getenv("MILESTONE_KEEP_E2E_LOGS");  // debugging a passing test
  if (HasFailure() || (keep != nullptr && std::string(keep) == "1")) {
    std::cerr << "logs kept in " << scratch_ << "\n";
  } else {
    std::filesystem::remove_all(scratch_);
  }
  DropDatabase(*stack_, db_);
}

std::map<std::string, std::string> PipelineTest::Env() const {
  std::map<std::string, std::string> env = {
      {"MILESTONE_KAFKA_BROKERS", stack_->brokers},
      {"MILESTONE_KAFKA_TOPICS", id_ + "-slack," + id_ + "-gmail"},
      {"MILESTONE_KAFKA_DLQ_TOPIC", id_ + "-dlq"},
      {"MILESTONE_KAFKA_EVENTS_TOPIC", id_ + "-events"},
      {"MILESTONE_KAFKA_GROUP_ID", id_},
      {"MILESTONE_POSTGRES_DSN", dsn_},
      {"MILESTONE_REDIS_HOST", stack_->redis_host},
      {"MILESTONE_REDIS_PORT", std::to_string(stack_->redis_port)},
      {"MILESTONE_REDIS_KEY_PREFIX", id_},
      {"MILESTONE_BATCH_MAX_AGE", "2s"},
      {"MILESTONE_BATCH_SWEEP_INTERVAL", "500ms"},
      {"MILESTONE_HTTP_PORT", "0"},
      // A killed member's partitions move after 6 s instead of 45 s.
      {"MILESTONE_KAFKA_CONSUMER_PROPERTIES", "session.timeout.ms=6000,heartbeat.interval.ms=1000"},
      {"MILESTONE_CONFIG", SourceDir() + "/config.yaml"},
  };
  for (const auto& [k, v] : overrides_) env[k] = v;
  return env;
}

std::unique_ptr<Process> PipelineTest::StartDaemon(const std::string& name) {
  return std::make_unique<Process>(
      Process::Start({BinDir() + "/daemon/milestoned"}, Env(), LogPath(name)));
}

void PipelineTest::UseOpenAiAt(const std::string& base_url) {
  overrides_["MILESTONE_LLM_PROVIDER"] = "openai";
  overrides_["MILESTONE_LLM_BASE_URL"] = base_url;
  overrides_["MILESTONE_LLM_API_KEY"] = "sk-test-0123456789";
  overrides_["MILESTONE_LLM_REQUESTS_PER_MINUTE"] = "100000";
  overrides_["MILESTONE_LLM_TOKENS_PER_MINUTE"] = "1000000000";
}

int PipelineTest::Ctl(const std::vector<std::string>& args, std::chrono::milliseconds wait) {
  std::vector<std::string> argv = {BinDir() + "/milestonectl/milestonectl"};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunToEnd(argv, Env(), LogPath("milestonectl"), wait);
}

std::string PipelineTest::CtlOutput(const std::vector<std::string>& args, int* exit_code,
                                    std::chrono::milliseconds wait) {
  const std::string log = LogPath(UniqueName("milestonectl_out"));
  std::vector<std::string> argv = {BinDir() + "/milestonectl/milestonectl"};
  argv.insert(argv.end(), args.begin(), args.end());
  *exit_code = RunToEnd(argv, Env(), log, wait);
  std::ifstream in(log);
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::filesystem::remove(log);
  return out;
}

std::string PipelineTest::Generate(int64_t rows, int companies, uint64_t seed) {
  std::string path = scratch_ + "/generated.csv";
  int rc = Ctl({"generate", "--rows", std::to_string(rows), "--companies",
                std::to_string(companies), "--seed", std::to_string(seed), "-o", path});
  EXPECT_EQ(rc, 0);
  return path;
}

std::pair<std::string, std::string> PipelineTest::SplitCsv(const std::string& csv,
                                                           int64_t first_rows) {
  std::ifstream in(csv);
  CsvReader reader(in);
  const std::pair<std::string, std::string> paths = {csv + ".1", csv + ".2"};
  std::ofstream first(paths.first), rest(paths.second);
  auto write = [](std::ofstream& out, const std::vector<std::string>& fields) {
    for (size_t idx = 0; idx < fields.size(); ++idx) {
      out << (idx > 0 ? "," : "") << CsvField(fields[idx]);
    }
    out << "\n";
  };
  for (int64_t record = -1;; ++record) {  // -1: the header, written to both
    auto fields = reader.Next();
    EXPECT_TRUE(fields.ok()) << fields.status().ToString();
    if (!fields.ok() || !fields->has_value()) break;
    if (record < 0 || record < first_rows) write(first, **fields);
    if (record < 0 || record >= first_rows) write(rest, **fields);
  }
  return paths;
}

std::string PipelineTest::StoredByPartition() const {
  auto conn = pg::Connection::Open(PgOptionsFor(dsn_));
  if (!conn.ok()) return conn.status().ToString();
  auto res = (*conn)->Exec(
      "SELECT kafka_topic, kafka_partition, count(*), min(kafka_offset), max(kafka_offset) "
      "FROM messages GROUP BY 1, 2 ORDER BY 1, 2");
  if (!res.ok()) return res.status().ToString();
  std::string out;
  for (int row = 0; row < res->rows(); ++row) {
    const int64_t rows = res->GetInt(row, 2), low = res->GetInt(row, 3), high = res->GetInt(row, 4);
    out += std::string(res->Get(row, 0)) + "/" + std::string(res->Get(row, 1)) + ": " +
           std::to_string(rows) + " rows, offsets " + std::to_string(low) + ".." +
           std::to_string(high) + (high - low + 1 != rows ? " gap" : "") + "\n";
  }
  return out;
}

int64_t PipelineTest::CommittedOffsets(int partitions) const {
  char err[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", stack_->brokers.c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", id_.c_str(), err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (rk == nullptr) return -1;
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(2 * partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, (id_ + "-slack").c_str(), p);
    rd_kafka_topic_partition_list_add(list, (id_ + "-gmail").c_str(), p);
  }
  int64_t sum = -1;
  if (rd_kafka_committed(rk, list, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    sum = 0;
    for (int i = 0; i < list->cnt; ++i) sum += std::max<int64_t>(0, list->elems[i].offset);
  }
  rd_kafka_topic_partition_list_destroy(list);
  rd_kafka_destroy(rk);
  return sum;
}

bool PipelineTest::WaitAllBatched(int64_t expected, std::chrono::milliseconds wait) {
  return WaitFor(
      [&] { return Stored() == expected && Query("SELECT count(*) FROM pending_messages") == 0; },
      wait);
}

bool PipelineTest::WaitAllDone(int64_t expected, std::chrono::milliseconds wait) {
  const std::string sql =
      "SELECT CASE WHEN (SELECT count(*) FROM messages) = " + std::to_string(expected) +
      " AND EXISTS (SELECT 1 FROM batches)"
      " AND NOT EXISTS (SELECT 1 FROM batches WHERE status <> 'done')"
      " AND NOT EXISTS (SELECT 1 FROM pending_messages) THEN 1 ELSE 0 END";
  return WaitFor([&] { return Query(sql) == 1; }, wait);
}

void PipelineTest::ExpectEveryMessageInExactlyOneBatch(int64_t expected_messages) {
  EXPECT_EQ(Stored(), expected_messages);
  EXPECT_EQ(Query("SELECT count(*) FROM pending_messages"), 0);
  EXPECT_EQ(Query("SELECT COALESCE(sum(message_count), 0) FROM batches"), expected_messages);
  EXPECT_EQ(Query("SELECT count(DISTINCT u.id) FROM batches b, unnest(b.message_ids) AS u(id) "
                  "JOIN messages m ON m.id = u.id"),
            expected_messages)
      << "a stored message is in no batch, or in two";
  EXPECT_EQ(Query("SELECT count(*) FROM batches b, unnest(b.message_ids) AS u(id) "
                  "JOIN messages m ON m.id = u.id WHERE m.company_id <> b.company_id"),
            0)
      << "a batch holds another company's message";
  EXPECT_EQ(Query("SELECT count(*) FROM batches b WHERE message_count <> "
                  "cardinality(b.message_ids)"),
            0)
      << "a batch's message_count disagrees with its messages";
  EXPECT_EQ(Query("SELECT count(*) FROM batches WHERE message_count = 0"), 0);
}

}  // namespace ms::test
