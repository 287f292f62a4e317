#include "pipeline/ingest/persister.h"

#include <cassert>

namespace ms {

StatusOr<PersistCounts> Persister::Persist(IngestBatch& batch, std::chrono::milliseconds now) {
  PersistCounts counts;
  MS_RETURN_IF_ERROR(Write(batch, &counts));
  MS_RETURN_IF_ERROR(Buffer(batch, now, &counts));
  return counts;
}

Status Persister::Write(IngestBatch& batch, PersistCounts* counts) {
  if (!batch.dead_published && !batch.dead.empty()) {
    MS_RETURN_IF_ERROR(dead_letters_->Publish(batch.dead).WithContext("dlq"));
  }
  batch.dead_published = true;
  if (!batch.written && !batch.messages.empty()) {
    MS_ASSIGN_OR_RETURN(batch.refs, store_->Upsert(batch.messages));
  }
  batch.written = true;
  counts->stored = batch.refs.size();
  return Status::Ok();
}

Status Persister::Buffer(IngestBatch& batch, std::chrono::milliseconds now, PersistCounts* counts) {
  assert(batch.written && "Persister::Buffer before Write");
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
