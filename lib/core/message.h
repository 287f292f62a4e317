// The normalized message every input shape decodes to (design §2, §3 `messages`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ms {

enum class Source { kSlack, kGmail };

inline std::string_view SourceName(Source source) {
  return source == Source::kSlack ? "slack" : "gmail";
}

// Where a message was read from; kept with the row so an operator can trace it back.
struct KafkaPosition {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
};

struct Message {
  std::string company_id;
  Source source = Source::kSlack;
  // Stable identity within (company_id, source): Slack client_msg_id, else "channel:ts";
  // Gmail message id. Redelivery and edits keep it.
  std::string source_msg_id;
  std::string sender;
  std::string subject;     // Gmail Subject header; empty for Slack
  std::string text;        // plain UTF-8 text, never HTML
  int64_t sent_at_ms = 0;  // Unix epoch milliseconds, UTC
  std::string thread_id;   // Slack thread_ts / Gmail threadId; empty if none
  bool is_edit = false;    // a Slack message_changed: replaces the stored text
  KafkaPosition position;
};

}  // namespace ms
