// Config: the key table, YAML and environment layers, secrets, provider resolution, checks,
// and the generated docs (docs/configuration.md, config.yaml) against the table.
#include "config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "app/options.h"
#include "config/config_keys.h"
#include "config/config_values.h"
#include "config/duration.h"
#include "config/layers.h"

#ifndef MS_SOURCE_DIR
#error "MS_SOURCE_DIR must name the source tree (see tests/unit/config_tests.cmake)"
#endif

namespace ms {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// A private directory for secret and config files, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ms-config-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string Write(const std::string& name, const std::string& content) const {
    const std::filesystem::path file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

StatusOr<Config> Parse(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  return Config::FromYamlString(yaml, Environment::FromMap(std::move(env)));
}

// The loaded config, or a test failure naming the error (and a default Config).
Config MustParse(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  StatusOr<Config> config = Parse(yaml, std::move(env));
  if (config.ok()) return *config;
  ADD_FAILURE() << config.status().ToString();
  return Config();
}

std::string ErrorOf(const std::string& yaml, std::map<std::string, std::string> env = {}) {
  StatusOr<Config> config = Parse(yaml, std::move(env));
  if (config.ok()) return "<ok>";
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  return config.status().message();
}

Config Defaults() {
  return MustParse("");
}

// --- durations -------------------------------------------------------------------------

TEST(ConfigDuration, ParsesEachUnitAndSums) {
  EXPECT_EQ(ParseDuration("100ms").value(), milliseconds(100));
  EXPECT_EQ(ParseDuration("5s").value(), std::chrono::seconds(5));
  EXPECT_EQ(ParseDuration("10m").value(), std::chrono::minutes(10));
  EXPECT_EQ(ParseDuration("2h").value(), std::chrono::hours(2));
  EXPECT_EQ(ParseDuration("7d").value(), std::chrono::hours(168));
  EXPECT_EQ(ParseDuration("1h30m").value(), std::chrono::minutes(90));
  EXPECT_EQ(ParseDuration("1m30s500ms").value(), milliseconds(90500));
}

TEST(ConfigDuration, RejectsMissingUnitAndGarbage) {
  for (const char* text :
       {"5", "", "5x", "-5s", "5 s", "s", "1.5s", "5sec", "99999999999999999999d"}) {
    StatusOr<milliseconds> parsed = ParseDuration(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_THAT(parsed.status().message(), HasSubstr("is not a duration (expected a whole number "
                                                     "with a unit ms, s, m, h or d"))
        << text;
  }
}

TEST(ConfigDuration, FormatsWithLargestExactUnitAndRoundTrips) {
  EXPECT_EQ(FormatDuration(milliseconds(100)), "100ms");
  EXPECT_EQ(FormatDuration(std::chrono::hours(168)), "7d");
  EXPECT_EQ(FormatDuration(std::chrono::seconds(90)), "90s");
  EXPECT_EQ(FormatDuration(milliseconds(0)), "0s");
  for (int64_t millis : {1, 999, 1000, 61000, 3600000, 86400001}) {
    EXPECT_EQ(ParseDuration(FormatDuration(milliseconds(millis))).value(), milliseconds(millis));
  }
}

// --- secrets ---------------------------------------------------------------------------

TEST(ConfigSecret, NeverPrintsItsValue) {
  Secret secret("hunter2", "env X");
  std::ostringstream out;
  out << secret;
  EXPECT_EQ(out.str(), "***");
  EXPECT_EQ(secret.ToString(), "***");
  EXPECT_EQ(Secret().ToString(), "<unset>");
  EXPECT_EQ(secret.Reveal(), "hunter2");
  EXPECT_EQ(secret.origin(), "env X");
}

// --- the key table ---------------------------------------------------------------------

TEST(ConfigTable, PathsAndEnvironmentVariablesAreUnique) {
  std::set<std::string> paths, vars;
  for (const config::KeySpec& spec : config::AllKeys()) {
    EXPECT_TRUE(paths.insert(std::string(spec.path)).second) << spec.path;
    EXPECT_TRUE(vars.insert(config::EnvVarName(spec.path)).second) << spec.path;
  }
  EXPECT_EQ(config::EnvVarName("kafka.consumer.properties"), "MILESTONE_KAFKA_CONSUMER_PROPERTIES");
}

TEST(ConfigTable, EveryKeyIsInASectionAndDocumented) {
  for (const config::KeySpec& spec : config::AllKeys()) {
    EXPECT_NE(spec.path.find('.'), std::string_view::npos) << spec.path;
    EXPECT_FALSE(spec.doc.empty()) << spec.path;
    EXPECT_EQ(spec.doc.find('|'), std::string_view::npos) << spec.path << " breaks the docs table";
    EXPECT_FALSE(config::IsSection(spec.path)) << spec.path << " is both a key and a section";
  }
}

TEST(ConfigTable, EverySecretHasAFileKey) {
  int secrets = 0;
  for (const config::KeySpec& spec : config::AllKeys()) {
    if (spec.type != config::KeyType::kSecret) continue;
    ++secrets;
    const config::KeySpec* file_key = config::FindKey(config::SecretFileKey(spec));
    ASSERT_NE(file_key, nullptr) << spec.path;
    EXPECT_EQ(file_key->type, config::KeyType::kPath) << spec.path;
  }
  EXPECT_EQ(secrets, 6);
}

TEST(ConfigTable, MemberInitializersMatchTableDefaults) {
  Config from_table;
  ASSERT_TRUE(config::ApplyDefaults(from_table).ok());
  const Config initialized;
  for (const config::KeySpec& spec : config::AllKeys()) {
    EXPECT_EQ(config::FormatValue(spec, initialized), config::FormatValue(spec, from_table))
        << spec.path;
  }
  EXPECT_EQ(initialized, from_table);
}

TEST(ConfigTable, EmptyInputGivesDefaultsWithProviderResolvedToRules) {
  Config expected;
  expected.llm.provider = LlmProvider::kRules;
  EXPECT_EQ(Defaults(), expected);
}

// --- the YAML layer --------------------------------------------------------------------

TEST(ConfigYaml, AppliesEveryKindOfValue) {
  Config config = MustParse(R"(
log: {level: DEBUG, format: json}
kafka:
  topics: [a, b, c]
  poll_timeout: 250ms
  create_topics: no
  consumer:
    properties: {fetch.min.bytes: 1024, security.protocol: SASL_SSL}
batch: {threshold: "50", max_age: 1h}
llm:
  provider: rules
  prices:
    gpt-4o-mini: {input_per_mtok: 0.15, output_per_mtok: 0.6, cached_input_per_mtok: 0.075}
    claude-3-5-haiku: {input_per_mtok: 0.8, output_per_mtok: 4}
redis: {password: s3cret, db: 3}
)");
  EXPECT_EQ(config.log.level, LogLevel::kDebug);
  EXPECT_EQ(config.log.format, LogFormat::kJson);
  EXPECT_EQ(config.kafka.topics, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(config.kafka.poll_timeout, milliseconds(250));
  EXPECT_FALSE(config.kafka.create_topics);
  EXPECT_EQ(config.kafka.consumer.properties.at("fetch.min.bytes"), "1024");
  EXPECT_EQ(config.batch.threshold, 50);
  EXPECT_EQ(config.batch.max_age, std::chrono::hours(1));
  EXPECT_EQ(config.llm.prices.at("gpt-4o-mini"), (ModelPrice{0.15, 0.6, 0.075}));
  EXPECT_EQ(config.llm.prices.at("gpt-4o-mini").CachedInputRate(), 0.075);
  EXPECT_EQ(config.llm.prices.at("claude-3-5-haiku"), (ModelPrice{0.8, 4}));
  // No cached rate configured: cached input is priced as plain input.
  EXPECT_EQ(config.llm.prices.at("claude-3-5-haiku").CachedInputRate(), 0.8);
  EXPECT_EQ(config.redis.password.Reveal(), "s3cret");
  EXPECT_EQ(config.redis.password.origin(), "config file");
  EXPECT_EQ(config.redis.db, 3);
}

TEST(ConfigYaml, EmptySectionsAndCommentOnlyFilesKeepDefaults) {
  EXPECT_EQ(MustParse("kafka:\nbatch:\n"), Defaults());
  EXPECT_EQ(MustParse("# nothing here\n"), Defaults());
}

TEST(ConfigYaml, UnknownKeyListsTheSectionsKeys) {
  EXPECT_EQ(ErrorOf("kafka:\n  bogus: 1\n"),
            "config: kafka.bogus: unknown key (known keys in kafka: brokers, group_id, topics, "
            "dlq_topic, events_topic, poll_timeout, commit_interval, prefetch_kbytes, consumer, "
            "producer, "
            "sasl_password, sasl_password_file, create_topics, topic_partitions) [line 2]");
  EXPECT_EQ(ErrorOf("kafka: {consumer: {props: {}}}"),
            "config: kafka.consumer.props: unknown key (known keys in kafka.consumer: "
            "properties) [line 1]");
}

TEST(ConfigYaml, UnknownSectionListsTheSections) {
  EXPECT_EQ(ErrorOf("\nbatches: {}\n"),
            "config: batches: unknown key (known sections: service, log, kafka, postgres, redis, "
            "ingest, batch, llm, outbox, events, http, shutdown) [line 2]");
}

TEST(ConfigYaml, BadValuesNameKeyValueAndExpectedForm) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"batch:\n  threshold: many",
       "config: batch.threshold: \"many\" is not an integer (expected an integer in 1..100000) "
       "[line 2]"},
      {"batch: {threshold: 0}",
       "config: batch.threshold: \"0\" is out of range (expected an integer in 1..100000) [line "
       "1]"},
      {"batch: {threshold: 99999999999999999999}",
       "config: batch.threshold: \"99999999999999999999\" is out of range"},
      {"kafka: {poll_timeout: 5}",
       "config: kafka.poll_timeout: \"5\" is not a duration (expected a whole number with a unit "
       "ms, s, m, h or d, e.g. 100ms, 5s, 10m, 2h, 7d, 1h30m) [line 1]"},
      {"kafka: {poll_timeout: 2h}",
       "config: kafka.poll_timeout: \"2h\" is out of range (expected a duration in 1ms..1m)"},
      {"log: {level: verbose}",
       "config: log.level: \"verbose\" is not an allowed value (expected one of: trace, debug, "
       "info, warn, error)"},
      {"kafka: {create_topics: maybe}",
       "config: kafka.create_topics: \"maybe\" is not a boolean (expected true or false)"},
      {"redis: {host: \"\"}", "config: redis.host: \"\" is empty (expected a non-empty string)"},
      {"kafka: {topics: []}",
       "config: kafka.topics: [] is empty (expected a non-empty list of strings)"},
      {"kafka: {topics: [a, \"\"]}", "config: kafka.topics: \"\" is not a valid item"},
  };
  for (const auto& [yaml, expected] : cases) EXPECT_THAT(ErrorOf(yaml), StartsWith(expected));
}

