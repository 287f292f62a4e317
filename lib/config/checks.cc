// Checks that span keys or guard invariants; single-key types and ranges are in the table.
#include <algorithm>
#include <array>
#include <cctype>

#include "config/config_values.h"
#include "config/layers.h"
#include "core/net.h"
#include "pipeline/ledger/metric_vocab.h"
#include "pipeline/ledger/milestones.h"

namespace ms::config {
namespace {

Status Fail(std::string_view path, const std::string& message) {
  return InvalidArgument("config: " + std::string(path) + ": " + message);
}

bool IsNameChar(char ch) {
  return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '_' || ch == '-';
}

Status CheckTopicName(std::string_view path, const std::string& topic) {
  const bool valid = !topic.empty() && topic.size() <= 249 && topic != "." && topic != ".." &&
                     std::all_of(topic.begin(), topic.end(), IsNameChar);
  if (valid) return Status::Ok();
  return Fail(path, QuoteForError(topic) +
                        " is not a valid topic name (expected 1-249 characters from a-z, A-Z, "
                        "0-9, '.', '_', '-')");
}

Status CheckTopics(const KafkaConfig& kafka) {
  for (const std::string& topic : kafka.topics) {
    MS_RETURN_IF_ERROR(CheckTopicName("kafka.topics", topic));
    if (std::count(kafka.topics.begin(), kafka.topics.end(), topic) > 1) {
      return Fail("kafka.topics", QuoteForError(topic) + " is listed twice");
    }
  }
  MS_RETURN_IF_ERROR(CheckTopicName("kafka.dlq_topic", kafka.dlq_topic));
  if (!kafka.events_topic.empty()) {
    MS_RETURN_IF_ERROR(CheckTopicName("kafka.events_topic", kafka.events_topic));
  }
  for (const auto& [path, topic] : {std::pair{"kafka.dlq_topic", &kafka.dlq_topic},
                                    std::pair{"kafka.events_topic", &kafka.events_topic}}) {
    if (std::find(kafka.topics.begin(), kafka.topics.end(), *topic) != kafka.topics.end()) {
      return Fail(path, QuoteForError(*topic) +
                            " is also an input topic (expected a topic milestoned does not "
                            "consume)");
    }
  }
  if (kafka.dlq_topic == kafka.events_topic) {
    return Fail("kafka.events_topic", "is the same topic as kafka.dlq_topic");
  }
  return Status::Ok();
}

struct Reserved {
  std::string_view path;
  std::string_view property;
  std::string_view reason;
};

// librdkafka properties that would bypass a setting or break an invariant (design §4.1).
constexpr std::array<Reserved, 6> kReservedProperties = {{
    {"kafka.consumer.properties", "bootstrap.servers", "use kafka.brokers"},
    {"kafka.consumer.properties", "group.id", "use kafka.group_id"},
    {"kafka.consumer.properties", "enable.auto.commit",
     "offsets are committed only once messages are durable"},
    {"kafka.consumer.properties", "enable.auto.offset.store",
     "offsets are stored only once messages are durable"},
    {"kafka.producer.properties", "bootstrap.servers", "use kafka.brokers"},
    {"kafka.producer.properties", "enable.idempotence", "the events producer is idempotent"},
}};

Status CheckKafkaProperties(const KafkaConfig& kafka) {
  for (const Reserved& reserved : kReservedProperties) {
    const StringMap& properties = reserved.path == "kafka.consumer.properties"
                                      ? kafka.consumer.properties
                                      : kafka.producer.properties;
    if (properties.count(std::string(reserved.property)) == 0) continue;
    return Fail(reserved.path, QuoteForError(reserved.property) + " is managed by milestoned (" +
                                   std::string(reserved.reason) + ")");
  }
  return Status::Ok();
}

// True for "password=..." (also sslpassword) in a conninfo string or URI query, and for
// "scheme://user:secret@host" in a URI.
bool DsnHasPassword(std::string dsn) {
  std::transform(dsn.begin(), dsn.end(), dsn.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  for (size_t at = dsn.find("password"); at != std::string::npos;
       at = dsn.find("password", at + 1)) {
    const size_t next = dsn.find_first_not_of(' ', at + 8);
    if (next != std::string::npos && dsn[next] == '=') return true;
  }
  const size_t scheme = dsn.find("://");
  if (scheme == std::string::npos) return false;
  const std::string authority = dsn.substr(scheme + 3, dsn.find('/', scheme + 3) - scheme - 3);
  const size_t at = authority.rfind('@');
  return at != std::string::npos && authority.substr(0, at).find(':') != std::string::npos;
}

Status CheckLadders(const EventsConfig& events) {
  for (const auto& [metric, text] : events.ladders) {
    const std::string key = "events.ladders." + metric;
    if (FindMetric(metric) == nullptr) {
      return Fail(key, QuoteForError(metric) +
                           " is not a metric (expected one of the vocabulary in "
                           "docs/architecture.md, e.g. arr, mrr, dau)");
    }
    if (text == "none") continue;
    auto rungs = ParseLadder(text);
    if (!rungs.ok() || rungs->empty()) {
      return Fail(key, QuoteForError(text) +
                           " is not a ladder (expected ascending amounts such as \"1M,2M,5M\", or "
                           "\"none\")");
    }
  }
  return Status::Ok();
}

Status CheckStores(const Config& config) {
  if (DsnHasPassword(config.postgres.dsn)) {
    // The DSN itself is not echoed: it holds a password.
    return Fail("postgres.dsn",
                "contains a password (expected it in postgres.password, "
                "postgres.password_file or a credential)");
  }
  const std::string& prefix = config.redis.key_prefix;
  if (!std::all_of(prefix.begin(), prefix.end(), IsNameChar)) {
    return Fail("redis.key_prefix", QuoteForError(prefix) +
                                        " has characters that would break key hash tags "
                                        "(expected a-z, A-Z, 0-9, '.', '_', '-')");
  }
  return Status::Ok();
}

Status CheckUrl(std::string_view path, const std::string& url) {
  if (url.empty() || url.starts_with("http://") || url.starts_with("https://")) {
    return Status::Ok();
  }
  return Fail(path, QuoteForError(WithoutUrlPassword(url)) +
                        " is not a URL (expected http://... or https://...)");
}

Status CheckLlm(const Config& config) {
  if (config.llm.mode == LlmMode::kTiered && config.llm.provider == LlmProvider::kRules) {
    return Fail("llm.mode",
                "is tiered but llm.provider is rules (expected an LLM provider for the messages "
                "the rules are not sure of, or llm.mode: model)");
  }
  if (config.llm.submit == LlmSubmit::kBatch && config.llm.provider == LlmProvider::kRules) {
    return Fail("llm.submit",
                "is batch but llm.provider is rules (expected an LLM provider with a batch API: "
                "openai, gemini or anthropic, or llm.submit: sync)");
  }
  return Status::Ok();
}

Status CheckOutput(const Config& config) {
  MS_RETURN_IF_ERROR(CheckUrl("llm.base_url", config.llm.base_url));
  MS_RETURN_IF_ERROR(CheckUrl("outbox.webhook_url", config.outbox.webhook_url));
  if (!config.outbox.webhook_url.empty() && config.outbox.webhook_secret.empty()) {
    return Fail("outbox.webhook_secret",
                "not set but outbox.webhook_url is (expected a signing secret in "
                "outbox.webhook_secret, outbox.webhook_secret_file or a credential)");
  }
  if (config.outbox.webhook_url.empty() && config.kafka.events_topic.empty()) {
    return Fail("kafka.events_topic",
                "empty while outbox.webhook_url is empty too (expected at least one place to "
                "publish events)");
  }
  if (config.http.port != 0 && !IsLoopbackHost(config.http.listen) && config.http.token.empty()) {
    return Fail("http.token",
                "not set but http.listen (" + QuoteForError(config.http.listen) +
                    ") is not a loopback address (expected a bearer token for the read API in "
                    "http.token_file or the http.token credential)");
  }
  if (config.batch.sweep_interval > config.batch.max_age) {
    return Fail("batch.sweep_interval", "is longer than batch.max_age (expected at most " +
                                            FormatValue(*FindKey("batch.max_age"), config) + ")");
  }
  return Status::Ok();
}

}  // namespace

Status CheckConfig(const Config& config) {
  MS_RETURN_IF_ERROR(CheckTopics(config.kafka));
  MS_RETURN_IF_ERROR(CheckKafkaProperties(config.kafka));
  MS_RETURN_IF_ERROR(CheckStores(config));
  MS_RETURN_IF_ERROR(CheckLadders(config.events));
  MS_RETURN_IF_ERROR(CheckLlm(config));
  return CheckOutput(config);
}

}  // namespace ms::config
