// JSON parsing under limits, and typed field access for the decoders.
#include <array>
#include <string>

#include "pipeline/decode_internal.h"

namespace ms::decode_internal {
namespace {

// Thrown from the parser callback to stop parsing at the first too-deep container; caught in
// ParseBounded, never escapes it.
struct TooDeep {};

// Subtrees no decoder reads. Slack blocks repeat `text` in rich-text form and are often the
// largest part of a message; previous_message is the pre-edit copy.
bool IsSkippedKey(const std::string& key) {
  static constexpr std::array<std::string_view, 6> kSkipped = {
      "blocks", "previous_message", "reactions", "files", "authorizations", "pinned_to"};
  for (std::string_view skipped : kSkipped) {
    if (key == skipped) return true;
  }
  return false;
}

}  // namespace

MaybeError ParseBounded(std::string_view value, int max_depth, Json* root) {
  // `depth` counts the containers enclosing the event, so the top-level object starts at 0.
  // The callback sees every container, including those inside skipped subtrees.
  auto callback = [max_depth](int depth, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
      case Json::parse_event_t::array_start:
        if (depth >= max_depth) throw TooDeep{};
        return true;
      case Json::parse_event_t::key:
        return !IsSkippedKey(parsed.get_ref<const std::string&>());
      default:
        return true;
    }
  };
  try {
    *root = Json::parse(value.begin(), value.end(), callback);
  } catch (const TooDeep&) {
    return Error(DlqReason::kTooDeep, "JSON nesting exceeds " + std::to_string(max_depth));
  } catch (const Json::parse_error& e) {
    // e.what() quotes the offending input; only the offset goes into the detail.
    return Error(DlqReason::kInvalidJson, "JSON syntax error at byte " + std::to_string(e.byte));
  }
  return std::nullopt;
}

const Json* Fields::Get(std::string_view key) const {
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

MaybeError Fields::String(std::string_view key, std::string* out) const {
  const Json* member = Get(key);
  if (member == nullptr) return std::nullopt;
  if (!member->is_string()) return BadField(key, "is not a string");
  *out = member->get_ref<const std::string&>();
  return std::nullopt;
}

MaybeError Fields::RequiredString(std::string_view key, std::string* out) const {
  if (Get(key) == nullptr) return BadField(key, "is missing");
  if (auto error = String(key, out)) return error;
  if (ascii::Trim(*out).empty()) return BadField(key, "is empty");
  return std::nullopt;
}

std::optional<Fields> Fields::Object(std::string_view key, MaybeError* error) const {
  const Json* member = Get(key);
  if (member == nullptr) return std::nullopt;
  if (!member->is_object()) {
    *error = BadField(key, "is not an object");
    return std::nullopt;
  }
  return Fields(*member, PathOf(key));
}

std::string Fields::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

DecodeError Fields::BadField(std::string_view key, std::string_view problem) const {
  return Error(DlqReason::kBadField, "field '" + PathOf(key) + "' " + std::string(problem));
}

std::string SafeToken(std::string_view token) {
  constexpr size_t kMaxTokenLength = 32;
  auto allowed = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '/' || c == '+' || c == '-';
  };
  if (token.empty() || token.size() > kMaxTokenLength) return "<redacted>";
  for (char c : token) {
    if (!allowed(c)) return "<redacted>";
  }
  return std::string(token);
}

std::string NormalizeText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c == '\0') continue;
    if (c == '\r') {
      out.push_back('\n');
      if (pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
      continue;
    }
    out.push_back(c);
  }
  return std::string(ascii::Trim(out));
}

}  // namespace ms::decode_internal
