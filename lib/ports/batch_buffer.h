// The per-company pending buffer and the claims taken from it (design §1 persist and claim, §3
// Redis): BatchBuffer holds what waits to be batched, BatchLedger turns a claim into a
// `batches` row.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "ports/message_store.h"

namespace ms {

// A set of pending messages taken atomically from a company's buffer.
struct Claim {
  std::string claim_id;  // unique; makes recording the claim idempotent
  std::string company_id;
  std::vector<int64_t> message_ids;
  std::string trigger;  // threshold | max_age | rebuild | manual
};

struct ClaimedBatch {
  int64_t batch_id = 0;  // 0 when none of the claim's messages was still unbatched
  std::string company_id;
  int64_t message_count = 0;
};

class BatchLedger {
 public:
  virtual ~BatchLedger() = default;
  // Creates the `batches` row for the claim (once per claim_id) and assigns the claim's
  // still-unbatched messages to it, in one transaction. Messages already in another batch are
  // left there (a message is in exactly one batch). Re-recording a claim returns the same
  // batch.
  virtual StatusOr<ClaimedBatch> RecordClaim(const Claim& claim) = 0;
};

// Redis: per-company pending buffers, hot and rebuildable.
class BatchBuffer {
 public:
  virtual ~BatchBuffer() = default;
  // Adds pending refs (idempotent per message id). Returns the companies whose pending total
  // reached `threshold`.
  virtual StatusOr<std::vector<std::string>> Append(std::span<const MessageRef> refs, int threshold,
                                                    std::chrono::milliseconds now) = 0;
  // Atomically takes up to `threshold` of the company's oldest pending messages when it holds
  // at least `threshold`, or when its oldest is older than `now - max_age`. The claim stays
  // recorded in the buffer until Release, so a crash between Claim and RecordClaim is
  // recovered by Orphans().
  virtual StatusOr<std::optional<Claim>> TakeClaim(const std::string& company_id, int threshold,
                                                   std::chrono::milliseconds max_age,
                                                   std::chrono::milliseconds now) = 0;
  virtual Status Release(const Claim& claim) = 0;
  // Claims taken but never released (their taker died).
  virtual StatusOr<std::vector<Claim>> Orphans(std::chrono::milliseconds older_than,
                                               std::chrono::milliseconds now) = 0;
  // Companies whose oldest pending message is older than `now - max_age`.
  virtual StatusOr<std::vector<std::string>> DueCompanies(std::chrono::milliseconds max_age,
                                                          std::chrono::milliseconds now) = 0;
  // True when the buffer lost its state (restarted empty, flushed) and must be rebuilt, or a
  // rebuild began and did not finish.
  virtual StatusOr<bool> NeedsRebuild() = 0;
  // A rebuild re-appends every unbatched message read from the store AFTER BeginRebuild, then
  // calls MarkRebuilt, which takes effect only if the buffer was not emptied meanwhile: state
  // lost during a rebuild is noticed by the next NeedsRebuild.
  virtual Status BeginRebuild() = 0;
  virtual Status MarkRebuilt() = 0;
};

}  // namespace ms
