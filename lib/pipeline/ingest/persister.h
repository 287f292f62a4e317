// The persist step of the ingest stage (design §1 persist), independent of Kafka: make a decoded
// poll durable — dead letters acknowledged, messages upserted in the MessageStore, refs appended
// to the per-company BatchBuffer — so that its offsets may be stored.
//
// Persist() is resumable: each step records its completion in the batch, so after a failure
// (a dependency down) calling it again redoes only what is left, and every step is
// idempotent, so redoing it after a crash is harmless too.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "pipeline/ingest/ingest_batch.h"
#include "ports/batch_buffer.h"
#include "ports/dead_letters.h"
#include "ports/message_store.h"

namespace ms {

struct PersistCounts {
  size_t stored = 0;                        // refs returned by the message store
  size_t new_pending = 0;                   // refs still pending (appended to the buffer)
  std::vector<std::string> full_companies;  // reached the batch threshold
};

class Persister {
 public:
  // Every pointer must outlive the persister.
  Persister(MessageStore* store, BatchBuffer* buffer, DeadLetterSink* dead_letters, int threshold)
      : store_(store), buffer_(buffer), dead_letters_(dead_letters), threshold_(threshold) {}

  // Runs the remaining steps. On error the batch keeps its progress; retry with the same batch.
  StatusOr<PersistCounts> Persist(IngestBatch& batch, std::chrono::milliseconds now);

  // Persist in two halves, for callers that overlap one batch's Buffer with the next one's
  // Write (each half touches different dependencies). Write: dead letters, then the message
  // store; fills counts->stored. Buffer: appends the pending refs; fills counts->new_pending
  // and counts->full_companies. Buffer requires a written batch.
  Status Write(IngestBatch& batch, PersistCounts* counts);
  Status Buffer(IngestBatch& batch, std::chrono::milliseconds now, PersistCounts* counts);

 private:
  MessageStore* store_;
  BatchBuffer* buffer_;
  DeadLetterSink* dead_letters_;
  int threshold_;
};

}  // namespace ms
