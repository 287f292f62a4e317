#include "adapters/kafka/admin.h"

#include <algorithm>
#include <memory>

namespace ms::kafka {
namespace {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* ev) const { rd_kafka_event_destroy(ev); }
};
struct TopicDeleter {
  void operator()(rd_kafka_topic_t* topic) const { rd_kafka_topic_destroy(topic); }
};
struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* md) const { rd_kafka_metadata_destroy(md); }
};

// The partition ids of `topic`, from a metadata request for it alone.
StatusOr<std::vector<int32_t>> PartitionsOf(rd_kafka_t* rk, const std::string& topic,
                                            std::chrono::milliseconds wait) {
  std::unique_ptr<rd_kafka_topic_t, TopicDeleter> handle(
      rd_kafka_topic_new(rk, topic.c_str(), nullptr));
  if (!handle) return InvalidArgument("kafka: bad topic name " + topic);
  const rd_kafka_metadata_t* raw = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, 0, handle.get(), &raw, static_cast<int>(wait.count()));
  if (err) return FromKafkaError(err, "kafka metadata of " + topic);
  std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter> md(raw);
  if (md->topic_cnt != 1 || md->topics[0].err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
    return NotFound("kafka: topic " + topic + " does not exist");
  }
  if (md->topics[0].err) return FromKafkaError(md->topics[0].err, "kafka metadata of " + topic);
  std::vector<int32_t> out;
  for (int idx = 0; idx < md->topics[0].partition_cnt; ++idx) {
    out.push_back(md->topics[0].partitions[idx].id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Status EnsureTopics(const std::string& brokers, const Properties& props,
                    const std::vector<TopicSpec>& topics, std::chrono::milliseconds wait) {
  Properties all = props;
  all["bootstrap.servers"] = brokers;
  MS_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, BuildConf(all));
  MS_ASSIGN_OR_RETURN(OwnedHandle rk, NewHandle(RD_KAFKA_PRODUCER, conf, "kafka admin"));
  rd_kafka_t* raw = rk.get();
  char errstr[512];
  std::vector<rd_kafka_NewTopic_t*> specs;
  for (const TopicSpec& t : topics) {
    specs.push_back(rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, t.replication_factor,
                                          errstr, sizeof errstr));
    for (const auto& [name, value] : t.configs) {
      rd_kafka_NewTopic_set_config(specs.back(), name.c_str(), value.c_str());
    }
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

StatusOr<std::vector<PartitionLag>> GroupLags(const std::string& brokers, const Properties& props,
                                              const std::string& group_id,
                                              const std::vector<std::string>& topics,
                                              std::chrono::milliseconds wait) {
  Properties all = props;
  all["bootstrap.servers"] = brokers;
  all["group.id"] = group_id;
  all["enable.auto.commit"] = "false";  // it never consumes; make sure it never commits either
  MS_ASSIGN_OR_RETURN(rd_kafka_conf_t * conf, BuildConf(all));
  MS_ASSIGN_OR_RETURN(OwnedHandle rk, NewHandle(RD_KAFKA_CONSUMER, conf, "kafka consumer"));
  rd_kafka_t* raw = rk.get();
  OwnedPartitionList list(rd_kafka_topic_partition_list_new(0));
  for (const std::string& topic : topics) {
    MS_ASSIGN_OR_RETURN(std::vector<int32_t> partitions, PartitionsOf(raw, topic, wait));
    for (int32_t partition : partitions) {
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), partition);
    }
  }
  const int wait_ms = static_cast<int>(wait.count());
  rd_kafka_resp_err_t err = rd_kafka_committed(raw, list.get(), wait_ms);
  if (err) return FromKafkaError(err, "kafka committed offsets of group " + group_id);
  std::vector<PartitionLag> out;
  for (int idx = 0; idx < list->cnt; ++idx) {
    const rd_kafka_topic_partition_t& elem = list->elems[idx];
    if (elem.err) return FromKafkaError(elem.err, "kafka committed offset");
    PartitionLag lag;
    lag.tp = {elem.topic, elem.partition};
    lag.committed = std::max<int64_t>(elem.offset, -1);  // RD_KAFKA_OFFSET_INVALID: none
    err = rd_kafka_query_watermark_offsets(raw, elem.topic, elem.partition, &lag.low_watermark,
                                           &lag.high_watermark, wait_ms);
    if (err) return FromKafkaError(err, std::string("kafka watermarks of ") + elem.topic);
    out.push_back(std::move(lag));
  }
  return out;
}

}  // namespace ms::kafka
