// THE configuration table. To add a key: add a member (with its default) to config.h, add a
// row here, regenerate docs/configuration.md's table and add the key to config.yaml — the
// unit tests fail until all three agree.
#include "config/config_keys.h"

#include <algorithm>
#include <cctype>

namespace ms::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr hours kDays(int days) {
  return hours(24 * days);
}

KeySpec String(std::string_view path, FieldRef<std::string> field, std::string_view def,
               int64_t min_length, std::string_view doc) {
  return {path, KeyType::kString, field, def, doc, min_length, 0};
}
KeySpec Path(std::string_view path, FieldRef<std::string> field, std::string_view doc) {
  return {path, KeyType::kPath, field, "", doc};
}
KeySpec SecretKey(std::string_view path, FieldRef<Secret> field, std::string_view doc) {
  return {path, KeyType::kSecret, field, "", doc};
}
KeySpec Enum(std::string_view path, EnumField field, std::span<const std::string_view> choices,
             std::string_view def, std::string_view doc) {
  return {path, KeyType::kEnum, field, def, doc, 0, 0, choices};
}
KeySpec Bool(std::string_view path, FieldRef<bool> field, std::string_view def,
             std::string_view doc) {
  return {path, KeyType::kBool, field, def, doc};
}
KeySpec Int(std::string_view path, FieldRef<int> field, std::string_view def, int64_t min,
            int64_t max, std::string_view doc) {
  return {path, KeyType::kInt, field, def, doc, min, max};
}
KeySpec Duration(std::string_view path, FieldRef<milliseconds> field, std::string_view def,
                 milliseconds min, milliseconds max, std::string_view doc) {
  return {path, KeyType::kDuration, field, def, doc, min.count(), max.count()};
}
KeySpec List(std::string_view path, FieldRef<std::vector<std::string>> field, std::string_view def,
             int64_t min_items, std::string_view doc) {
  return {path, KeyType::kList, field, def, doc, min_items, 0};
}
KeySpec Map(std::string_view path, FieldRef<StringMap> field, std::string_view doc) {
  return {path, KeyType::kMap, field, "", doc};
}
KeySpec Prices(std::string_view path, FieldRef<PriceMap> field, std::string_view doc) {
  return {path, KeyType::kPrices, field, "", doc};
}

#define MS_FIELD(member)    \
  [](Config & c) -> auto& { \
    return c.member;        \
  }
#define MS_ENUM_FIELD(member, EnumType)                               \
  EnumField {                                                         \
    [](const Config& c) { return static_cast<int>(c.member); },       \
        [](Config& c, int v) { c.member = static_cast<EnumType>(v); } \
  }

std::vector<KeySpec> ServiceAndLogKeys() {
  return {
      String("service.instance_id", MS_FIELD(service.instance_id), "", 0,
             "Name of this instance in logs, metrics and batch claims; empty = the host name."),
      Enum("log.level", MS_ENUM_FIELD(log.level, LogLevel), kLogLevelNames, "info",
           "Least severe level written. Message bodies are logged only at debug and below."),
      Enum("log.format", MS_ENUM_FIELD(log.format, LogFormat), kLogFormatNames, "text",
           "text = human-readable lines; json = one JSON object per line."),
      Path("log.file", MS_FIELD(log.file),
           "Log file path (reopened on SIGHUP); empty = stderr (the journal under systemd)."),
  };
}

std::vector<KeySpec> KafkaKeys() {
  return {
      String("kafka.brokers", MS_FIELD(kafka.brokers), "127.0.0.1:9092", 1,
             "Bootstrap servers, comma-separated host:port."),
      String("kafka.group_id", MS_FIELD(kafka.group_id), "milestoned", 1,
             "Consumer group; every instance of one deployment uses the same group."),
      List("kafka.topics", MS_FIELD(kafka.topics), "slack-messages,gmail-messages", 1,
           "Input topics (Slack and Gmail messages, keyed by company id)."),
      String("kafka.dlq_topic", MS_FIELD(kafka.dlq_topic), "milestoned.dlq", 1,
             "Dead-letter topic for undecodable or invalid messages (reason in headers)."),
      String("kafka.events_topic", MS_FIELD(kafka.events_topic), "milestoned.events", 0,
             "Topic the outbox relay publishes events to; empty = publish only to the webhook."),
      Duration("kafka.poll_timeout", MS_FIELD(kafka.poll_timeout), "100ms", milliseconds(1),
               minutes(1), "Longest a consumer poll waits for messages."),
      Duration("kafka.commit_interval", MS_FIELD(kafka.commit_interval), "1s", milliseconds(10),
               minutes(10), "How often stored offsets (durable messages only) are committed."),
      Int("kafka.prefetch_kbytes", MS_FIELD(kafka.prefetch_kbytes), "8192", 1024, 2097151,
          "Most KiB the consumer fetches ahead of processing (librdkafka "
          "queued.max.messages.kbytes, in fetches of a quarter of it). The main term of the "
          "daemon's memory; kafka.consumer.properties overrides it."),
      Map("kafka.consumer.properties", MS_FIELD(kafka.consumer.properties),
          "Extra librdkafka consumer properties (e.g. security.protocol, sasl.*)."),
      Map("kafka.producer.properties", MS_FIELD(kafka.producer.properties),
          "Extra librdkafka producer properties for the DLQ and events producers."),
      SecretKey("kafka.sasl_password", MS_FIELD(kafka.sasl_password),
                "SASL password (sasl.password) of every Kafka client. Prefer "
                "kafka.sasl_password_file or a credential over a *.properties entry."),
      Path("kafka.sasl_password_file", MS_FIELD(kafka.sasl_password_file),
           "File holding the Kafka SASL password (trailing newline ignored)."),
      Bool("kafka.create_topics", MS_FIELD(kafka.create_topics), "true",
           "Create missing input, DLQ and events topics at startup."),
      Int("kafka.topic_partitions", MS_FIELD(kafka.topic_partitions), "6", 1, 1024,
          "Partition count for topics created by kafka.create_topics."),
  };
}

