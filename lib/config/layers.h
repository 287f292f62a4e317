// The steps of Config::Load, in order. Each returns OK or InvalidArgument with ONE line
// starting "config: " that names the key or variable, the value and the expected form.
#pragma once

#include <string>

#include "config/config.h"

namespace ms::config {

// Every key to its table default.
Status ApplyDefaults(Config& config);

// A YAML document over `config`. Unknown keys, wrong types and bad values are errors;
// `origin` (a file name, may be empty) goes into the error's location suffix " [origin:line]".
Status ApplyYamlText(const std::string& yaml, const std::string& origin, Config& config);

// MILESTONE_<KEY> variables over `config`. Setting either a secret or its *_file replaces
// both as set by the file; setting both in the environment is an error.
Status ApplyEnvironment(const Environment& env, Config& config);

// Reads *_file secrets, then $CREDENTIALS_DIRECTORY/<key> (which wins when present).
Status ResolveSecrets(const Environment& env, Config& config);

// Resolves llm.provider "auto" and fills an unset llm.api_key from the provider's own
// variable (OPENAI_API_KEY, GEMINI_API_KEY/GOOGLE_API_KEY, ANTHROPIC_API_KEY). Fails when a
// remote provider is left without a key.
Status ResolveProvider(const Environment& env, Config& config);

// Checks spanning several keys (topics, DSN without password, webhook signing, ...).
Status CheckConfig(const Config& config);

}  // namespace ms::config