TEST(ConfigYaml, WrongShapesAreNamed) {
  EXPECT_EQ(ErrorOf("batch: {threshold: [1]}"),
            "config: batch.threshold: got a list (expected an integer in 1..100000) [line 1]");
  EXPECT_EQ(ErrorOf("batch:\n  threshold:\n"),
            "config: batch.threshold: no value (expected an integer in 1..100000) [line 2]");
  EXPECT_THAT(ErrorOf("kafka: {topics: slack}"),
              StartsWith("config: kafka.topics: \"slack\" is not a list (expected a non-empty "
                         "list of strings, e.g. [a, b])"));
  EXPECT_THAT(ErrorOf("kafka: 5"), StartsWith("config: kafka: \"5\" is not a mapping"));
  EXPECT_THAT(ErrorOf("kafka: {consumer: {properties: [a]}}"),
              StartsWith("config: kafka.consumer.properties: a list is not a mapping"));
  EXPECT_THAT(ErrorOf("- a\n- b\n"), StartsWith("config: a list is not a mapping of sections"));
}

TEST(ConfigYaml, DuplicateKeyIsAnError) {
  EXPECT_EQ(ErrorOf("batch:\n  threshold: 5\n  threshold: 6\n"),
            "config: batch.threshold: duplicate key [line 3]");
}

