// Writing one key's value and type in words: for docs, config.yaml and --print-config.
#include <charconv>
#include <cstdio>

#include "config/config_values.h"
#include "config/duration.h"

namespace ms::config {
namespace {

template <typename T>
const T& CRef(const KeySpec& spec, const Config& config) {
  // Accessors take Config& so one table serves reading and writing; this path only reads.
  return std::get<FieldRef<T>>(spec.field)(const_cast<Config&>(config));
}

// A YAML double-quoted scalar (JSON escapes are valid YAML).
std::string Quote(std::string_view text) {
  std::string out = "\"";
  for (char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (ch == '\n') {
      out += "\\n";
    } else if (ch == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "\\x%02x", byte);
      out += hex;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string FormatList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const std::string& item : items) out += (out.size() > 1 ? ", " : "") + Quote(item);
  return out + "]";
}

std::string FormatMap(const StringMap& entries) {
  std::string out = "{";
  for (const auto& [key, value] : entries) {
    out += (out.size() > 1 ? ", " : "") + Quote(key) + ": " + Quote(value);
  }
  return out + "}";
}

std::string FormatPrices(const PriceMap& prices) {
  std::string out = "{";
  for (const auto& [model, price] : prices) {
    out += (out.size() > 1 ? ", " : "") + Quote(model) +
           ": {input_per_mtok: " + FormatNumber(price.input_per_mtok) +
           ", output_per_mtok: " + FormatNumber(price.output_per_mtok) +
           (price.cached_input_per_mtok
                ? ", cached_input_per_mtok: " + FormatNumber(*price.cached_input_per_mtok)
                : std::string()) +
           (price.batch_multiplier != 0.5
                ? ", batch_multiplier: " + FormatNumber(price.batch_multiplier)
                : std::string()) +
           "}";
  }
  return out + "}";
}

std::string Range(const KeySpec& spec) {
  if (spec.type == KeyType::kDuration) {
    return FormatDuration(std::chrono::milliseconds(spec.min)) + ".." +
           FormatDuration(std::chrono::milliseconds(spec.max));
  }
  return std::to_string(spec.min) + ".." + std::to_string(spec.max);
}

std::string Choices(const KeySpec& spec) {
  std::string out;
  for (std::string_view choice : spec.choices) {
    out += (out.empty() ? "" : ", ") + std::string(choice);
  }
  return out;
}

}  // namespace

std::string FormatNumber(double value) {
  char buffer[32];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (error != std::errc()) return "0";
  return std::string(buffer, end);
}

std::string FormatValue(const KeySpec& spec, const Config& config) {
  switch (spec.type) {
    case KeyType::kString:
    case KeyType::kPath:
      return Quote(CRef<std::string>(spec, config));
    case KeyType::kSecret:
      return CRef<Secret>(spec, config).empty() ? "\"\"" : "\"***\"";
    case KeyType::kEnum:
      return std::string(spec.choices[std::get<EnumField>(spec.field).get(config)]);
    case KeyType::kBool:
      return CRef<bool>(spec, config) ? "true" : "false";
    case KeyType::kInt:
      return std::to_string(CRef<int>(spec, config));
    case KeyType::kDuration:
      return FormatDuration(CRef<std::chrono::milliseconds>(spec, config));
    case KeyType::kList:
      return FormatList(CRef<std::vector<std::string>>(spec, config));
    case KeyType::kMap:
      return FormatMap(CRef<StringMap>(spec, config));
    case KeyType::kPrices:
      return FormatPrices(CRef<PriceMap>(spec, config));
  }
  return "";
}

bool HasValue(const KeySpec& spec, const Config& config) {
  const std::string text = FormatValue(spec, config);
  return text != "\"\"" && text != "[]" && text != "{}";
}

std::string DescribeType(const KeySpec& spec) {
  switch (spec.type) {
    case KeyType::kString:
      return spec.min > 0 ? "non-empty string" : "string";
    case KeyType::kPath:
      return "file path";
    case KeyType::kSecret:
      return "secret string";
    case KeyType::kEnum:
      return "one of: " + Choices(spec);
    case KeyType::kBool:
      return "boolean";
    case KeyType::kInt:
      return "integer in " + Range(spec);
    case KeyType::kDuration:
      return "duration in " + Range(spec);
    case KeyType::kList:
      return spec.min > 0 ? "non-empty list of strings" : "list of strings";
    case KeyType::kMap:
      return "map of string to string";
    case KeyType::kPrices:
      return "map of model to price";
  }
  return "";
}

std::string ExpectedForm(const KeySpec& spec) {
  switch (spec.type) {
    case KeyType::kEnum:
      return "one of: " + Choices(spec);
    case KeyType::kBool:
      return "true or false";
    case KeyType::kInt:
      return "an integer in " + Range(spec);
    default:
      return "a " + DescribeType(spec);
  }
}

std::string QuoteForError(std::string_view value) {
  constexpr size_t kMaxShown = 80;
  if (value.size() <= kMaxShown) return Quote(value);
  return Quote(value.substr(0, kMaxShown)) + "...";
}

}  // namespace ms::config
