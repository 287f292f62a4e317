// Config::Load: defaults, file, environment, secrets, provider, checks — in that order.
#include "config/config.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "config/config_values.h"
#include "config/layers.h"

namespace ms {

namespace config {

Status ApplyDefaults(Config& config) {
  for (const KeySpec& spec : AllKeys()) {
    Status status = ApplyText(spec, spec.default_text, "default", config);
    if (!status.ok()) {
      return Internal("config: bad table default for " + std::string(spec.path) + ": " +
                      status.message());
    }
  }
  return Status::Ok();
}

}  // namespace config

StatusOr<Config> Config::Load(const std::string& path, const Environment& env) {
  std::string yaml;
  if (!path.empty()) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return NotFound("config: cannot read \"" + path + "\": " + std::strerror(errno));
    std::ostringstream content;
    content << in.rdbuf();
    yaml = content.str();
  }
  return FromYamlString(yaml, env, path);
}

StatusOr<Config> Config::FromYamlString(const std::string& yaml, const Environment& env,
                                        const std::string& origin) {
  try {
    Config config;
    MS_RETURN_IF_ERROR(config::ApplyDefaults(config));
    MS_RETURN_IF_ERROR(config::ApplyYamlText(yaml, origin, config));
    MS_RETURN_IF_ERROR(config::ApplyEnvironment(env, config));
    MS_RETURN_IF_ERROR(config::ResolveSecrets(env, config));
    MS_RETURN_IF_ERROR(config::ResolveProvider(env, config));
    MS_RETURN_IF_ERROR(config::CheckConfig(config));
    return config;
  } catch (const std::exception& error) {
    return Internal(std::string("config: unexpected error: ") + error.what());
  }
}

}  // namespace ms
