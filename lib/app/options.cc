#include "app/options.h"

namespace ms::app {

pg::PgOptions PgOptionsFrom(const Config& config) {
  pg::PgOptions out;
  out.dsn = config.postgres.dsn;
  out.password = config.postgres.password.Reveal();
  out.pool_size = config.postgres.pool_size;
  out.connect_timeout = config.postgres.connect_timeout;
  return out;
}

redis::RedisOptions RedisOptionsFrom(const Config& config) {
  redis::RedisOptions out;
  out.host = config.redis.host;
  out.port = config.redis.port;
  out.password = config.redis.password.Reveal();
  out.db = config.redis.db;
  out.connect_timeout = config.redis.connect_timeout;
  return out;
}

namespace {

kafka::Properties WithSaslPassword(kafka::Properties properties, const Config& config) {
  if (!config.kafka.sasl_password.empty()) {
    properties["sasl.password"] = config.kafka.sasl_password.Reveal();
  }
  return properties;
}

}  // namespace

kafka::Properties ConsumerPropertiesFrom(const Config& config) {
  return WithSaslPassword(config.kafka.consumer.properties, config);
}

kafka::Properties ProducerPropertiesFrom(const Config& config) {
  return WithSaslPassword(config.kafka.producer.properties, config);
}

kafka::ConsumerOptions ConsumerOptionsFrom(const Config& config) {
  kafka::ConsumerOptions out;
  out.brokers = config.kafka.brokers;
  out.group_id = config.kafka.group_id;
  out.topics = config.kafka.topics;
  out.properties = ConsumerPropertiesFrom(config);
  out.commit_interval = config.kafka.commit_interval;
  out.prefetch_kbytes = config.kafka.prefetch_kbytes;
  return out;
}

kafka::ProducerOptions ProducerOptionsFrom(const Config& config) {
  kafka::ProducerOptions out;
  out.brokers = config.kafka.brokers;
  out.properties = ProducerPropertiesFrom(config);
  return out;
}

DecodeLimits DecodeLimitsFrom(const Config& config) {
  DecodeLimits out;
  out.max_message_bytes = static_cast<size_t>(config.ingest.max_message_bytes);
  out.max_text_chars = static_cast<size_t>(config.ingest.max_text_chars);
  out.max_json_depth = config.ingest.max_json_depth;
  out.default_company = config.ingest.default_company;
  return out;
}

llm::LlmClientOptions LlmClientOptionsFrom(const Config& config) {
  llm::LlmClientOptions out;
  out.provider = std::string(LlmProviderName(config.llm.provider));
  out.base_url = config.llm.base_url;
  out.model = config.llm.model;
  out.api_key = config.llm.api_key.Reveal();
  return out;
}

LlmCallOptions LlmCallOptionsFrom(const Config& config) {
  LlmCallOptions out;
  out.max_concurrency = config.llm.max_concurrency;
  out.requests_per_minute = config.llm.requests_per_minute;
  out.tokens_per_minute = config.llm.tokens_per_minute;
  out.max_retries = config.llm.max_retries;
  out.call_deadline = config.llm.timeout;
  return out;
}

MilestoneRules MilestoneRulesFrom(const Config& config) {
  MilestoneRules rules = MilestoneRules::Defaults();
  for (const auto& [metric, text] : config.events.ladders) {
    auto rungs =
        text == "none" ? StatusOr<std::vector<double>>(std::vector<double>{}) : ParseLadder(text);
    rules.ladders[metric] = rungs.ok() ? *rungs : std::vector<double>{};  // validated at load
  }
  rules.growth_pct = config.events.growth_threshold_pct;
  rules.growth_window = config.events.growth_window;
  return rules;
}

}  // namespace ms::app
