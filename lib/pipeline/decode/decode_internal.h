// Internal to the decode stage: shared helpers for the per-shape decoders. Not a public API.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "pipeline/decode/decode.h"
#include "pipeline/text/ascii.h"

namespace ms::decode_internal {

using Json = nlohmann::json;

// nullopt means success; an error is returned up unchanged to DecodeMessage.
using MaybeError = std::optional<DecodeError>;

inline DecodeError Error(DlqReason reason, std::string detail) {
  return DecodeError{reason, std::move(detail)};
}

// Parses `value` into `*root`, refusing nesting deeper than `max_depth` containers and
// skipping subtrees no decoder reads. kInvalidJson / kTooDeep on failure.
MaybeError ParseBounded(std::string_view value, int max_depth, Json* root);

// Typed, path-aware access to the members of one JSON object, so errors name the full field
// ("event.message.text"). A member that is absent or null reads as absent.
class Fields {
 public:
  // `object` must be a JSON object and outlive this view.
  Fields(const Json& object, std::string path) : object_(object), path_(std::move(path)) {}

  // Member `key`, or nullptr when absent or null.
  const Json* Get(std::string_view key) const;
  // Reads a string member into *out; absent leaves *out unchanged; other types are kBadField.
  MaybeError String(std::string_view key, std::string* out) const;
  // Like String, but absent or empty is kBadField too.
  MaybeError RequiredString(std::string_view key, std::string* out) const;
  // Sub-object view; absent is nullopt with *error unset, another type sets *error.
  std::optional<Fields> Object(std::string_view key, MaybeError* error) const;

  // "event.message" + "." + key, or just key at the top level.
  std::string PathOf(std::string_view key) const;
  DecodeError BadField(std::string_view key, std::string_view problem) const;
  const Json& json() const { return object_; }

 private:
  const Json& object_;
  std::string path_;
};

// Per-shape decoders: fill source, source_msg_id, sender, subject, text (raw, normalized later),
// sent_at_ms, thread_id and is_edit of *msg. `root` is the top-level object.
MaybeError DecodeSlack(const Fields& root, Message* msg);
MaybeError DecodeGmail(const Fields& root, Message* msg);

// `token` if it is a short identifier (<= 32 of [A-Za-z0-9_./+-]), else "<redacted>": lets an
// error detail name a Slack event type or a charset without ever echoing free text.
std::string SafeToken(std::string_view token);

// Message text as stored: CRLF/CR -> LF, NUL removed, ASCII whitespace trimmed.
std::string NormalizeText(std::string_view text);

}  // namespace ms::decode_internal
