// Reading and writing one key's value, with the range and type checks from its KeySpec.
// The YAML reader, the environment layer and the renderers share these, so a value is
// accepted or rejected the same way wherever it is written.
//
// Errors are InvalidArgument with a message like
//   "many" is not an integer (expected an integer in 1..100000)
// i.e. without the key or variable name: the caller prefixes it with where the value came
// from. A secret's value never appears in a message.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config_keys.h"
#include "core/status.h"

namespace ms::config {

// Scalar keys (string, path, secret, enum, bool, int, duration) from their text. `origin`
// is recorded in a Secret ("env MILESTONE_REDIS_PASSWORD") and ignored otherwise.
Status ApplyScalar(const KeySpec& spec, std::string_view text, std::string_view origin,
                   Config& config);
Status ApplyList(const KeySpec& spec, std::vector<std::string> items, Config& config);
Status ApplyMap(const KeySpec& spec, StringMap entries, Config& config);
Status ApplyPrices(const KeySpec& spec, PriceMap prices, Config& config);

// Any key from environment-variable syntax: scalars as text, lists comma-separated
// ("a, b"), maps "k=v,k=v", prices "model=input/output,...". Also applies table defaults.
Status ApplyText(const KeySpec& spec, std::string_view text, std::string_view origin,
                 Config& config);

// The value as YAML (always quoted strings, flow-style lists and maps); a set secret is
// "***", an unset one "".
std::string FormatValue(const KeySpec& spec, const Config& config);

// False for an empty string, path, secret, list or map.
bool HasValue(const KeySpec& spec, const Config& config);

// The value's type and allowed range in words: "integer in 1..100000", "duration in
// 1ms..1m", "one of: trace, debug, info, warn, error".
std::string DescribeType(const KeySpec& spec);

// What an error message asks for: "an integer in 1..100000", "true or false", "one of: ...".
std::string ExpectedForm(const KeySpec& spec);

// One price (USD per million tokens): a non-negative decimal.
StatusOr<double> ParsePriceText(std::string_view text);

// A value quoted for an error message: escaped, cut at 80 characters, always one line.
std::string QuoteForError(std::string_view value);

// A price as written in YAML/env: "0.15" (shortest exact-enough decimal).
std::string FormatNumber(double value);

}  // namespace ms::config
