#include "adapters/kafka/producer.h"

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <optional>

namespace ms::kafka {
namespace {

// Outcome of one ProduceAndWait call; shared with tickets that may outlive the call.
struct DeliveryBatch {
  std::mutex mu;
  std::vector<Status> results;  // guarded by mu
  size_t pending = 0;           // guarded by mu
};

struct Ticket {
  std::shared_ptr<DeliveryBatch> batch;
  size_t index;
};

// `opaque` is the producer's failure counter for fire-and-forget sends (Send).
void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  auto* ticket = static_cast<Ticket*>(msg->_private);
  if (ticket == nullptr) {
    if (msg->err) static_cast<std::atomic<int64_t>*>(opaque)->fetch_add(1);
    return;
  }
  {
    std::lock_guard lock(ticket->batch->mu);
    ticket->batch->results[ticket->index] = FromKafkaError(msg->err, "kafka delivery");
    --ticket->batch->pending;
  }
  delete ticket;
}

// An integer property as librdkafka holds it (its default when unset).
std::optional<int64_t> ConfInt(rd_kafka_conf_t* conf, const char* name) {
  char value[32];
  size_t size = sizeof value;
  if (rd_kafka_conf_get(conf, name, value, &size) != RD_KAFKA_CONF_OK) return std::nullopt;
  return std::strtoll(value, nullptr, 10);
}

}  // namespace

StatusOr<std::unique_ptr<Producer>> Producer::Open(const ProducerOptions& options) {
  Properties props = {
      {"bootstrap.servers", options.brokers},
      {"enable.idempotence", options.idempotent ? "true" : "false"},
      {"acks", "all"},
      {"linger.ms", "5"},
      {"compression.type", "lz4"},
      {"message.timeout.ms", std::to_string(options.delivery_timeout.count())},
  };
  // delivery.timeout.ms is librdkafka's alias of message.timeout.ms: a user's setting under
  // either name replaces the default (set in key order, the default would win over the alias).
  if (options.properties.count("delivery.timeout.ms") != 0) props.erase("message.timeout.ms");
  for (const auto& [k, v] : options.properties) props[k] = v;
  MS_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, BuildConf(props));
  std::chrono::milliseconds message_timeout = options.delivery_timeout;
  if (auto set = ConfInt(conf, "message.timeout.ms")) {
    message_timeout = std::chrono::milliseconds(*set);
  }
  const auto max_message_bytes =
      static_cast<size_t>(ConfInt(conf, "message.max.bytes").value_or(1'000'000));
  rd_kafka_conf_set_dr_msg_cb(conf, OnDelivery);
  auto send_failures = std::make_unique<std::atomic<int64_t>>(0);
  rd_kafka_conf_set_opaque(conf, send_failures.get());
  MS_ASSIGN_OR_RETURN(OwnedHandle rk, NewHandle(RD_KAFKA_PRODUCER, conf, "kafka producer"));
  return std::unique_ptr<Producer>(
      new Producer(std::move(rk), std::move(send_failures), message_timeout, max_message_bytes));
}

Producer::~Producer() {
  if (rk_) rd_kafka_flush(rk_.get(), 10000);
}

rd_kafka_resp_err_t Producer::Enqueue(const OutMessage& message, void* opaque) {
  rd_kafka_headers_t* hdrs = rd_kafka_headers_new(message.headers.size());
  for (const Header& h : message.headers) {
    rd_kafka_header_add(hdrs, h.key.data(), static_cast<ssize_t>(h.key.size()), h.value.data(),
                        static_cast<ssize_t>(h.value.size()));
  }
  rd_kafka_resp_err_t err = rd_kafka_producev(
      rk_.get(), RD_KAFKA_V_TOPIC(message.topic.c_str()), RD_KAFKA_V_PARTITION(message.partition),
      RD_KAFKA_V_KEY(message.key.data(), message.key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(message.value.data()), message.value.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_OPAQUE(opaque),
      RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_headers_destroy(hdrs);
  return err;
}

std::vector<Status> Producer::ProduceAndWait(const std::vector<OutMessage>& messages,
                                             std::chrono::milliseconds wait) {
  auto batch = std::make_shared<DeliveryBatch>();
  batch->results.assign(messages.size(), DeadlineExceeded("kafka delivery: not acknowledged"));
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (size_t idx = 0; idx < messages.size(); ++idx) {
    auto* ticket = new Ticket{batch, idx};
    rd_kafka_resp_err_t err;
    while ((err = Enqueue(messages[idx], ticket)) == RD_KAFKA_RESP_ERR__QUEUE_FULL &&
           std::chrono::steady_clock::now() < deadline) {
      rd_kafka_poll(rk_.get(), 10);
    }
    std::lock_guard lock(batch->mu);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++batch->pending;
    } else {
      batch->results[idx] = FromKafkaError(err, "kafka produce");
      delete ticket;
    }
  }
  while (std::chrono::steady_clock::now() < deadline) {
    {
      std::lock_guard lock(batch->mu);
      if (batch->pending == 0) break;
    }
    rd_kafka_poll(rk_.get(), 10);
  }
  std::lock_guard lock(batch->mu);
  return batch->results;
}

Status Producer::Send(const OutMessage& message) {
  rd_kafka_resp_err_t err;
  while ((err = Enqueue(message, nullptr)) == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
    rd_kafka_poll(rk_.get(), 50);
  }
  rd_kafka_poll(rk_.get(), 0);
  return FromKafkaError(err, "kafka produce");
}

Status Producer::Flush(std::chrono::milliseconds wait) {
  rd_kafka_resp_err_t err = rd_kafka_flush(rk_.get(), static_cast<int>(wait.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return FromKafkaError(err, "kafka flush (" + std::to_string(rd_kafka_outq_len(rk_.get())) +
                                   " messages still queued)");
  }
  int64_t failed = send_failures_->exchange(0);
  if (failed > 0)
    return Unavailable("kafka: " + std::to_string(failed) + " messages not delivered");
  return Status::Ok();
}

Status Producer::PingBrokers(std::chrono::milliseconds wait) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk_.get(), 0, nullptr, &md, static_cast<int>(wait.count()));
  if (md != nullptr) rd_kafka_metadata_destroy(md);
  if (err) return Unavailable(rd_kafka_err2str(err));
  return Status::Ok();
}

}  // namespace ms::kafka
