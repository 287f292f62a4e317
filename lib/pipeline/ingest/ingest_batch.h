// A poll as the ingest stage carries it: its records decoded into messages and dead letters,
// the offsets it lets the consumer store, and how far persisting it got (pipeline/ingest/
// persister.h). Independent of Kafka.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "pipeline/decode/decode.h"
#include "ports/dead_letters.h"
#include "ports/message_source.h"
#include "ports/message_store.h"

namespace ms {

struct IngestBatch {
  std::vector<Message> messages;  // distinct identities; edits folded in
  std::vector<DeadLetter> dead;
  std::map<PartitionKey, int64_t> next_offsets;  // per partition: last offset + 1
  size_t records = 0;
  size_t folded = 0;  // records merged into another one of the same identity
  // Progress of Persister::Persist:
  bool dead_published = false;
  bool written = false;
  std::vector<MessageRef> refs;  // filled by the write step
  bool buffered = false;
};

// Decodes every record; bad ones become dead letters. Pure.
IngestBatch DecodeBatch(std::span<const RawRecord> records, const DecodeLimits& limits);

// Removes the messages, dead letters and offsets of partitions this instance no longer owns.
void DropPartitions(IngestBatch& batch, std::span<const PartitionKey> partitions);

}  // namespace ms
