#include "adapters/kafka/outbox_sink.h"

#include <set>

namespace ms::kafka {

OutMessage KafkaOutboxSink::RecordOf(const OutboxRow& row) const {
  return {topic_,
          row.company,
          row.payload,
          {{"x-delivery-id", std::to_string(row.id)},
           {"x-event-id", row.event_uid},
           {"x-event-type", row.type}}};
}

std::vector<Status> KafkaOutboxSink::Deliver(const std::vector<OutboxRow>& rows,
                                             std::chrono::milliseconds budget) {
  std::vector<Status> results(rows.size(), Status::Ok());
  if (budget.count() <= 0) {
    for (Status& st : results) st = DeadlineExceeded("not produced: the round's time is up");
    return results;
  }
  std::vector<OutMessage> out;
  std::vector<size_t> sent;      // positions in `rows` of `out`
  std::set<std::string> broken;  // companies with a row that cannot be sent
  for (size_t idx = 0; idx < rows.size(); ++idx) {
    const OutboxRow& row = rows[idx];
    if (broken.count(row.company)) {
      results[idx] = Aborted("an earlier row of the company failed");
      continue;
    }
    if (row.on_kafka) continue;
    OutMessage record = RecordOf(row);
    size_t bytes = record.key.size() + record.value.size() + kRecordOverhead;
    for (const Header& h : record.headers) bytes += h.key.size() + h.value.size();
    if (bytes > producer_->max_message_bytes()) {
      results[idx] = InvalidArgument("outbox row " + std::to_string(row.id) + ": a record of " +
                                     std::to_string(bytes) +
                                     " bytes is over the producer's message.max.bytes (" +
                                     std::to_string(producer_->max_message_bytes()) + ")");
      broken.insert(row.company);
      continue;
    }
    out.push_back(std::move(record));
    sent.push_back(idx);
  }
  if (out.empty()) return results;
  std::vector<Status> produced = producer_->ProduceAndWait(out, wait_);
  for (size_t idx = 0; idx < sent.size(); ++idx) results[sent[idx]] = produced[idx];
  return results;
}

}  // namespace ms::kafka