TEST(ConfigYaml, SyntaxErrorsBecomeStatusWithLocation) {
  EXPECT_EQ(ErrorOf("kafka: [a,\n"),
            "config: YAML syntax error: end of sequence flow not found [line 2]");
  StatusOr<Config> config = Config::FromYamlString("a: b: c", Environment::Empty(), "x.yaml");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(config.status().message(), StartsWith("config: YAML syntax error: "));
  EXPECT_THAT(config.status().message(), HasSubstr("[x.yaml:1]"));
}

TEST(ConfigYaml, PricesNeedBothNonNegativeNumbers) {
  EXPECT_EQ(ErrorOf("llm: {prices: {m: {input_per_mtok: 1}}}"),
            "config: llm.prices.m: missing output_per_mtok [line 1]");
  EXPECT_THAT(ErrorOf("llm: {prices: {m: {input_per_mtok: -1, output_per_mtok: 2}}}"),
              StartsWith("config: llm.prices.m.input_per_mtok: \"-1\" is not a price"));
  EXPECT_THAT(ErrorOf("llm: {prices: {m: {input: 1}}}"),
              StartsWith("config: llm.prices.m.input: unknown key (known keys: input_per_mtok, "
                         "output_per_mtok, cached_input_per_mtok, batch_multiplier)"));
  EXPECT_THAT(ErrorOf("llm: {prices: {m: {input_per_mtok: 1, output_per_mtok: 2, "
                      "cached_input_per_mtok: x}}}"),
              StartsWith("config: llm.prices.m.cached_input_per_mtok: \"x\" is not a price"));
}

