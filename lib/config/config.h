// The daemon's typed, immutable configuration: loaded once at startup, validated, then shared
// read-only by every worker (hold it as `const Config` or `std::shared_ptr<const Config>`).
//
// Every key, its type, default, range and documentation live in ONE table (config_keys.cc);
// the YAML loader, the MILESTONE_* environment overrides, validation, docs/configuration.md
// and config.yaml are all driven from or checked against it. The member initializers below
// repeat the table's defaults so a default-constructed section is usable in tests; a unit test
// keeps the two identical.
//
// Precedence, lowest first: table defaults < config file < MILESTONE_* environment <
// secret files (`*_file`) < $CREDENTIALS_DIRECTORY (systemd LoadCredential). See
// docs/configuration.md.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/environment.h"
#include "config/secret.h"
#include "core/status.h"

namespace ms {

// Enum values are indices into the matching k...Names array (the table's allowed spellings).
enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError };
inline constexpr std::array<std::string_view, 5> kLogLevelNames = {"trace", "debug", "info", "warn",
                                                                   "error"};
enum class LogFormat { kText, kJson };
inline constexpr std::array<std::string_view, 2> kLogFormatNames = {"text", "json"};
// kAuto never survives Config::Load: it is resolved to the first provider whose conventional
// API key variable is set, else kRules (see docs/configuration.md).
enum class LlmProvider { kAuto, kRules, kOpenAi, kGemini, kAnthropic };
inline constexpr std::array<std::string_view, 5> kLlmProviderNames = {"auto", "rules", "openai",
                                                                      "gemini", "anthropic"};

// What reaches the model: every message the prefilter keeps, or (tiered) only those the
// offline rules are not sure of (pipeline/extract/tiered_extractor.h).
enum class LlmMode { kModel, kTiered };
inline constexpr std::array<std::string_view, 2> kLlmModeNames = {"model", "tiered"};

// How prompts reach the provider: one call each (sync), or as provider batch jobs answered
// within hours at a discount (pipeline/extract/job_extractor.h).
enum class LlmSubmit { kSync, kBatch };
inline constexpr std::array<std::string_view, 2> kLlmSubmitNames = {"sync", "batch"};

inline std::string_view LogLevelName(LogLevel v) {
  return kLogLevelNames[static_cast<int>(v)];
}
inline std::string_view LogFormatName(LogFormat v) {
  return kLogFormatNames[static_cast<int>(v)];
}
inline std::string_view LlmProviderName(LlmProvider v) {
  return kLlmProviderNames[static_cast<int>(v)];
}

using StringMap = std::map<std::string, std::string>;

struct ServiceConfig {
  std::string instance_id;  // empty = derive from the host name at startup
  bool operator==(const ServiceConfig&) const = default;
};

struct LogConfig {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kText;
  std::string file;  // empty = stderr
  bool operator==(const LogConfig&) const = default;
};

// librdkafka properties passed through verbatim, after the ones milestoned sets itself.
struct KafkaClientConfig {
  StringMap properties;
  bool operator==(const KafkaClientConfig&) const = default;
};

struct KafkaConfig {
  std::string brokers = "127.0.0.1:9092";
  std::string group_id = "milestoned";
  std::vector<std::string> topics = {"slack-messages", "gmail-messages"};
  std::string dlq_topic = "milestoned.dlq";
  std::string events_topic = "milestoned.events";  // empty = relay only to the webhook
  std::chrono::milliseconds poll_timeout = std::chrono::milliseconds(100);
  std::chrono::milliseconds commit_interval = std::chrono::seconds(1);
  int prefetch_kbytes = 8192;  // librdkafka queued.max.messages.kbytes: the consumer's read-ahead
  KafkaClientConfig consumer;
  KafkaClientConfig producer;
  Secret sasl_password;            // sasl.password of every Kafka client, from a file or credential
  std::string sasl_password_file;  // kept for --print-config
  bool create_topics = true;
  int topic_partitions = 6;
  bool operator==(const KafkaConfig&) const = default;
};

struct PostgresConfig {
  std::string dsn = "host=127.0.0.1 port=5432 dbname=milestoned user=milestoned";
  Secret password;            // resolved: password_file has already been read into it
  std::string password_file;  // kept for --print-config
  int pool_size = 4;
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(5);
  bool migrate_on_start = true;
  bool operator==(const PostgresConfig&) const = default;
};

struct RedisConfig {
  std::string host = "127.0.0.1";
  int port = 6379;
  Secret password;
  std::string password_file;
  int db = 0;
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(2);
  std::string key_prefix = "ms";
  bool operator==(const RedisConfig&) const = default;
};

struct IngestConfig {
  int max_message_bytes = 1048576;
  int max_text_chars = 100000;
  int max_json_depth = 32;
  std::string default_company;  // empty = reject messages without a company to the DLQ
  bool operator==(const IngestConfig&) const = default;
};

