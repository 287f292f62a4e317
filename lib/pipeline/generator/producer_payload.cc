#include "pipeline/generator/producer_payload.h"

#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "pipeline/text/csv.h"

namespace ms {
namespace {

std::optional<bool> ParseBool(std::string value) {
  for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (value == "true" || value == "1" || value == "yes") return true;
  if (value == "false" || value == "0" || value == "no") return false;
  return std::nullopt;
}

// Splits "Subject: X. body" into subject and body.
std::pair<std::string, std::string> SplitSubject(const std::string& content) {
  constexpr std::string_view kPrefix = "Subject: ";
  if (!content.starts_with(kPrefix)) return {"", content};
  size_t end = content.find(". ", kPrefix.size());
  if (end == std::string::npos) return {content.substr(kPrefix.size()), content};
  return {content.substr(kPrefix.size(), end - kPrefix.size()), content.substr(end + 2)};
}

std::string SlackPayload(const CsvRow& row, const std::string& company, int64_t ts_ms) {
  char ts[32];
  snprintf(ts, sizeof ts, "%lld.%06lld", static_cast<long long>(ts_ms / 1000),
           static_cast<long long>((ts_ms % 1000) * 1000));
  nlohmann::json j = {
      {"metadata", {{"topic", "chat"}, {"source", "slack"}, {"company_id", company}}},
      {"type", "message"},
      {"client_msg_id", "csv-" + company + "-" + row.id},
      {"text", row.content},
      {"user", row.sender},
      {"ts", ts},
      {"channel", "C" + Fnv1a64Hex(company, kFnvLegacyBasis).substr(0, 8)},
  };
  return j.dump();
}

std::string GmailPayload(const CsvRow& row, const std::string& company, int64_t ts_ms) {
  auto [subject, body] = SplitSubject(row.content);
  nlohmann::json j = {
      {"metadata", {{"topic", "email"}, {"source", "gmail"}, {"company_id", company}}},
      {"id", Fnv1a64Hex(company + "/" + row.id, kFnvLegacyBasis)},
      {"threadId", Fnv1a64Hex(company + "/" + subject, kFnvLegacyBasis)},
      {"internalDate", std::to_string(ts_ms)},
      {"payload",
       {{"mimeType", "text/plain"},
        {"headers",
         {{{"name", "Subject"}, {"value", subject}},
          {{"name", "From"}, {"value", row.sender}},
          {{"name", "Date"}, {"value", row.timestamp}}}},
        {"body", {{"size", body.size()}, {"data", EncodeBase64Url(body)}}}}},
  };
  return j.dump();
}

}  // namespace

std::optional<int64_t> ParseCsvTimestamp(const std::string& text) {
  std::tm tm{};
  int consumed = 0;
  if (sscanf(text.c_str(), "%4d-%2d-%2d %2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
             &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &consumed) != 6 ||
      static_cast<size_t>(consumed) != text.size()) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  time_t secs = timegm(&tm);
  if (secs < 0) return std::nullopt;
  return static_cast<int64_t>(secs) * 1000;
}

StatusOr<CsvRow> ParseCsvRow(const std::vector<std::string>& fields) {
  if (fields.size() < 6 || fields.size() > 7) {
    return InvalidArgument(
        "expected 6 or 7 columns "
        "(id,is_chat,chat_sender,email_sender,timestamp,content[,company_id]), got " +
        std::to_string(fields.size()));
  }
  CsvRow row;
  row.id = fields[0];
  if (row.id.empty()) return InvalidArgument("column id is empty");
  auto is_chat = ParseBool(fields[1]);
  if (!is_chat) return InvalidArgument("column is_chat: '" + fields[1] + "' is not true/false");
  row.is_chat = *is_chat;
  row.sender = row.is_chat ? fields[2] : fields[3];
  row.timestamp = fields[4];
  if (!ParseCsvTimestamp(row.timestamp)) {
    return InvalidArgument("column timestamp: '" + row.timestamp + "' is not YYYY-MM-DD HH:MM:SS");
  }
  row.content = fields[5];
  if (fields.size() == 7) row.company_id = fields[6];
  return row;
}

ProducedRecord BuildPayload(const CsvRow& row, const std::string& default_company) {
  const std::string& company = row.company_id.empty() ? default_company : row.company_id;
  int64_t ts_ms = ParseCsvTimestamp(row.timestamp).value_or(0);
  if (row.is_chat) return {Source::kSlack, company, SlackPayload(row, company, ts_ms)};
  return {Source::kGmail, company, GmailPayload(row, company, ts_ms)};
}

std::string EncodeBase64Url(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t idx = 0;
  for (; idx + 2 < bytes.size(); idx += 3) {
    uint32_t n =
        (uint8_t(bytes[idx]) << 16) | (uint8_t(bytes[idx + 1]) << 8) | uint8_t(bytes[idx + 2]);
    for (int shift = 18; shift >= 0; shift -= 6) out.push_back(kAlphabet[(n >> shift) & 63]);
  }
  size_t rest = bytes.size() - idx;
  if (rest > 0) {
    uint32_t n = uint8_t(bytes[idx]) << 16;
    if (rest == 2) n |= uint8_t(bytes[idx + 1]) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    if (rest == 2) out.push_back(kAlphabet[(n >> 6) & 63]);
  }
  return out;
}

}  // namespace ms

namespace ms {

std::vector<CsvRow> ReadCsvRows(std::istream& csv, size_t* skipped) {
  CsvReader reader(csv);
  (void)reader.Next();  // header
  std::vector<CsvRow> out;
  while (true) {
    auto fields = reader.Next();
    if (!fields.ok() || !*fields) break;
    auto row = ParseCsvRow(**fields);
    if (row.ok()) {
      out.push_back(std::move(*row));
    } else if (skipped != nullptr) {
      ++*skipped;
    }
  }
  return out;
}

std::vector<ProducedRecord> PayloadsFromCsv(std::istream& csv, const std::string& default_company,
                                            size_t* skipped) {
  std::vector<ProducedRecord> out;
  for (const CsvRow& row : ReadCsvRows(csv, skipped)) {
    out.push_back(BuildPayload(row, default_company));
  }
  return out;
}

BatchMessage ToBatchMessage(const CsvRow& row, int64_t id) {
  BatchMessage message;
  message.id = id;
  message.source = row.is_chat ? Source::kSlack : Source::kGmail;
  message.sender = row.sender;
  message.text = row.content;
  message.sent_at_ms = ParseCsvTimestamp(row.timestamp).value_or(0);
  return message;
}

}  // namespace ms
