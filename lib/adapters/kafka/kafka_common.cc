#include "adapters/kafka/kafka_common.h"

namespace ms::kafka {

StatusOr<rd_kafka_conf_t*> BuildConf(const Properties& props) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  for (const auto& [name, value] : props) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return InvalidArgument("kafka property '" + name + "' rejected: " + errstr);
    }
  }
  return conf;
}

StatusOr<OwnedHandle> NewHandle(rd_kafka_type_t type, rd_kafka_conf_t* conf,
                                std::string_view what) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);  // on success the handle owns it
    return InvalidArgument(std::string(what) + ": " + errstr);
  }
  return OwnedHandle(rk);
}

std::vector<TopicPartition> ToVector(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  if (list == nullptr) return out;
  out.reserve(list->cnt);
  for (int idx = 0; idx < list->cnt; ++idx) {
    out.push_back({list->elems[idx].topic, list->elems[idx].partition});
  }
  return out;
}

OwnedPartitionList ToList(const std::vector<TopicPartition>& parts) {
  OwnedPartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(parts.size())));
  for (const auto& tp : parts) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
  }
  return list;
}

std::vector<PartitionKey> ToKeys(std::vector<TopicPartition> parts) {
  std::vector<PartitionKey> out;
  out.reserve(parts.size());
  for (auto& tp : parts) out.emplace_back(std::move(tp.topic), tp.partition);
  return out;
}

std::vector<TopicPartition> ToTopicPartitions(const std::vector<PartitionKey>& parts) {
  std::vector<TopicPartition> out;
  out.reserve(parts.size());
  for (const auto& [topic, partition] : parts) out.push_back({topic, partition});
  return out;
}

std::string_view KeyOf(const rd_kafka_message_t* msg) {
  if (msg->key == nullptr) return {};
  return {static_cast<const char*>(msg->key), msg->key_len};
}

std::string_view ValueOf(const rd_kafka_message_t* msg) {
  if (msg->payload == nullptr) return {};
  return {static_cast<const char*>(msg->payload), msg->len};
}

std::string TopicOf(const rd_kafka_message_t* msg) {
  return msg->rkt ? rd_kafka_topic_name(msg->rkt) : "";
}

std::vector<Header> HeadersOf(const rd_kafka_message_t* msg) {
  std::vector<Header> out;
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(msg, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  const char* name;
  const void* value;
  size_t size;
  for (size_t idx = 0;
       rd_kafka_header_get_all(hdrs, idx, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
       ++idx) {
    out.push_back({name, value ? std::string(static_cast<const char*>(value), size) : ""});
  }
  return out;
}

Status FromKafkaError(rd_kafka_resp_err_t err, std::string_view context) {
  std::string msg = std::string(context) + ": " + rd_kafka_err2str(err);
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return Status::Ok();
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
      return DeadlineExceeded(msg);
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return ResourceExhausted(msg);
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return InvalidArgument(msg);
    case RD_KAFKA_RESP_ERR__FATAL:
      return FailedPrecondition(msg);
    default:
      return Unavailable(msg);
  }
}

}  // namespace ms::kafka