TEST(ConfigYaml, ProviderBatchJobKeys) {
  Config config = MustParse(
      "llm: {provider: openai, base_url: \"http://127.0.0.1:1\", submit: batch, "
      "batch_poll_interval: 5s, prices: {m: {input_per_mtok: 1, output_per_mtok: 2, "
      "batch_multiplier: 0.4}, n: {input_per_mtok: 1, output_per_mtok: 2}}}");
  EXPECT_EQ(config.llm.submit, LlmSubmit::kBatch);
  EXPECT_EQ(config.llm.batch_poll_interval, std::chrono::seconds(5));
  EXPECT_DOUBLE_EQ(config.llm.prices.at("m").batch_multiplier, 0.4);
  EXPECT_DOUBLE_EQ(config.llm.prices.at("n").batch_multiplier, 0.5);
  EXPECT_EQ(MustParse("").llm.submit, LlmSubmit::kSync);
  EXPECT_EQ(MustParse("").llm.batch_poll_interval, std::chrono::seconds(60));
  EXPECT_THAT(ErrorOf("llm: {submit: later}"), StartsWith("config: llm.submit: \"later\""));
  EXPECT_THAT(ErrorOf("llm: {submit: later}"), HasSubstr("sync, batch"));
  EXPECT_THAT(ErrorOf("llm: {prices: {m: {input_per_mtok: 1, output_per_mtok: 2, "
                      "batch_multiplier: 2}}}"),
              StartsWith("config: llm.prices.m.batch_multiplier: is 2"));
  EXPECT_THAT(ErrorOf("llm: {submit: batch}"),
              StartsWith("config: llm.submit: is batch but llm.provider is rules"));
  EXPECT_DOUBLE_EQ(MustParse("", {{"MILESTONE_LLM_PRICES", "m=1/2/0.5/0.25"}})
                       .llm.prices.at("m")
                       .batch_multiplier,
                   0.25);
}

// --- the environment layer -------------------------------------------------------------

TEST(ConfigEnv, OverridesTheFile) {
  Config config =
      MustParse("batch: {threshold: 5}", {{"MILESTONE_BATCH_THRESHOLD", "7"},
                                          {"MILESTONE_LOG_LEVEL", "warn"},
                                          {"MILESTONE_KAFKA_EVENTS_TOPIC", ""},
                                          {"MILESTONE_OUTBOX_WEBHOOK_URL", "https://h/x"},
                                          {"MILESTONE_OUTBOX_WEBHOOK_SECRET", "k"}});
  EXPECT_EQ(config.batch.threshold, 7);
  EXPECT_EQ(config.log.level, LogLevel::kWarn);
  EXPECT_EQ(config.kafka.events_topic, "");
  EXPECT_EQ(config.outbox.webhook_secret.origin(), "env MILESTONE_OUTBOX_WEBHOOK_SECRET");
}

TEST(ConfigEnv, ErrorsNameTheVariable) {
  EXPECT_EQ(ErrorOf("", {{"MILESTONE_BATCH_THRESHOLD", "abc"}}),
            "config: MILESTONE_BATCH_THRESHOLD=abc: \"abc\" is not an integer (expected an "
            "integer in 1..100000)");
  EXPECT_THAT(ErrorOf("", {{"MILESTONE_KAFKA_CONSUMER_PROPERTIES", "a=1,oops"}}),
              StartsWith("config: MILESTONE_KAFKA_CONSUMER_PROPERTIES=a=1,oops: \"oops\" is not "
                         "a key=value pair"));
  EXPECT_THAT(ErrorOf("", {{"MILESTONE_LLM_PRICES", "m=1"}}),
              StartsWith("config: MILESTONE_LLM_PRICES=m=1: \"m=1\" is not a "
                         "model=input/output[/cached_input[/batch_multiplier]] price"));
  EXPECT_THAT(ErrorOf("", {{"MILESTONE_LLM_PRICES", "m=1/2/x"}}),
              HasSubstr("\"x\" is not a price"));
  EXPECT_THAT(ErrorOf("", {{"MILESTONE_LLM_PRICES", "m=1/2/0.5/0.1/7"}}),
              HasSubstr("is not a price"));
  EXPECT_THAT(ErrorOf("", {{"MILESTONE_LLM_PRICES", "m=1/2/0.5/3"}}),
              HasSubstr("has a batch multiplier above 1"));
}

TEST(ConfigEnv, ErrorsStayOnOneLine) {
  const std::string error = ErrorOf("", {{"MILESTONE_KAFKA_POLL_TIMEOUT", "5\nINJECTED"}});
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_EQ(error,
            "config: MILESTONE_KAFKA_POLL_TIMEOUT=\"5\\nINJECTED\": \"5\\nINJECTED\" is not a "
            "duration (expected a whole number with a unit ms, s, m, h or d, e.g. 100ms, 5s, 10m, "
            "2h, 7d, 1h30m)");
}

