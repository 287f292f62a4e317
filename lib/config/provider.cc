// llm.provider resolution: "auto" becomes a concrete provider at load time, so nothing
// downstream ever has to guess.
#include <array>
#include <vector>

#include "config/layers.h"

namespace ms::config {
namespace {

struct ProviderKeyVars {
  LlmProvider provider;
  std::vector<std::string> vars;  // in lookup order
};

// Also the order "auto" tries them in.
const std::array<ProviderKeyVars, 3>& KeyVars() {
  static const std::array<ProviderKeyVars, 3> table = {{
      {LlmProvider::kOpenAi, {"OPENAI_API_KEY"}},
      {LlmProvider::kGemini, {"GEMINI_API_KEY", "GOOGLE_API_KEY"}},
      {LlmProvider::kAnthropic, {"ANTHROPIC_API_KEY"}},
  }};
  return table;
}

const std::vector<std::string>& VarsFor(LlmProvider provider) {
  static const std::vector<std::string> kNone;
  for (const ProviderKeyVars& entry : KeyVars()) {
    if (entry.provider == provider) return entry.vars;
  }
  return kNone;
}

// The first non-empty conventional key variable of `provider`, as a Secret.
Secret KeyFromEnv(LlmProvider provider, const Environment& env) {
  for (const std::string& var : VarsFor(provider)) {
    std::optional<std::string> value = env.Get(var);
    if (value && !value->empty()) return Secret(*value, "env " + var);
  }
  return Secret();
}

Status ResolveAuto(const Environment& env, LlmConfig& llm) {
  if (!llm.api_key.empty()) {
    return InvalidArgument("config: llm.provider: auto cannot tell which provider llm.api_key (" +
                           llm.api_key.origin() +
                           ") belongs to (expected llm.provider: openai, gemini or anthropic)");
  }
  for (const ProviderKeyVars& entry : KeyVars()) {
    Secret key = KeyFromEnv(entry.provider, env);
    if (key.empty()) continue;
    llm.provider = entry.provider;
    llm.api_key = std::move(key);
    return Status::Ok();
  }
  // A base_url without a key is a local OpenAI-compatible server (Ollama, vLLM, llama.cpp).
  llm.provider = llm.base_url.empty() ? LlmProvider::kRules : LlmProvider::kOpenAi;
  return Status::Ok();
}

std::string KeySources(LlmProvider provider) {
  std::string out = "llm.api_key, llm.api_key_file, MILESTONE_LLM_API_KEY, ";
  for (const std::string& var : VarsFor(provider)) out += var + ", ";
  return out + "or a credential named llm.api_key";
}

}  // namespace

Status ResolveProvider(const Environment& env, Config& config) {
  LlmConfig& llm = config.llm;
  if (llm.provider == LlmProvider::kAuto) return ResolveAuto(env, llm);
  if (llm.provider == LlmProvider::kRules) return Status::Ok();
  if (llm.api_key.empty()) llm.api_key = KeyFromEnv(llm.provider, env);
  const bool keyless_local = llm.provider == LlmProvider::kOpenAi && !llm.base_url.empty();
  if (llm.api_key.empty() && !keyless_local) {
    return InvalidArgument("config: llm.api_key: not set but llm.provider is " +
                           std::string(LlmProviderName(llm.provider)) + " (expected one of " +
                           KeySources(llm.provider) + ")");
  }
  return Status::Ok();
}

}  // namespace ms::config
