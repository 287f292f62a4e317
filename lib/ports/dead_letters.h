// The dead-letter sink (design §1 ingest): where a record that cannot become a message goes,
// with a machine-readable reason, before its offset may be committed.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/status.h"

namespace ms {

// A record routed to the dead-letter topic.
struct DeadLetter {
  std::string source_topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::string key;
  std::string value;
  std::string reason;  // stable code (DlqReasonCode)
  std::string detail;  // never message content
};

class DeadLetterSink {
 public:
  virtual ~DeadLetterSink() = default;
  // OK only when every record is acknowledged by the broker.
  virtual Status Publish(std::span<const DeadLetter> letters) = 0;
};

}  // namespace ms
