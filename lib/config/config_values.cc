// Parsing one key's value: the single place types and ranges are enforced.
#include "config/config_values.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "config/duration.h"

namespace ms::config {
namespace {

template <typename T>
T& Ref(const KeySpec& spec, Config& config) {
  return std::get<FieldRef<T>>(spec.field)(config);
}

Status Bad(std::string_view value, std::string_view problem, const KeySpec& spec) {
  return InvalidArgument(QuoteForError(value) + " " + std::string(problem) + " (expected " +
                         ExpectedForm(spec) + ")");
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::vector<std::string_view> SplitCommas(std::string_view text) {
  std::vector<std::string_view> parts;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view part = Trim(text.substr(0, comma));
    if (!part.empty()) parts.push_back(part);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return parts;
}

Status ApplyBool(const KeySpec& spec, std::string_view text, Config& config) {
  const std::string word = Lower(text);
  if (word == "true" || word == "yes" || word == "on" || word == "1") {
    Ref<bool>(spec, config) = true;
  } else if (word == "false" || word == "no" || word == "off" || word == "0") {
    Ref<bool>(spec, config) = false;
  } else {
    return Bad(text, "is not a boolean", spec);
  }
  return Status::Ok();
}

Status ApplyInt(const KeySpec& spec, std::string_view text, Config& config) {
  int64_t value = 0;
  std::string_view digits = text.starts_with('+') ? text.substr(1) : text;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
    return Bad(text,
               error == std::errc::result_out_of_range ? "is out of range" : "is not an integer",
               spec);
  }
  if (value < spec.min || value > spec.max) return Bad(text, "is out of range", spec);
  Ref<int>(spec, config) = static_cast<int>(value);
  return Status::Ok();
}

Status ApplyDuration(const KeySpec& spec, std::string_view text, Config& config) {
  StatusOr<std::chrono::milliseconds> value = ParseDuration(text);
  if (!value.ok()) return value.status();  // names the text and the duration syntax
  if (value->count() < spec.min || value->count() > spec.max) {
    return Bad(text, "is out of range", spec);
  }
  Ref<std::chrono::milliseconds>(spec, config) = *value;
  return Status::Ok();
}

Status ApplyEnum(const KeySpec& spec, std::string_view text, Config& config) {
  const std::string word = Lower(text);
  for (size_t idx = 0; idx < spec.choices.size(); ++idx) {
    if (spec.choices[idx] == word) {
      std::get<EnumField>(spec.field).set(config, static_cast<int>(idx));
      return Status::Ok();
    }
  }
  return Bad(text, "is not an allowed value", spec);
}

Status ApplyString(const KeySpec& spec, std::string_view text, Config& config) {
  if (static_cast<int64_t>(text.size()) < spec.min) return Bad(text, "is empty", spec);
  Ref<std::string>(spec, config) = std::string(text);
  return Status::Ok();
}

StatusOr<double> ParsePrice(std::string_view text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() ||
      !std::isfinite(value) || value < 0) {
    return InvalidArgument(QuoteForError(text) +
                           " is not a price (expected a non-negative number of USD per "
                           "million tokens, e.g. 0.15)");
  }
  return value;
}

Status ApplyPriceText(const KeySpec& spec, std::string_view text, Config& config) {
  PriceMap prices;
  for (std::string_view item : SplitCommas(text)) {
    const size_t eq = item.find('=');
    const size_t slash = item.find('/', eq == std::string_view::npos ? 0 : eq);
    if (eq == std::string_view::npos || eq == 0 || slash == std::string_view::npos) {
      return InvalidArgument(QuoteForError(item) +
                             " is not a model=input/output[/cached_input[/batch_multiplier]] "
                             "price (expected e.g. gpt-4o-mini=0.15/0.6/0.075/0.5,"
                             "claude-sonnet-4=3/15)");
    }
    // An optional third field after a second slash: the cached-input rate.
    const size_t cached_slash = item.find('/', slash + 1);
    const size_t output_end = cached_slash == std::string_view::npos ? item.size() : cached_slash;
    ModelPrice price;
    MS_ASSIGN_OR_RETURN(price.input_per_mtok,
                        ParsePrice(Trim(item.substr(eq + 1, slash - eq - 1))));
    MS_ASSIGN_OR_RETURN(price.output_per_mtok,
                        ParsePrice(Trim(item.substr(slash + 1, output_end - slash - 1))));
    if (cached_slash != std::string_view::npos) {
      // A fourth field after a third slash: the batch multiplier.
      const size_t batch_slash = item.find('/', cached_slash + 1);
      const size_t cached_end = batch_slash == std::string_view::npos ? item.size() : batch_slash;
      MS_ASSIGN_OR_RETURN(
          price.cached_input_per_mtok,
          ParsePrice(Trim(item.substr(cached_slash + 1, cached_end - cached_slash - 1))));
      if (batch_slash != std::string_view::npos) {
        MS_ASSIGN_OR_RETURN(price.batch_multiplier, ParsePrice(Trim(item.substr(batch_slash + 1))));
        if (price.batch_multiplier > 1) {
          return InvalidArgument(QuoteForError(item) +
                                 " has a batch multiplier above 1 (expected a fraction of the "
                                 "price from 0 to 1, e.g. gpt-4o-mini=0.15/0.6/0.075/0.5)");
        }
      }
    }
    prices[std::string(Trim(item.substr(0, eq)))] = price;
  }
  return ApplyPrices(spec, std::move(prices), config);
}

Status ApplyMapText(const KeySpec& spec, std::string_view text, Config& config) {
  StringMap entries;
  for (std::string_view item : SplitCommas(text)) {
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || Trim(item.substr(0, eq)).empty()) {
      return InvalidArgument(QuoteForError(item) +
                             " is not a key=value pair (expected key=value pairs separated "
                             "by commas, e.g. security.protocol=SASL_SSL,sasl.mechanism=PLAIN)");
    }
    entries[std::string(Trim(item.substr(0, eq)))] = std::string(Trim(item.substr(eq + 1)));
  }
  return ApplyMap(spec, std::move(entries), config);
}

}  // namespace

