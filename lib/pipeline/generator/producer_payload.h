// Turns rows of the bundled CSV format into Slack- or Gmail-API-shaped payloads with a
// `metadata` block, as `milestonectl produce` sends them (design §2, "producer" shapes).
//
// CSV columns: id,is_chat,chat_sender,email_sender,timestamp,content[,company_id]
// is_chat is True/true/1 for Slack, False/false/0 for e-mail; timestamp "YYYY-MM-DD HH:MM:SS"
// (UTC). E-mail content starting "Subject: X. " carries its subject. Identities are derived
// from (company, id), so producing the same file twice yields the same messages.
#pragma once

#include <istream>
#include <string>
#include <vector>

#include "core/message.h"
#include "core/status.h"
#include "ports/extract.h"

namespace ms {

struct CsvRow {
  std::string id;
  bool is_chat = true;
  std::string sender;
  std::string timestamp;
  std::string content;
  std::string company_id;  // empty = the producer's default
};

struct ProducedRecord {
  Source source;
  std::string company_id;  // the Kafka key
  std::string payload;     // JSON
};

// Parses one CSV record (header excluded). InvalidArgument names the column.
StatusOr<CsvRow> ParseCsvRow(const std::vector<std::string>& fields);

ProducedRecord BuildPayload(const CsvRow& row, const std::string& default_company);

// "2025-11-01 08:30:15" -> epoch ms (UTC); nullopt when malformed.
std::optional<int64_t> ParseCsvTimestamp(const std::string& text);

std::string EncodeBase64Url(std::string_view bytes);

}  // namespace ms

namespace ms {

// Every record of a CSV stream (header skipped), as `milestonectl produce` would send it.
// Rows that do not parse are skipped; `skipped` (optional) counts them.
std::vector<ProducedRecord> PayloadsFromCsv(std::istream& csv, const std::string& default_company,
                                            size_t* skipped = nullptr);

// Every row of a CSV stream (header skipped). Rows that do not parse are skipped; `skipped`
// (optional) counts them.
std::vector<CsvRow> ReadCsvRows(std::istream& csv, size_t* skipped = nullptr);

// A row as an extractor reads it once stored, with `id` standing for its messages-table id.
BatchMessage ToBatchMessage(const CsvRow& row, int64_t id);

}  // namespace ms