TEST(ConfigEnv, ParsesListsMapsAndPrices) {
  Config config = MustParse("", {{"MILESTONE_KAFKA_TOPICS", " a, b ,,c"},
                                 {"MILESTONE_KAFKA_PRODUCER_PROPERTIES", "linger.ms=5, acks = all"},
                                 {"MILESTONE_LLM_PRICES", "gpt-4o=2.5/10/1.25,small=0/0.1"}});
  EXPECT_EQ(config.kafka.topics, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(config.kafka.producer.properties, (StringMap{{"linger.ms", "5"}, {"acks", "all"}}));
  EXPECT_EQ(config.llm.prices.at("gpt-4o"), (ModelPrice{2.5, 10, 1.25}));
  EXPECT_EQ(config.llm.prices.at("small"), (ModelPrice{0, 0.1}));  // the old two-field form
}

TEST(ConfigEnv, SecretOrItsFileReplacesThePairFromTheFile) {
  Config config =
      MustParse("postgres: {password_file: /nonexistent}", {{"MILESTONE_POSTGRES_PASSWORD", "pw"}});
  EXPECT_EQ(config.postgres.password.Reveal(), "pw");
  EXPECT_EQ(config.postgres.password_file, "");
}

TEST(ConfigEnv, SecretAndItsFileBothInEnvIsAnErrorWithoutTheValue) {
  const std::string error = ErrorOf(
      "", {{"MILESTONE_POSTGRES_PASSWORD", "hunter2"}, {"MILESTONE_POSTGRES_PASSWORD_FILE", "/x"}});
  EXPECT_EQ(error,
            "config: MILESTONE_POSTGRES_PASSWORD and MILESTONE_POSTGRES_PASSWORD_FILE are both "
            "set (set only one)");
}

// --- secret files and credentials ------------------------------------------------------

TEST(ConfigSecrets, ReadsSecretFilesWithoutTrailingNewlines) {
  TempDir dir;
  const std::string file = dir.Write("pg", "pa ss\r\n\n");
  Config config = MustParse("postgres: {password_file: " + file + "}");
  EXPECT_EQ(config.postgres.password.Reveal(), "pa ss");
  EXPECT_EQ(config.postgres.password.origin(), "file " + file);
  EXPECT_EQ(config.postgres.password_file, file);
}

TEST(ConfigSecrets, SecretAndFileInTheSameFileIsAnError) {
  EXPECT_EQ(ErrorOf("redis: {password: a, password_file: /b}"),
            "config: redis.password and redis.password_file are both set (set only one)");
}

TEST(ConfigSecrets, UnreadableOrEmptyFilesNameKeyAndPath) {
  TempDir dir;
  EXPECT_EQ(ErrorOf("llm: {provider: rules, api_key_file: /nonexistent/key}"),
            "config: llm.api_key_file: cannot read \"/nonexistent/key\": No such file or "
            "directory");
  const std::string empty = dir.Write("empty", "\n");
  EXPECT_EQ(
      ErrorOf("llm: {provider: rules, api_key_file: " + empty + "}"),
      "config: llm.api_key_file: \"" + empty + "\" is empty (expected a file holding the secret)");
}

TEST(ConfigSecrets, CredentialsDirectoryWinsOverEverything) {
  TempDir dir;
  dir.Write("postgres.password", "from-credential\n");
  const std::string file = dir.Write("other", "from-file");
  Config config =
      MustParse("postgres: {password_file: " + file + "}",
                {{"CREDENTIALS_DIRECTORY", dir.path()}, {"MILESTONE_REDIS_PASSWORD", "redis-env"}});
  EXPECT_EQ(config.postgres.password.Reveal(), "from-credential");
  EXPECT_EQ(config.postgres.password.origin(), "credential " + dir.path() + "/postgres.password");
  EXPECT_EQ(config.redis.password.Reveal(), "redis-env");  // no credential file: env stays
}

// --- llm.provider ----------------------------------------------------------------------

TEST(ConfigProvider, AutoPicksTheFirstProviderWithAKey) {
  const std::vector<std::tuple<std::map<std::string, std::string>, LlmProvider, std::string>>
      cases = {
          {{}, LlmProvider::kRules, ""},
          {{{"OPENAI_API_KEY", "o"}, {"ANTHROPIC_API_KEY", "a"}}, LlmProvider::kOpenAi, "o"},
          {{{"GOOGLE_API_KEY", "g"}, {"ANTHROPIC_API_KEY", "a"}}, LlmProvider::kGemini, "g"},
          {{{"GEMINI_API_KEY", "m"}, {"GOOGLE_API_KEY", "g"}}, LlmProvider::kGemini, "m"},
          {{{"ANTHROPIC_API_KEY", "a"}, {"OPENAI_API_KEY", ""}}, LlmProvider::kAnthropic, "a"},
      };
  for (const auto& [env, provider, key] : cases) {
    Config config = MustParse("", env);
    EXPECT_EQ(config.llm.provider, provider) << key;
    EXPECT_EQ(config.llm.api_key.Reveal(), key);
  }
  EXPECT_EQ(MustParse("llm: {base_url: \"http://127.0.0.1:11434/v1\"}").llm.provider,
            LlmProvider::kOpenAi);
}

TEST(ConfigProvider, AutoWithAnExplicitKeyAsksForTheProvider) {
  EXPECT_EQ(ErrorOf("", {{"MILESTONE_LLM_API_KEY", "sk-x"}}),
            "config: llm.provider: auto cannot tell which provider llm.api_key (env "
            "MILESTONE_LLM_API_KEY) belongs to (expected llm.provider: openai, gemini or "
            "anthropic)");
}

TEST(ConfigProvider, ExplicitProviderUsesItsOwnVariableOnlyWhenUnset) {
  EXPECT_EQ(
      MustParse("llm: {provider: anthropic}", {{"ANTHROPIC_API_KEY", "a"}}).llm.api_key.origin(),
      "env ANTHROPIC_API_KEY");
  EXPECT_EQ(MustParse("llm: {provider: anthropic, api_key: mine}", {{"ANTHROPIC_API_KEY", "a"}})
                .llm.api_key.Reveal(),
            "mine");
}

TEST(ConfigProvider, RemoteProviderWithoutAKeyIsAnError) {
  EXPECT_EQ(ErrorOf("llm: {provider: gemini}"),
            "config: llm.api_key: not set but llm.provider is gemini (expected one of "
            "llm.api_key, llm.api_key_file, MILESTONE_LLM_API_KEY, GEMINI_API_KEY, "
            "GOOGLE_API_KEY, or a credential named llm.api_key)");
  EXPECT_TRUE(Parse("llm: {provider: openai, base_url: \"http://127.0.0.1:8000/v1\"}").ok());
}

// --- cross-key checks ------------------------------------------------------------------

TEST(ConfigChecks, RejectInconsistentSettings) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"kafka: {dlq_topic: slack-messages}",
       "config: kafka.dlq_topic: \"slack-messages\" is also an input topic"},
      {"kafka: {events_topic: gmail-messages}",
       "config: kafka.events_topic: \"gmail-messages\" is also an input topic"},
      {"kafka: {events_topic: milestoned.dlq}",
       "config: kafka.events_topic: is the same topic as kafka.dlq_topic"},
      {"kafka: {topics: [a, a]}", "config: kafka.topics: \"a\" is listed twice"},
      {"kafka: {topics: [\"bad topic\"]}",
       "config: kafka.topics: \"bad topic\" is not a valid topic name"},
      {"kafka: {consumer: {properties: {enable.auto.commit: \"true\"}}}",
       "config: kafka.consumer.properties: \"enable.auto.commit\" is managed by milestoned"},
      {"kafka: {producer: {properties: {bootstrap.servers: x}}}",
       "config: kafka.producer.properties: \"bootstrap.servers\" is managed by milestoned (use "
       "kafka.brokers)"},
      {"redis: {key_prefix: \"ms{x}\"}", "config: redis.key_prefix: \"ms{x}\" has characters"},
      {"batch: {max_age: 2s, sweep_interval: 5s}",
       "config: batch.sweep_interval: is longer than batch.max_age (expected at most 2s)"},
      {"llm: {base_url: localhost:8000}", "config: llm.base_url: \"localhost:8000\" is not a URL"},
      {"llm: {mode: tiered}", "config: llm.mode: is tiered but llm.provider is rules"},
      {"outbox: {webhook_url: \"https://example.com/hook\"}",
       "config: outbox.webhook_secret: not set but outbox.webhook_url is"},
      {"kafka: {events_topic: \"\"}",
       "config: kafka.events_topic: empty while outbox.webhook_url is empty too"},
  };
  for (const auto& [yaml, expected] : cases) EXPECT_THAT(ErrorOf(yaml), StartsWith(expected));
}