std::vector<KeySpec> StoreKeys() {
  return {
      String("postgres.dsn", MS_FIELD(postgres.dsn),
             "host=127.0.0.1 port=5432 dbname=milestoned user=milestoned", 0,
             "libpq connection string or URI, without the password."),
      SecretKey("postgres.password", MS_FIELD(postgres.password),
                "Postgres password. Prefer postgres.password_file or a credential."),
      Path("postgres.password_file", MS_FIELD(postgres.password_file),
           "File holding the Postgres password (trailing newline ignored)."),
      Int("postgres.pool_size", MS_FIELD(postgres.pool_size), "4", 1, 64,
          "Connections in the Postgres pool."),
      Duration("postgres.connect_timeout", MS_FIELD(postgres.connect_timeout), "5s", seconds(1),
               minutes(10), "Timeout for establishing one Postgres connection."),
      Bool("postgres.migrate_on_start", MS_FIELD(postgres.migrate_on_start), "true",
           "Apply pending schema migrations at startup."),
      String("redis.host", MS_FIELD(redis.host), "127.0.0.1", 1, "Redis host name or address."),
      Int("redis.port", MS_FIELD(redis.port), "6379", 1, 65535, "Redis TCP port."),
      SecretKey("redis.password", MS_FIELD(redis.password),
                "Redis password (AUTH). Prefer redis.password_file or a credential."),
      Path("redis.password_file", MS_FIELD(redis.password_file),
           "File holding the Redis password (trailing newline ignored)."),
      Int("redis.db", MS_FIELD(redis.db), "0", 0, 15, "Redis database number."),
      Duration("redis.connect_timeout", MS_FIELD(redis.connect_timeout), "2s", milliseconds(10),
               minutes(10), "Timeout for connecting to Redis."),
      String("redis.key_prefix", MS_FIELD(redis.key_prefix), "ms", 1,
             "Prefix of every Redis key (letters, digits, '_', '-', '.')."),
  };
}

std::vector<KeySpec> IngestAndBatchKeys() {
  return {
      Int("ingest.max_message_bytes", MS_FIELD(ingest.max_message_bytes), "1048576", 1024,
          64 * 1024 * 1024, "Larger Kafka payloads go to the DLQ unparsed."),
      Int("ingest.max_text_chars", MS_FIELD(ingest.max_text_chars), "100000", 100, 10000000,
          "Message text longer than this is truncated."),
      Int("ingest.max_json_depth", MS_FIELD(ingest.max_json_depth), "32", 2, 512,
          "Deeper JSON payloads go to the DLQ."),
      String("ingest.default_company", MS_FIELD(ingest.default_company), "", 0,
             "Company for messages with neither a key nor metadata.company_id; empty = DLQ."),
      Int("batch.threshold", MS_FIELD(batch.threshold), "200", 1, 100000,
          "Pending messages of one company that trigger extraction."),
      Duration("batch.max_age", MS_FIELD(batch.max_age), "10m", seconds(1), kDays(30),
               "Extract a smaller batch once its oldest message has waited this long."),
      Duration("batch.sweep_interval", MS_FIELD(batch.sweep_interval), "5s", milliseconds(100),
               hours(1), "How often companies are checked for batches older than max_age."),
      Int("batch.queue_capacity", MS_FIELD(batch.queue_capacity), "64", 1, 100000,
          "Claimed batches queued for extraction before claiming pauses."),
  };
}

