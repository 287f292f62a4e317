// Generated views of the key table: the docs reference, a commented default config file and
// the effective config for --print-config.
#include <sstream>

#include "config/config_values.h"
#include "config/layers.h"
#include "core/net.h"

namespace ms {
namespace config {
namespace {

constexpr size_t kWidth = 100;

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  for (size_t dot = path.find('.'); dot != std::string_view::npos; dot = path.find('.')) {
    parts.push_back(path.substr(0, dot));
    path.remove_prefix(dot + 1);
  }
  parts.push_back(path);
  return parts;
}

// `text` as "# " comment lines indented by `indent`, wrapped at kWidth.
std::string Comment(std::string_view text, size_t indent) {
  const std::string lead = std::string(indent, ' ') + "#";
  std::string out, line = lead;
  std::istringstream words{std::string(text)};
  for (std::string word; words >> word;) {
    if (line.size() > lead.size() && line.size() + 1 + word.size() > kWidth) {
      out += line + "\n";
      line = lead;
    }
    line += " " + word;
  }
  return out + line + "\n";
}

// Emits keys as nested YAML, opening section headers as paths change. `annotate` returns the
// comment lines before a key and `trailer` a same-line comment after its value.
template <typename Annotate, typename Trailer>
std::string EmitYaml(const Config& config, Annotate annotate, Trailer trailer) {
  std::string out;
  std::vector<std::string_view> open;  // sections currently open
  for (const KeySpec& spec : AllKeys()) {
    std::vector<std::string_view> parts = SplitPath(spec.path);
    size_t common = 0;
    while (common < open.size() && common + 1 < parts.size() && open[common] == parts[common]) {
      ++common;
    }
    if (common == 0 && !out.empty()) out += "\n";
    open.assign(parts.begin(), parts.begin() + common);
    for (; open.size() + 1 < parts.size(); open.push_back(parts[open.size()])) {
      out += std::string(2 * open.size(), ' ') + std::string(parts[open.size()]) + ":\n";
    }
    const size_t indent = 2 * open.size();
    out += annotate(spec, indent);
    out += std::string(indent, ' ') + std::string(parts.back()) + ": " + FormatValue(spec, config) +
           trailer(spec) + "\n";
  }
  return out;
}

Config TableDefaults() {
  Config config;
  Status status = ApplyDefaults(config);
  (void)status;  // the table's defaults are checked by unit tests
  return config;
}

std::string Cell(std::string text) {
  std::string out;
  for (char ch : text) out += ch == '|' ? std::string("\\|") : std::string(1, ch);
  return out;
}

std::string ReferenceTable() {
  const Config defaults = TableDefaults();
  std::string out =
      "| Key | Type | Default | Environment variable | Description |\n"
      "|---|---|---|---|---|\n";
  for (const KeySpec& spec : AllKeys()) {
    out += "| `" + std::string(spec.path) + "` | " + Cell(DescribeType(spec)) + " | `" +
           Cell(FormatValue(spec, defaults)) + "` | `" + EnvVarName(spec.path) + "` | " +
           Cell(std::string(spec.doc)) + " |\n";
  }
  return out;
}

std::string DefaultYaml() {
  auto annotate = [](const KeySpec& spec, size_t indent) {
    return Comment(
        std::string(spec.doc) + " [" + DescribeType(spec) + "; " + EnvVarName(spec.path) + "]",
        indent);
  };
  auto no_trailer = [](const KeySpec&) { return std::string(); };
  return EmitYaml(TableDefaults(), annotate, no_trailer);
}

// True for a librdkafka property that holds a credential: sasl.password, ssl.key.password,
// ssl.keystore.password, sasl.oauthbearer.client.secret, ssl.key.pem, sasl.oauthbearer.config ...
bool IsCredentialProperty(std::string_view name) {
  for (std::string_view word : {"password", "secret", "ssl.key.pem", "oauthbearer.config"}) {
    if (name.find(word) != std::string_view::npos) return true;
  }
  return false;
}

// Secrets print as "***" (FormatValue) followed by where they came from; so do credentials
// among the Kafka clients' properties and passwords inside URLs.
std::string DescribeConfig(const Config& config) {
  Config shown = config;
  for (KafkaClientConfig* client : {&shown.kafka.consumer, &shown.kafka.producer}) {
    for (auto& [name, value] : client->properties) {
      if (IsCredentialProperty(name)) value = "***";
    }
  }
  shown.llm.base_url = WithoutUrlPassword(shown.llm.base_url);
  shown.outbox.webhook_url = WithoutUrlPassword(shown.outbox.webhook_url);
  auto no_comment = [](const KeySpec&, size_t) { return std::string(); };
  auto origin = [&shown](const KeySpec& spec) -> std::string {
    if (spec.type != KeyType::kSecret) return "";
    const Secret& secret = std::get<FieldRef<Secret>>(spec.field)(shown);
    return secret.empty() ? "" : "  # from " + secret.origin();
  };
  return EmitYaml(shown, no_comment, origin);
}

}  // namespace
}  // namespace config

std::string RenderConfigReference() {
  return config::ReferenceTable();
}

std::string RenderDefaultYaml() {
  return config::DefaultYaml();
}

std::string Config::Describe() const {
  return config::DescribeConfig(*this);
}

}  // namespace ms
