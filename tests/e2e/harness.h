// End-to-end harness: the real milestoned and milestonectl binaries against the local stack.
// Every test gets its own database, topics, consumer group and Redis key prefix, so tests can
// run in parallel on one stack.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/stack_env.h"

namespace ms::test {

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Environment for both binaries: the stack plus this test's isolation and `overrides`.
  std::map<std::string, std::string> Env() const;
  std::unique_ptr<Process> StartDaemon(const std::string& name = "milestoned");
  // Daemons started after this extract through the OpenAI-compatible server at `base_url` (a
  // fake LLM), with rate limits high enough never to make them wait.
  void UseOpenAiAt(const std::string& base_url);
  // milestonectl with `args`; returns its exit code.
  int Ctl(const std::vector<std::string>& args,
          std::chrono::milliseconds wait = std::chrono::minutes(3));
  // milestonectl with `args`; returns what it printed (stdout and stderr in one stream) and
  // sets *exit_code.
  std::string CtlOutput(const std::vector<std::string>& args, int* exit_code,
                        std::chrono::milliseconds wait = std::chrono::minutes(1));
  std::string Generate(int64_t rows, int companies, uint64_t seed);
  // Splits a CSV file into two with the same header: its first `first_rows` records, and the
  // rest (to produce part of a data set, break something, then produce the rest).
  std::pair<std::string, std::string> SplitCsv(const std::string& csv, int64_t first_rows);

  int64_t Query(const std::string& sql) const { return QueryInt(dsn_, sql); }
  int64_t Stored() const { return Query("SELECT count(*) FROM messages"); }
  // Per Kafka partition, what Postgres holds of it: "topic/partition: n rows, offsets a..b",
  // with "gap" where a row between them is missing (failure messages).
  std::string StoredByPartition() const;
  // Waits until `expected` messages are stored and none is pending.
  bool WaitAllBatched(int64_t expected, std::chrono::milliseconds wait);
  // Waits until `expected` messages are stored, every one is in a batch and every batch is
  // done. One statement decides, so it sees one snapshot: checked as separate queries, a
  // remainder claimed between them would look finished before its extraction ran.
  bool WaitAllDone(int64_t expected, std::chrono::milliseconds wait);
  // Invariant 2 (ingest half): every message in exactly one batch of its own company, and every
  // batch's message_count true.
  void ExpectEveryMessageInExactlyOneBatch(int64_t expected_messages);
  // Sum of the consumer group's committed offsets over the input topics' partitions.
  int64_t CommittedOffsets(int partitions = 6) const;
  std::string LogPath(const std::string& name) const { return scratch_ + "/" + name + ".log"; }

  std::optional<StackEnv> stack_;
  std::string id_;  // unique per test
  std::string db_;
  std::string dsn_;
  std::string scratch_;
  std::map<std::string, std::string> overrides_;
};

std::string BinDir();
std::string SourceDir();

}  // namespace ms::test