std::vector<KeySpec> LlmKeys() {
  return {
      Enum("llm.provider", MS_ENUM_FIELD(llm.provider, LlmProvider), kLlmProviderNames, "auto",
           "Extractor backend. auto = the first of openai, gemini, anthropic whose API key "
           "variable is set, else rules (offline)."),
      Enum("llm.mode", MS_ENUM_FIELD(llm.mode, LlmMode), kLlmModeNames, "model",
           "What reaches the model: model = every message the prefilter keeps; tiered = only "
           "those the offline rules are not sure of (the rules decide the rest). Needs an LLM "
           "provider."),
      Enum("llm.submit", MS_ENUM_FIELD(llm.submit, LlmSubmit), kLlmSubmitNames, "sync",
           "How prompts reach the provider: sync = one call each; batch = as provider batch "
           "jobs (OpenAI Batch, Anthropic Message Batches, Gemini batch mode), answered within "
           "minutes to 24 h at batch_multiplier of the price. Needs an LLM provider."),
      Duration("llm.batch_poll_interval", MS_FIELD(llm.batch_poll_interval), "60s", seconds(1),
               hours(1), "With llm.submit batch: how often a submitted job is polled."),
      String("llm.model", MS_FIELD(llm.model), "", 0, "Model name; empty = provider default."),
      String("llm.base_url", MS_FIELD(llm.base_url), "", 0,
             "API base URL (vLLM, Ollama, LiteLLM, proxies); empty = provider's public API."),
      Path("llm.base_url_file", MS_FIELD(llm.base_url_file),
           "File holding llm.base_url, for a URL that carries a password (trailing newline "
           "ignored)."),
      SecretKey("llm.api_key", MS_FIELD(llm.api_key),
                "Provider API key. Prefer llm.api_key_file, a credential or the provider's "
                "own variable (OPENAI_API_KEY, GEMINI_API_KEY, ANTHROPIC_API_KEY)."),
      Path("llm.api_key_file", MS_FIELD(llm.api_key_file),
           "File holding the API key (trailing newline ignored)."),
      Duration("llm.timeout", MS_FIELD(llm.timeout), "60s", seconds(1), hours(1),
               "Deadline for one LLM call, retries excluded."),
      Int("llm.max_concurrency", MS_FIELD(llm.max_concurrency), "2", 1, 64,
          "LLM calls in flight at once."),
      Int("llm.requests_per_minute", MS_FIELD(llm.requests_per_minute), "60", 1, 1000000,
          "Client-side request rate limit."),
      Int("llm.tokens_per_minute", MS_FIELD(llm.tokens_per_minute), "100000", 1000, 1000000000,
          "Client-side token rate limit (prompt + completion)."),
      Int("llm.max_retries", MS_FIELD(llm.max_retries), "4", 0, 10,
          "Retries of one call on 429/5xx/timeouts, with backoff and jitter."),
      Int("llm.batch_attempts", MS_FIELD(llm.batch_attempts), "5", 1, 100,
          "Attempts of a batch whose calls keep failing transiently (provider down, retries "
          "spent) before it is marked failed."),
      Duration("llm.batch_retry_delay", MS_FIELD(llm.batch_retry_delay), "30s", seconds(1),
               hours(1),
               "Wait before such a batch's next attempt; it doubles per attempt, up to 30 min."),
      Bool("llm.redact_pii", MS_FIELD(llm.redact_pii), "true",
           "Mask e-mail addresses, phone and card numbers and tokens before prompting."),
      Bool("llm.prefilter", MS_FIELD(llm.prefilter), "true",
           "Leave out of prompts what announces no event: chatter, routine operations "
           "traffic, and talk of events that have not happened (plans, drafts, rumours, lost or "
           "unsigned deals)."),
      Int("llm.max_batch_tokens", MS_FIELD(llm.max_batch_tokens), "24000", 256, 2000000,
          "Prompt token budget per call; larger batches are split."),
      Prices("llm.prices", MS_FIELD(llm.prices),
             "USD per million tokens by model, for cost metrics: "
             "{model: {input_per_mtok: 0.15, output_per_mtok: 0.6, cached_input_per_mtok: "
             "0.075, batch_multiplier: 0.5}}. cached_input_per_mtok (input read from the "
             "provider's prompt cache) is optional and defaults to input_per_mtok; Anthropic "
             "cache writes cost 1.25 x input_per_mtok; batch_multiplier (0..1, default 0.5) "
             "prices what a provider batch job answered. Environment form: "
             "model=in/out[/cached[/batch_multiplier]],..."),
  };
}