TEST(ConfigChecks, DsnWithAPasswordIsRejectedWithoutEchoingIt) {
  for (const char* dsn :
       {"host=db password=hunter2", "host=db PASSWORD = hunter2",
        "postgresql://ms:hunter2@db:5432/ms", "postgres://db/ms?password=hunter2"}) {
    const std::string error = ErrorOf(std::string("postgres: {dsn: \"") + dsn + "\"}");
    EXPECT_THAT(error, StartsWith("config: postgres.dsn: contains a password")) << dsn;
    EXPECT_THAT(error, Not(HasSubstr("hunter2")));
  }
  EXPECT_TRUE(Parse("postgres: {dsn: \"postgresql://ms@db:5432/ms\"}").ok());
}

// --- Describe (--print-config) ---------------------------------------------------------

TEST(ConfigDescribe, MasksEverySecretAndSaysWhereItCameFrom) {
  TempDir dir;
  dir.Write("redis.password", "credential-value");
  Config config = MustParse(R"(
postgres: {password: inline-value}
llm: {provider: openai}
outbox: {webhook_url: "https://h/x"}
)",
                            {{"OPENAI_API_KEY", "openai-value"},
                             {"MILESTONE_OUTBOX_WEBHOOK_SECRET", "webhook-value"},
                             {"CREDENTIALS_DIRECTORY", dir.path()}});
  const std::string text = config.Describe();
  for (const char* value : {"inline-value", "credential-value", "openai-value", "webhook-value"}) {
    EXPECT_THAT(text, Not(HasSubstr(value)));
  }
  EXPECT_THAT(text, HasSubstr("  password: \"***\"  # from config file\n"));
  EXPECT_THAT(text, HasSubstr("  api_key: \"***\"  # from env OPENAI_API_KEY\n"));
  EXPECT_THAT(text,
              HasSubstr("  webhook_secret: \"***\"  # from env MILESTONE_OUTBOX_WEBHOOK_SECRET\n"));
  EXPECT_THAT(text, HasSubstr("  provider: openai\n"));
}

