// The environment layer: MILESTONE_<KEY> overrides the file, with the same parsing and checks.
#include <algorithm>
#include <set>

#include "config/config_values.h"
#include "config/layers.h"
#include "core/net.h"

namespace ms::config {
namespace {

// The value as echoed in an error: never a secret, always one short line.
std::string Shown(const KeySpec& spec, const std::string& value) {
  if (spec.type == KeyType::kSecret) return "***";
  const bool plain = value.size() <= 80 && std::none_of(value.begin(), value.end(), [](char ch) {
                       return static_cast<unsigned char>(ch) < 0x20;
                     });
  return plain ? WithoutUrlPassword(value) : QuoteForError(WithoutUrlPassword(value));
}

// A layer that sets a value or its *_file replaces what lower layers set for the pair, so
// MILESTONE_POSTGRES_PASSWORD wins over a password_file in the config file.
Status ReplaceSecretPairs(const std::set<std::string_view>& set_by_env, Config& config) {
  for (const FilePair& pair : FilePairs()) {
    const KeySpec& spec = *pair.value;
    const KeySpec& file_key = *pair.file;
    const bool secret_set = set_by_env.count(spec.path) != 0;
    const bool file_set = set_by_env.count(file_key.path) != 0;
    if (secret_set && file_set && HasValue(spec, config) && HasValue(file_key, config)) {
      return InvalidArgument("config: " + EnvVarName(spec.path) + " and " +
                             EnvVarName(file_key.path) + " are both set (set only one)");
    }
    if (secret_set && !file_set) MS_RETURN_IF_ERROR(ApplyText(file_key, "", "", config));
    if (file_set && !secret_set) MS_RETURN_IF_ERROR(ApplyText(spec, "", "", config));
  }
  return Status::Ok();
}

}  // namespace

Status ApplyEnvironment(const Environment& env, Config& config) {
  std::set<std::string_view> set_by_env;
  for (const KeySpec& spec : AllKeys()) {
    const std::string var = EnvVarName(spec.path);
    std::optional<std::string> value = env.Get(var);
    if (!value) continue;
    Status status = ApplyText(spec, *value, "env " + var, config);
    if (!status.ok()) {
      return InvalidArgument("config: " + var + "=" + Shown(spec, *value) + ": " +
                             status.message());
    }
    set_by_env.insert(spec.path);
  }
  return ReplaceSecretPairs(set_by_env, config);
}

}  // namespace ms::config
