#include "adapters/kafka/admin.h"

namespace ms::kafka {
namespace {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* ev) const { rd_kafka_event_destroy(ev); }
};

}  // namespace

Status EnsureTopics(const std::string& brokers, const Properties& props,
                    const std::vector<TopicSpec>& topics, std::chrono::milliseconds wait) {
  Properties all = props;
  all["bootstrap.servers"] = brokers;
  MS_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, BuildConf(all));
  char errstr[512];
  rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (raw == nullptr) {
    rd_kafka_conf_destroy(conf);
    return InvalidArgument(std::string("kafka admin: ") + errstr);
  }
  OwnedHandle rk(raw);
  std::vector<rd_kafka_NewTopic_t*> specs;
  for (const TopicSpec& t : topics) {
    specs.push_back(rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, t.replication_factor,
                                          errstr, sizeof errstr));
  }
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(raw));
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(raw, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(opts, static_cast<int>(wait.count()), errstr,
                                              sizeof errstr);
  rd_kafka_CreateTopics(raw, specs.data(), specs.size(), opts, queue.get());
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_NewTopic_destroy_array(specs.data(), specs.size());

  std::unique_ptr<rd_kafka_event_t, EventDeleter> ev(
      rd_kafka_queue_poll(queue.get(), static_cast<int>(wait.count()) + 1000));
  if (!ev) return DeadlineExceeded("kafka admin: CreateTopics timed out");
  if (rd_kafka_event_error(ev.get())) {
    return FromKafkaError(rd_kafka_event_error(ev.get()), "kafka CreateTopics");
  }
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev.get()), &count);
  for (size_t idx = 0; idx < count; ++idx) {
    rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[idx]);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      return FromKafkaError(
          err, std::string("kafka create topic ") + rd_kafka_topic_result_name(results[idx]));
    }
  }
  return Status::Ok();
}

}  // namespace ms::kafka
