// The message source of the ingest stage (design §1: consumer group, manual offset storage): a
// partitioned log read by one member of a group, whose partitions can be assigned to it and
// taken away at any poll.
//
// Every method is called from one thread, the polling one; rebalance callbacks run on it too,
// inside Poll, so a listener may call StoreOffset, Pause and Resume from them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace ms {

// A partition of a topic: (topic, partition index).
using PartitionKey = std::pair<std::string, int32_t>;

// One polled record. Owns its bytes: it outlives the poll that returned it.
struct RawRecord {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  std::string key;
  std::string value;
  int64_t timestamp_ms = 0;  // the record's timestamp (0: none), used when the payload has no time
};

// Told of the member's partition assignment changing. Runs inside MessageSource::Poll.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // `parts` are now owned by this member, in addition to what it owned before.
  virtual void OnAssigned(const std::vector<PartitionKey>& parts) = 0;
  // `parts` are about to be released. Before returning, the listener finishes (or abandons) their
  // in-flight work and stops storing their offsets; the source then commits what was stored for
  // them — unless `lost`: the group took them already (a session timeout), another member may be
  // reading them, and nothing stored for them is committed.
  virtual void OnRevoked(const std::vector<PartitionKey>& parts, bool lost) = 0;
};

class MessageSource {
 public:
  virtual ~MessageSource() = default;

  // Up to `max` records of the assigned, unpaused partitions, in log order per partition,
  // waiting at most `wait` for the first; an empty vector when none came. Rebalance callbacks
  // run inside this call. A fatal source error (the member cannot go on) is FailedPrecondition;
  // transient ones are retried inside and never returned.
  virtual StatusOr<std::vector<RawRecord>> Poll(size_t max, std::chrono::milliseconds wait) = 0;

  // Stores `next_offset` (last processed + 1) for `partition`, to be committed later (on a
  // timer, on revoke, on close). Aborted when the partition is no longer assigned to this member:
  // the offset must not be stored, another member owns it now.
  virtual Status StoreOffset(const PartitionKey& partition, int64_t next_offset) = 0;

  // Stops / restarts delivery from `parts`; the assignment and the group membership are kept
  // (the member goes on polling). An empty list is a no-op.
  virtual Status Pause(const std::vector<PartitionKey>& parts) = 0;
  virtual Status Resume(const std::vector<PartitionKey>& parts) = 0;

  // The partitions assigned to this member now; empty when unknown.
  virtual std::vector<PartitionKey> Assignment() = 0;
};

}  // namespace ms
