// The message store (design §3 `messages`, the source of truth): where the persist step makes
// a decoded message durable, and where the claim stage finds the messages still to be batched.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/message.h"
#include "core/status.h"

namespace ms {

// A stored message as the batching layer sees it: a compact reference, never the text.
struct MessageRef {
  int64_t id = 0;  // messages.id
  std::string company_id;
  Source source = Source::kSlack;
  bool pending = true;  // still to be batched (its id is in pending_messages)
};

// Postgres `messages` (+ `batches` for claims). Source of truth.
class MessageStore {
 public:
  virtual ~MessageStore() = default;
  // Idempotent upsert keyed by (company_id, source, source_msg_id): a redelivered message
  // changes nothing, an edit (is_edit) replaces the text only. Returns one ref per distinct
  // message identity in `messages`, including ones stored earlier. All-or-nothing.
  virtual StatusOr<std::vector<MessageRef>> Upsert(std::span<const Message> messages) = 0;
  // One page of the messages still in no batch, stored at least `min_age` ago (0 = all):
  // at most `limit` of them with id > `after_id`, in id order. To rebuild a lost Redis, and to
  // re-offer messages whose buffer entry was lost in a crash, a page at a time so a large
  // backlog never sits in memory at once.
  virtual StatusOr<std::vector<MessageRef>> Pending(std::chrono::milliseconds min_age,
                                                    int64_t after_id, int limit) = 0;
};

}  // namespace ms