struct BatchConfig {
  int threshold = 200;
  std::chrono::milliseconds max_age = std::chrono::minutes(10);
  std::chrono::milliseconds sweep_interval = std::chrono::seconds(5);
  int queue_capacity = 64;
  bool operator==(const BatchConfig&) const = default;
};

// USD per million tokens, for cost accounting.
struct ModelPrice {
  double input_per_mtok = 0;
  double output_per_mtok = 0;
  // Input read from the provider's prompt cache. Unset: priced as plain input (no discount is
  // assumed unless configured).
  std::optional<double> cached_input_per_mtok = std::nullopt;
  // What a provider batch job (llm.submit: batch) costs, as a fraction of the prices above.
  double batch_multiplier = 0.5;
  bool operator==(const ModelPrice&) const = default;

  double CachedInputRate() const { return cached_input_per_mtok.value_or(input_per_mtok); }
};

struct LlmConfig {
  LlmProvider provider = LlmProvider::kAuto;  // never kAuto after Config::Load
  LlmMode mode = LlmMode::kModel;
  LlmSubmit submit = LlmSubmit::kSync;
  std::chrono::milliseconds batch_poll_interval = std::chrono::seconds(60);
  std::string model;          // empty = the provider's default model
  std::string base_url;       // empty = the provider's public endpoint
  std::string base_url_file;  // a file holding base_url (it may carry a password)
  Secret api_key;
  std::string api_key_file;
  std::chrono::milliseconds timeout = std::chrono::seconds(60);
  int max_concurrency = 2;
  int requests_per_minute = 60;
  int tokens_per_minute = 100000;
  int max_retries = 4;
  int batch_attempts = 5;
  std::chrono::milliseconds batch_retry_delay = std::chrono::seconds(30);
  bool redact_pii = true;
  bool prefilter = true;
  int max_batch_tokens = 24000;
  std::map<std::string, ModelPrice> prices;  // model name -> price
  bool operator==(const LlmConfig&) const = default;
};

struct OutboxConfig {
  std::chrono::milliseconds poll_interval = std::chrono::seconds(1);
  int batch_size = 100;
  std::chrono::milliseconds retention = std::chrono::hours(168);
  std::string webhook_url;       // empty = no webhook
  std::string webhook_url_file;  // a file holding webhook_url (it may carry a password)
  Secret webhook_secret;
  std::string webhook_secret_file;
  bool operator==(const OutboxConfig&) const = default;
};

struct EventsConfig {
  std::chrono::milliseconds stale_after = std::chrono::hours(720);
  // Milestones from KPI series (pipeline/ledger/milestones.h): per-metric ladders replacing the
  // defaults ("arr: 1M,2M,5M"; "none" = no ladder), growth over a window.
  StringMap ladders;
  int growth_threshold_pct = 50;
  std::chrono::milliseconds growth_window = std::chrono::hours(24 * 90);
  bool operator==(const EventsConfig&) const = default;
};

struct HttpConfig {
  std::string listen = "127.0.0.1";
  int port = 9464;         // 0 = no HTTP server
  Secret token;            // bearer token of the /v1 read API; required beyond loopback
  std::string token_file;  // kept for --print-config
  bool operator==(const HttpConfig&) const = default;
};

struct ShutdownConfig {
  std::chrono::milliseconds timeout = std::chrono::seconds(30);
  bool operator==(const ShutdownConfig&) const = default;
};

struct Config {
  ServiceConfig service;
  LogConfig log;
  KafkaConfig kafka;
  PostgresConfig postgres;
  RedisConfig redis;
  IngestConfig ingest;
  BatchConfig batch;
  LlmConfig llm;
  OutboxConfig outbox;
  EventsConfig events;
  HttpConfig http;
  ShutdownConfig shutdown;

  bool operator==(const Config&) const = default;

  // Reads the YAML file at `path` (empty path = no file: defaults plus environment), applies
  // the environment, reads secret files, resolves llm.provider and validates. On failure the
  // Status (NotFound for an unreadable file, InvalidArgument otherwise) carries ONE line
  // starting "config: " that names the key or variable, the offending value (never a secret)
  // and the expected form. Never throws.
  static StatusOr<Config> Load(const std::string& path, const Environment& env);
  // As Load, from YAML text; `origin` names the text in error locations.
  static StatusOr<Config> FromYamlString(const std::string& yaml, const Environment& env,
                                         const std::string& origin = "");
  static StatusOr<Config> FromYamlString(const std::string& yaml) {
    return FromYamlString(yaml, Environment::Empty());
  }

  // The effective configuration as YAML, every key included, secrets shown as "***" with a
  // comment saying where they came from. For `milestoned --print-config`.
  std::string Describe() const;
};

// docs/configuration.md's key reference: a markdown table with one row per key
// (key, type, default, environment variable, description).
std::string RenderConfigReference();

// A complete config file with every key at its default and its documentation as a comment.
std::string RenderDefaultYaml();

}  // namespace ms
