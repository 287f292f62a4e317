// A Consumer as the MessageSource port (ports/message_source.h): records are copied out of
// librdkafka's messages, partitions are PartitionKeys. Offsets, pause and resume go straight to
// the consumer, so its commit on revoke and on Close applies unchanged.
#pragma once

#include "adapters/kafka/consumer.h"
#include "ports/message_source.h"

namespace ms::kafka {

class ConsumerSource final : public MessageSource {
 public:
  // `consumer` must outlive this object.
  explicit ConsumerSource(Consumer* consumer) : consumer_(consumer) {}

  StatusOr<std::vector<RawRecord>> Poll(size_t max, std::chrono::milliseconds wait) override;
  Status StoreOffset(const PartitionKey& partition, int64_t next_offset) override;
  Status Pause(const std::vector<PartitionKey>& parts) override;
  Status Resume(const std::vector<PartitionKey>& parts) override;
  std::vector<PartitionKey> Assignment() override;

 private:
  Consumer* consumer_;
};

}  // namespace ms::kafka
