#include "pipeline/ingest/ingest_batch.h"

#include <algorithm>
#include <unordered_map>

namespace ms {
namespace {

std::string IdentityKey(const Message& m) {
  std::string key = m.company_id;
  key += '\x1f';
  key += SourceName(m.source);
  key += '\x1f';
  key += m.source_msg_id;
  return key;
}

// A later record of the same identity: an edit replaces the text, a redelivery adds nothing.
void Fold(Message& into, Message&& later) {
  if (!later.is_edit) return;
  into.text = std::move(later.text);
  into.is_edit = true;
}

}  // namespace

IngestBatch DecodeBatch(std::span<const RawRecord> records, const DecodeLimits& limits) {
  IngestBatch batch;
  batch.records = records.size();
  std::unordered_map<std::string, size_t> seen;
  for (const RawRecord& rec : records) {
    auto& next = batch.next_offsets[{std::string(rec.topic), rec.partition}];
    next = std::max(next, rec.offset + 1);
    DecodeResult res = DecodeMessage(rec.topic, rec.key, rec.value, limits);
    if (!res.ok()) {
      batch.dead.push_back({std::string(rec.topic), rec.partition, rec.offset, std::string(rec.key),
                            std::string(rec.value), std::string(DlqReasonCode(res.error->reason)),
                            res.error->detail});
      continue;
    }
    Message& msg = *res.message;
    msg.position = {std::string(rec.topic), rec.partition, rec.offset};
    if (msg.sent_at_ms == 0) msg.sent_at_ms = rec.timestamp_ms;
    auto [it, inserted] = seen.emplace(IdentityKey(msg), batch.messages.size());
    if (inserted) {
      batch.messages.push_back(std::move(msg));
    } else {
      Fold(batch.messages[it->second], std::move(msg));
      ++batch.folded;
    }
  }
  return batch;
}

void DropPartitions(IngestBatch& batch, std::span<const PartitionKey> partitions) {
  auto dropped = [&](const std::string& topic, int32_t partition) {
    return std::find(partitions.begin(), partitions.end(), PartitionKey{topic, partition}) !=
           partitions.end();
  };
  std::erase_if(batch.messages,
                [&](const Message& m) { return dropped(m.position.topic, m.position.partition); });
  std::erase_if(batch.dead,
                [&](const DeadLetter& d) { return dropped(d.source_topic, d.partition); });
  for (const auto& key : partitions) batch.next_offsets.erase(key);
}

}  // namespace ms
