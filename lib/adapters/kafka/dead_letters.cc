#include "adapters/kafka/dead_letters.h"

namespace ms::kafka {

Status KafkaDeadLetterSink::Publish(std::span<const DeadLetter> letters) {
  std::vector<OutMessage> out;
  out.reserve(letters.size());
  for (const DeadLetter& d : letters) {
    out.push_back({topic_,
                   d.key,
                   d.value,
                   {{std::string(kReasonHeader), d.reason},
                    {std::string(kDetailHeader), d.detail},
                    {std::string(kSourceTopicHeader), d.source_topic},
                    {std::string(kSourcePartitionHeader), std::to_string(d.partition)},
                    {std::string(kSourceOffsetHeader), std::to_string(d.offset)}}});
  }
  std::vector<Status> results = producer_->ProduceAndWait(out, wait_);
  size_t failed = 0;
  Status first;
  for (const Status& st : results) {
    if (st.ok()) continue;
    if (failed++ == 0) first = st;
  }
  if (failed == 0) return Status::Ok();
  return Unavailable(std::to_string(failed) + " of " + std::to_string(results.size()) +
                     " dead letters not acknowledged: " + first.message());
}

}  // namespace ms::kafka
