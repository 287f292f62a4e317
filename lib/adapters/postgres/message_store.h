// Postgres implementation of the MessageStore and BatchLedger ports.
#pragma once

#include "adapters/postgres/pg.h"
#include "ports/ingest.h"

namespace ms::pg {

class PgMessageStore final : public MessageStore, public BatchLedger {
 public:
  explicit PgMessageStore(Pool* pool) : pool_(pool) {}

  // One multi-row INSERT ... SELECT FROM unnest(arrays) ON CONFLICT per call: a single round
  // trip whatever the batch size.
  StatusOr<std::vector<MessageRef>> Upsert(std::span<const Message> messages) override;
  StatusOr<std::vector<MessageRef>> Pending(std::chrono::milliseconds min_age) override;
  StatusOr<ClaimedBatch> RecordClaim(const Claim& claim) override;

 private:
  Pool* pool_;
};

// Appends `value` to a Postgres array literal being built ("{...}"), quoted and escaped.
void AppendArrayElement(std::string_view value, std::string* literal);

}  // namespace ms::pg