std::vector<KeySpec> OutputKeys() {
  return {
      Duration("outbox.poll_interval", MS_FIELD(outbox.poll_interval), "1s", milliseconds(10),
               hours(1), "How often the relay looks for unpublished outbox rows."),
      Int("outbox.batch_size", MS_FIELD(outbox.batch_size), "100", 1, 10000,
          "Outbox rows published per relay round."),
      Duration("outbox.retention", MS_FIELD(outbox.retention), "168h", hours(1), kDays(3650),
               "Published outbox rows older than this are deleted."),
      String("outbox.webhook_url", MS_FIELD(outbox.webhook_url), "", 0,
             "http(s) URL receiving each event as a signed POST; empty = no webhook."),
      Path("outbox.webhook_url_file", MS_FIELD(outbox.webhook_url_file),
           "File holding outbox.webhook_url, for a URL that carries a password (trailing "
           "newline ignored)."),
      SecretKey("outbox.webhook_secret", MS_FIELD(outbox.webhook_secret),
                "HMAC-SHA256 key signing webhook bodies; required with outbox.webhook_url."),
      Path("outbox.webhook_secret_file", MS_FIELD(outbox.webhook_secret_file),
           "File holding the webhook secret (trailing newline ignored)."),
      Duration("events.stale_after", MS_FIELD(events.stale_after), "720h", hours(1), kDays(3650),
               "An open event not sighted for this long becomes stale."),
      Map("events.ladders", MS_FIELD(events.ladders),
          "Per-metric milestone ladders replacing the defaults, e.g. arr: \"1M,2M,5M,10M\"; "
          "\"none\" = no ladder (metrics and defaults: docs/architecture.md)."),
      Int("events.growth_threshold_pct", MS_FIELD(events.growth_threshold_pct), "50", 0, 10000,
          "A KPI up this many percent within events.growth_window is a milestone; 0 = off."),
      Duration("events.growth_window", MS_FIELD(events.growth_window), "90d", kDays(7), kDays(3650),
               "The window of events.growth_threshold_pct."),
      String("http.listen", MS_FIELD(http.listen), "127.0.0.1", 1,
             "Address of the health, metrics and API server."),
      Int("http.port", MS_FIELD(http.port), "9464", 0, 65535, "HTTP port; 0 = no HTTP server."),
      SecretKey("http.token", MS_FIELD(http.token),
                "Bearer token the /v1 read API requires (Authorization: Bearer <token>); "
                "required when http.listen is not a loopback address, optional on loopback."),
      Path("http.token_file", MS_FIELD(http.token_file),
           "File holding the read API's bearer token (trailing newline ignored)."),
      Duration("shutdown.timeout", MS_FIELD(shutdown.timeout), "30s", seconds(1), hours(1),
               "On SIGTERM, time to drain in-flight work and commit offsets before exiting."),
  };
}

#undef MS_FIELD
#undef MS_ENUM_FIELD

std::vector<KeySpec> BuildTable() {
  std::vector<KeySpec> keys;
  for (auto&& group : {ServiceAndLogKeys(), KafkaKeys(), StoreKeys(), IngestAndBatchKeys(),
                       LlmKeys(), OutputKeys()}) {
    keys.insert(keys.end(), group.begin(), group.end());
  }
  return keys;
}

bool IsUnder(std::string_view path, std::string_view section) {
  if (section.empty()) return true;
  return path.size() > section.size() && path.substr(0, section.size()) == section &&
         path[section.size()] == '.';
}

}  // namespace

const std::vector<KeySpec>& AllKeys() {
  static const std::vector<KeySpec> keys = BuildTable();
  return keys;
}

const KeySpec* FindKey(std::string_view path) {
  for (const KeySpec& spec : AllKeys()) {
    if (spec.path == path) return &spec;
  }
  return nullptr;
}

bool IsSection(std::string_view path) {
  return std::any_of(AllKeys().begin(), AllKeys().end(),
                     [&](const KeySpec& spec) { return IsUnder(spec.path, path); });
}

std::vector<std::string> ChildNames(std::string_view path) {
  std::vector<std::string> names;
  const size_t skip = path.empty() ? 0 : path.size() + 1;
  for (const KeySpec& spec : AllKeys()) {
    if (!IsUnder(spec.path, path)) continue;
    std::string_view rest = spec.path.substr(skip);
    std::string name(rest.substr(0, rest.find('.')));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

std::string EnvVarName(std::string_view path) {
  std::string name = "MILESTONE_";
  for (char ch : path) {
    name += ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return name;
}

std::string SecretFileKey(const KeySpec& secret) {
  return std::string(secret.path) + "_file";
}

const std::vector<FilePair>& FilePairs() {
  static const std::vector<FilePair> pairs = [] {
    std::vector<FilePair> out;
    for (const KeySpec& spec : AllKeys()) {
      const bool url_with_file = spec.path == "llm.base_url" || spec.path == "outbox.webhook_url";
      if (spec.type == KeyType::kSecret || url_with_file) {
        out.push_back({&spec, FindKey(SecretFileKey(spec))});
      }
    }
    return out;
  }();
  return pairs;
}

}  // namespace ms::config
