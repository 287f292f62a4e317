// The ingest stage's logic, independent of Kafka: decode a polled batch of records, then make
// it durable — dead letters acknowledged, messages upserted in the store, refs appended to the
// per-company buffer — and report which offsets may now be stored.
//
// Process() is resumable: each step records its completion in the batch, so after a failure
// (a dependency down) calling it again redoes only what is left, and every step is
// idempotent, so redoing it after a crash is harmless too.
#pragma once

#include <chrono>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/decode/decode.h"
#include "ports/ingest.h"
#include "ports/message_source.h"

namespace ms {

struct IngestBatch {
  std::vector<Message> messages;  // distinct identities; edits folded in
  std::vector<DeadLetter> dead;
  std::map<PartitionKey, int64_t> next_offsets;  // per partition: last offset + 1
  size_t records = 0;
  size_t folded = 0;  // records merged into another one of the same identity
  // Progress of Process():
  bool dead_published = false;
  bool stored = false;
  std::vector<MessageRef> refs;  // filled by the store step
  bool buffered = false;
};

// Decodes every record; bad ones become dead letters. Pure.
IngestBatch DecodeBatch(std::span<const RawRecord> records, const DecodeLimits& limits);

// Removes the messages, dead letters and offsets of partitions this instance no longer owns.
void DropPartitions(IngestBatch& batch, std::span<const PartitionKey> partitions);

struct IngestCounts {
  size_t stored = 0;                        // refs returned by the store
  size_t new_pending = 0;                   // refs still pending (appended to the buffer)
  std::vector<std::string> full_companies;  // reached the batch threshold
};

class Ingestor {
 public:
  Ingestor(MessageStore* store, BatchBuffer* buffer, DeadLetterSink* dead_letters, int threshold)
      : store_(store), buffer_(buffer), dead_letters_(dead_letters), threshold_(threshold) {}

  // Runs the remaining steps. On error the batch keeps its progress; retry with the same batch.
  StatusOr<IngestCounts> Process(IngestBatch& batch, std::chrono::milliseconds now);

  // Process in two halves, for callers that overlap one batch's Buffer with the next one's
  // Store (each half touches different dependencies). Store: dead letters, then the message
  // store; fills counts->stored. Buffer: appends the pending refs; fills counts->new_pending
  // and counts->full_companies. Buffer requires a stored batch.
  Status Store(IngestBatch& batch, IngestCounts* counts);
  Status Buffer(IngestBatch& batch, std::chrono::milliseconds now, IngestCounts* counts);

 private:
  MessageStore* store_;
  BatchBuffer* buffer_;
  DeadLetterSink* dead_letters_;
  int threshold_;
};

}  // namespace ms