Status ApplyScalar(const KeySpec& spec, std::string_view text, std::string_view origin,
                   Config& config) {
  switch (spec.type) {
    case KeyType::kString:
    case KeyType::kPath:
      return ApplyString(spec, text, config);
    case KeyType::kSecret:
      Ref<Secret>(spec, config) =
          text.empty() ? Secret() : Secret(std::string(text), std::string(origin));
      return Status::Ok();
    case KeyType::kEnum:
      return ApplyEnum(spec, text, config);
    case KeyType::kBool:
      return ApplyBool(spec, text, config);
    case KeyType::kInt:
      return ApplyInt(spec, text, config);
    case KeyType::kDuration:
      return ApplyDuration(spec, text, config);
    case KeyType::kList:
    case KeyType::kMap:
    case KeyType::kPrices:
      break;
  }
  return Internal(std::string(spec.path) + " is not a scalar key");
}

Status ApplyList(const KeySpec& spec, std::vector<std::string> items, Config& config) {
  for (const std::string& item : items) {
    if (item.empty())
      return InvalidArgument("\"\" is not a valid item (expected non-empty strings)");
  }
  if (static_cast<int64_t>(items.size()) < spec.min) {
    return InvalidArgument("[] is empty (expected " + ExpectedForm(spec) + ")");
  }
  Ref<std::vector<std::string>>(spec, config) = std::move(items);
  return Status::Ok();
}

Status ApplyMap(const KeySpec& spec, StringMap entries, Config& config) {
  if (entries.count("") != 0) return InvalidArgument("\"\" is not a valid property name");
  Ref<StringMap>(spec, config) = std::move(entries);
  return Status::Ok();
}

Status ApplyPrices(const KeySpec& spec, PriceMap prices, Config& config) {
  if (prices.count("") != 0) return InvalidArgument("\"\" is not a valid model name");
  Ref<PriceMap>(spec, config) = std::move(prices);
  return Status::Ok();
}

Status ApplyText(const KeySpec& spec, std::string_view text, std::string_view origin,
                 Config& config) {
  switch (spec.type) {
    case KeyType::kList: {
      std::vector<std::string> items;
      for (std::string_view item : SplitCommas(text)) items.emplace_back(item);
      return ApplyList(spec, std::move(items), config);
    }
    case KeyType::kMap:
      return ApplyMapText(spec, text, config);
    case KeyType::kPrices:
      return ApplyPriceText(spec, text, config);
    default:
      return ApplyScalar(spec, text, origin, config);
  }
}

StatusOr<double> ParsePriceText(std::string_view text) {
  return ParsePrice(Trim(text));
}

}  // namespace ms::config