TEST(ConfigDescribe, MasksCredentialsInKafkaPropertiesAndUrls) {
  Config config = MustParse(R"(
kafka: {consumer: {properties: {sasl.password: kafka-secret, security.protocol: SASL_SSL}},
        producer: {properties: {ssl.key.password: key-secret}}}
llm: {provider: rules, base_url: "https://user:url-secret@llm.example/v1"}
)");
  const std::string text = config.Describe();
  for (const char* value : {"kafka-secret", "key-secret", "url-secret"}) {
    EXPECT_THAT(text, Not(HasSubstr(value)));
  }
  EXPECT_THAT(text, HasSubstr("{\"sasl.password\": \"***\", \"security.protocol\": \"SASL_SSL\"}"));
  EXPECT_THAT(text, HasSubstr("https://user:***@llm.example/v1"));
}

TEST(ConfigSecrets, TheKafkaSaslPasswordComesFromAFileIntoEveryClient) {
  TempDir dir;
  const std::string file = dir.Write("sasl", "sasl-secret\n");
  Config config = MustParse("kafka: {sasl_password_file: " + file +
                            ", consumer: {properties: {security.protocol: SASL_SSL}}}");
  EXPECT_EQ(app::ConsumerPropertiesFrom(config).at("sasl.password"), "sasl-secret");
  EXPECT_EQ(app::ProducerPropertiesFrom(config).at("sasl.password"), "sasl-secret");
  EXPECT_EQ(app::ConsumerPropertiesFrom(config).at("security.protocol"), "SASL_SSL");
  EXPECT_THAT(config.Describe(), Not(HasSubstr("sasl-secret")));
  EXPECT_EQ(app::ProducerPropertiesFrom(MustParse("")).count("sasl.password"), 0u);
}

TEST(ConfigSecrets, UrlsThatCarryAPasswordComeFromAFileOrACredential) {
  TempDir dir;
  const std::string file = dir.Write("hook", "https://hook:hook-secret@hooks.example/in\n");
  dir.Write("llm.base_url", "http://llm:llm-secret@127.0.0.1:8000/v1\n");
  Config config = MustParse("outbox: {webhook_url_file: " + file + ", webhook_secret: s}",
                            {{"CREDENTIALS_DIRECTORY", dir.path()}});
  EXPECT_EQ(config.outbox.webhook_url, "https://hook:hook-secret@hooks.example/in");
  EXPECT_EQ(config.llm.base_url, "http://llm:llm-secret@127.0.0.1:8000/v1");
  const std::string text = config.Describe();
  for (const char* value : {"hook-secret", "llm-secret"}) {
    EXPECT_THAT(text, Not(HasSubstr(value)));
  }
  EXPECT_THAT(text, HasSubstr("\"https://hook:***@hooks.example/in\""));
}

TEST(ConfigSecrets, AUrlFileIsCheckedWithoutEchoingThePassword) {
  TempDir dir;
  const std::string bad = dir.Write("bad", "ftp://u:url-secret@host/\n");
  EXPECT_EQ(ErrorOf("llm: {provider: rules, base_url_file: " + bad + "}"),
            "config: llm.base_url: \"ftp://u:***@host/\" is not a URL (expected http://... or "
            "https://...)");
  const std::string two = dir.Write("two", "http://a/\nhttp://b/\n");
  EXPECT_EQ(ErrorOf("llm: {provider: rules, base_url_file: " + two + "}"),
            "config: llm.base_url_file: \"" + two +
                "\" holds more than one line (expected only the value)");
  EXPECT_EQ(ErrorOf("llm: {provider: rules, base_url: \"http://a/\", base_url_file: /b}"),
            "config: llm.base_url and llm.base_url_file are both set (set only one)");
  EXPECT_THAT(ErrorOf("llm: {provider: rules}", {{"MILESTONE_LLM_BASE_URL", "x://u:pw-secret@h"}}),
              Not(HasSubstr("pw-secret")));
}

