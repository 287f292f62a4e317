// The configuration key table (after fluent-bit's config map): one entry per key with its
// dotted path, type, default, range and documentation. The loader, the environment
// overrides, the checks and the generated docs all walk this table, so a key added here is
// loadable, overridable, validated and documented at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "config/config.h"

namespace ms::config {

enum class KeyType { kString, kPath, kSecret, kEnum, kBool, kInt, kDuration, kList, kMap, kPrices };

template <typename T>
using FieldRef = T& (*)(Config&);

// Enums are set and read as indices into KeySpec::choices.
struct EnumField {
  int (*get)(const Config&);
  void (*set)(Config&, int);
};

using PriceMap = std::map<std::string, ModelPrice>;
using Field =
    std::variant<FieldRef<std::string>, FieldRef<Secret>, EnumField, FieldRef<bool>, FieldRef<int>,
                 FieldRef<std::chrono::milliseconds>, FieldRef<std::vector<std::string>>,
                 FieldRef<StringMap>, FieldRef<PriceMap>>;

struct KeySpec {
  std::string_view path;  // "kafka.consumer.properties"
  KeyType type;
  Field field;
  // The default, in environment-variable syntax: lists "a,b", maps "k=v,k=v", prices
  // "model=in/out"; "" for an empty string, list or map.
  std::string_view default_text;
  std::string_view doc;
  // kInt: allowed range. kDuration: allowed range in milliseconds. kString: minimum length.
  // kList: minimum number of items.
  int64_t min = 0;
  int64_t max = 0;
  std::span<const std::string_view> choices = {};  // kEnum: allowed spellings, by enum value
};

// Every key, grouped by section in documentation order.
const std::vector<KeySpec>& AllKeys();

// The key at `path`, or nullptr.
const KeySpec* FindKey(std::string_view path);

// True when `path` is a section holding keys ("kafka", "kafka.consumer"); "" is the root.
bool IsSection(std::string_view path);

// The names directly under section `path`, in table order ("brokers", "group_id", ...).
std::vector<std::string> ChildNames(std::string_view path);

// "MILESTONE_" + path upper-cased with '.' -> '_': MILESTONE_KAFKA_CONSUMER_PROPERTIES.
std::string EnvVarName(std::string_view path);

// For a kSecret key, the path of its companion file key ("postgres.password_file").
std::string SecretFileKey(const KeySpec& secret);

// A key whose value may instead come from a file (its *_file key) or a systemd credential:
// every secret, and the URLs that may carry a password (llm.base_url, outbox.webhook_url).
struct FilePair {
  const KeySpec* value;
  const KeySpec* file;
};
const std::vector<FilePair>& FilePairs();

}  // namespace ms::config
