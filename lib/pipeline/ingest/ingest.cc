#include "pipeline/ingest/ingest.h"

#include <algorithm>
#include <cassert>
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

StatusOr<IngestCounts> Ingestor::Process(IngestBatch& batch, std::chrono::milliseconds now) {
  IngestCounts counts;
  MS_RETURN_IF_ERROR(Store(batch, &counts));
  MS_RETURN_IF_ERROR(Buffer(batch, now, &counts));
  return counts;
}

Status Ingestor::Store(IngestBatch& batch, IngestCounts* counts) {
  if (!batch.dead_published && !batch.dead.empty()) {
    MS_RETURN_IF_ERROR(dead_letters_->Publish(batch.dead).WithContext("dlq"));
  }
  batch.dead_published = true;
  if (!batch.stored && !batch.messages.empty()) {
    MS_ASSIGN_OR_RETURN(batch.refs, store_->Upsert(batch.messages));
  }
  batch.stored = true;
  counts->stored = batch.refs.size();
  return Status::Ok();
}

Status Ingestor::Buffer(IngestBatch& batch, std::chrono::milliseconds now, IngestCounts* counts) {
  assert(batch.stored && "Ingestor::Buffer before Store");
  std::vector<MessageRef> pending;
  for (const MessageRef& ref : batch.refs) {
    if (ref.pending) pending.push_back(ref);
  }
  counts->new_pending = pending.size();
  if (!batch.buffered && !pending.empty()) {
    MS_ASSIGN_OR_RETURN(counts->full_companies, buffer_->Append(pending, threshold_, now));
  }
  batch.buffered = true;
  return Status::Ok();
}

}  // namespace ms
