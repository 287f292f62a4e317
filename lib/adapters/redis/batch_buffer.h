// Redis implementation of the BatchBuffer port (design §3 Redis keys).
//
// Keys, all company keys in the company's hash tag so they live in one cluster slot:
//   <p>:{<company>}:pending           ZSET  member "<message id>:<s|g>", score = arrival ms
//   <p>:{<company>}:meta              HASH  slack, gmail: pending counts per source
//   <p>:{<company>}:claim:<claim id>  HASH  trigger, taken_at, ids: a claim not yet recorded
// and three index keys outside any company slot, updated by separate commands around the
// company's script (so scripts never cross slots), in an order that leaves a crash or a lost
// reply with an index entry too many, never one too few:
//   <p>:due     ZSET  company -> arrival of its oldest pending message (the max-age sweep).
//               A claim that empties the company removes it, then reads the company's oldest
//               pending message again and puts it back if an append came in between.
//   <p>:claims  ZSET  "<company>\t<claim id>" -> taken_at (orphan recovery). Written before
//               the claim script runs, with the claim id chosen beforehand, so every claim the
//               script makes is indexed; an entry whose script claimed nothing is removed, or
//               dropped by the orphan sweep (it finds no claim behind it).
//   <p>:epoch   STRING "rebuilding" during a rebuild, then the time it finished; its absence
//               means Redis lost its state
// What a crash or an error between a removal and its re-check leaves (a company with pending
// messages and no due entry) is repaired by the periodic reconcile (Pending(min_age)
// re-offered): an append writes the due entry when it makes the set non-empty or finds some of
// its members there already (a repeat or a re-offer), not on every call.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/redis/redis.h"
#include "ports/batch_buffer.h"

namespace ms::redis {

// The suffix of the due index, <p>:due.
inline constexpr std::string_view kDueIndex = "due";

// The due index at a glance, for the pending gauges.
struct DueSummary {
  int64_t companies = 0;                            // companies with pending messages
  std::optional<std::chrono::milliseconds> oldest;  // arrival (epoch ms) of the oldest one
};

// Reads the due index of key prefix `prefix` in one round trip; read-only, so any connection
// may do it (the daemon's ops thread uses one of its own). The error of the round trip.
StatusOr<DueSummary> ReadDueSummary(Connection& conn, const std::string& prefix);

class RedisBatchBuffer : public BatchBuffer {
 public:
  // `conn` is used from one thread at a time (one buffer per worker thread).
  RedisBatchBuffer(std::unique_ptr<Connection> conn, std::string prefix);

  StatusOr<std::vector<std::string>> Append(std::span<const MessageRef> refs, int threshold,
                                            std::chrono::milliseconds now) override;
  StatusOr<std::optional<Claim>> TakeClaim(const std::string& company_id, int threshold,
                                           std::chrono::milliseconds max_age,
                                           std::chrono::milliseconds now) override;
  Status Release(const Claim& claim) override;
  StatusOr<std::vector<Claim>> Orphans(std::chrono::milliseconds older_than,
                                       std::chrono::milliseconds now) override;
  StatusOr<std::vector<std::string>> DueCompanies(std::chrono::milliseconds max_age,
                                                  std::chrono::milliseconds now) override;
  StatusOr<bool> NeedsRebuild() override;
  Status BeginRebuild() override;
  Status MarkRebuilt() override;

  // Pending count of one company (for status and tests).
  StatusOr<int64_t> PendingCount(const std::string& company_id);

 protected:
  // A test seam: called by TakeClaim right after the claim script answered, before the due
  // index is updated. An error ends TakeClaim there, as a crash or a lost connection would.
  virtual Status AfterClaimScript() { return Status::Ok(); }

 private:
  std::string CompanyKey(const std::string& company_id, std::string_view suffix) const;
  std::string GlobalKey(std::string_view suffix) const {
    return prefix_ + ":" + std::string(suffix);
  }
  Status UpdateDue(const std::string& company_id, const std::string& oldest);

  std::unique_ptr<Connection> conn_;
  std::string prefix_;
  Script append_;
  Script claim_;
};

}  // namespace ms::redis
