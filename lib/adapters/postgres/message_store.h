// Postgres implementation of the MessageStore and BatchLedger ports.
#pragma once

#include "adapters/postgres/pg.h"
#include "ports/batch_buffer.h"
#include "ports/message_store.h"

namespace ms::pg {

class PgMessageStore final : public MessageStore, public BatchLedger {
 public:
  explicit PgMessageStore(Pool* pool) : pool_(pool) {}

  // One transaction per call: COPY into a temporary staging table, then one INSERT … SELECT …
  // ON CONFLICT … RETURNING from it; five round trips whatever the batch size.
  StatusOr<std::vector<MessageRef>> Upsert(std::span<const Message> messages) override;
  StatusOr<std::vector<MessageRef>> Pending(std::chrono::milliseconds min_age, int64_t after_id,
                                            int limit) override;
  StatusOr<ClaimedBatch> RecordClaim(const Claim& claim) override;

 private:
  Pool* pool_;
};

}  // namespace ms::pg