TEST(ConfigChecks, AReadApiBeyondLoopbackNeedsABearerToken) {
  EXPECT_THAT(ErrorOf("http: {listen: 0.0.0.0}"),
              StartsWith("config: http.token: not set but http.listen (\"0.0.0.0\") is not a "
                         "loopback address"));
  TempDir dir;
  const std::string file = dir.Write("token", "t0ken\n");
  EXPECT_TRUE(Parse("http: {listen: 0.0.0.0, token_file: " + file + "}").ok());
  EXPECT_TRUE(Parse("http: {listen: 0.0.0.0, port: 0}").ok()) << "no server, no token needed";
  EXPECT_TRUE(Parse("http: {listen: 127.0.0.1}").ok()) << "optional on loopback";
}

TEST(ConfigDescribe, OutputLoadsBackToTheSameConfig) {
  Config config = MustParse(R"(
kafka: {topics: [x, y], consumer: {properties: {"a b": "1,\"2\""}}}
llm: {prices: {m: {input_per_mtok: 0.15, output_per_mtok: 1e-3}, c: {input_per_mtok: 3,
  output_per_mtok: 15, cached_input_per_mtok: 0.3}}}
ingest: {default_company: "acme: \"inc\"\ttab"}
)");
  StatusOr<Config> reloaded = Parse(config.Describe());
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().ToString();
  EXPECT_EQ(*reloaded, config);
}

// --- docs and config.yaml against the table --------------------------------------------

constexpr std::string_view kBegin = "<!-- BEGIN CONFIG TABLE -->\n";
constexpr std::string_view kEnd = "<!-- END CONFIG TABLE -->";

TEST(ConfigDocs, ReferenceTableMatchesDocs) {
  const std::filesystem::path path = std::filesystem::path(MS_SOURCE_DIR) / "docs/configuration.md";
  std::string doc = ReadFile(path);
  const size_t begin = doc.find(kBegin);
  const size_t end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << path;
  ASSERT_NE(end, std::string::npos) << path;
  const size_t start = begin + kBegin.size();
  const std::string generated = RenderConfigReference();
  if (std::getenv("MS_UPDATE_DOCS") != nullptr) {  // the only switch read from the real env
    doc.replace(start, end - start, generated);
    std::ofstream(path, std::ios::binary) << doc;
    return;
  }
  EXPECT_EQ(doc.substr(start, end - start), generated)
      << path << " is stale; regenerate with MS_UPDATE_DOCS=1 unit_tests "
      << "--gtest_filter='ConfigDocs.ReferenceTableMatchesDocs'";
}

TEST(ConfigDocs, RootConfigYamlLoadsToTheDefaults) {
  StatusOr<Config> config =
      Config::Load(std::string(MS_SOURCE_DIR) + "/config.yaml", Environment::Empty());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(*config, Defaults());
}

TEST(ConfigDocs, RootConfigYamlHasEveryKey) {
  const YAML::Node root = YAML::LoadFile(std::string(MS_SOURCE_DIR) + "/config.yaml");
  for (const config::KeySpec& spec : config::AllKeys()) {
    std::vector<YAML::Node> path = {root};
    std::string_view rest = spec.path;
    for (size_t dot = rest.find('.');; dot = rest.find('.')) {
      path.push_back(path.back()[std::string(rest.substr(0, dot))]);
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    EXPECT_TRUE(path.back().IsDefined()) << spec.path << " is missing from config.yaml";
  }
}

TEST(ConfigDocs, RenderedDefaultYamlLoadsToTheDefaults) {
  EXPECT_EQ(MustParse(RenderDefaultYaml()), Defaults());
}

TEST(ConfigLoad, MissingFileIsNotFoundAndEmptyPathMeansNoFile) {
  StatusOr<Config> missing = Config::Load("/nonexistent/milestoned.yaml", Environment::Empty());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "config: cannot read \"/nonexistent/milestoned.yaml\": No such file or directory");
  StatusOr<Config> none = Config::Load("", Environment::FromMap({{"MILESTONE_HTTP_PORT", "0"}}));
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->http.port, 0);
}

TEST(ConfigLoad, ErrorsFromAFileCarryItsName) {
  TempDir dir;
  const std::string file = dir.Write("c.yaml", "http:\n  port: 70000\n");
  StatusOr<Config> config = Config::Load(file, Environment::Empty());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "config: http.port: \"70000\" is out of range (expected an integer in 0..65535) [" +
                file + ":2]");
}

}  // namespace
}  // namespace ms
