// JSON parsing under limits, and typed field access for the decoders.
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/decode/decode_internal.h"

namespace ms::decode_internal {
namespace {

// Subtrees no decoder reads. Slack blocks repeat `text` in rich-text form and are often the
// largest part of a message; previous_message is the pre-edit copy.
bool IsSkippedKey(std::string_view key) {
  static constexpr std::array<std::string_view, 6> kSkipped = {
      "blocks", "previous_message", "reactions", "files", "authorizations", "pinned_to"};
  for (std::string_view skipped : kSkipped) {
    if (key == skipped) return true;
  }
  return false;
}

// Builds the DOM from nlohmann's SAX events, leaving out skipped subtrees and stopping at the
// first container nested deeper than the limit. Cheaper than the callback parser, which copies
// every key into a JSON value to ask about it. Strings and keys are moved out of the lexer,
// which nlohmann's SAX interface allows.
class BoundedDomBuilder {
 public:
  BoundedDomBuilder(int max_depth, Json* root) : max_depth_(max_depth), root_(root) {}

  bool too_deep() const { return too_deep_; }
  size_t error_byte() const { return error_byte_; }

  bool null() { return Value(Json()); }
  bool boolean(bool value) { return Value(Json(value)); }
  bool number_integer(Json::number_integer_t value) { return Value(Json(value)); }
  bool number_unsigned(Json::number_unsigned_t value) { return Value(Json(value)); }
  bool number_float(Json::number_float_t value, const Json::string_t&) {
    return Value(Json(value));
  }
  bool string(Json::string_t& value) { return Value(Json(std::move(value))); }
  bool binary(Json::binary_t&) { return true; }  // JSON text has none

  bool start_object(size_t) { return Open(Json::value_t::object); }
  bool start_array(size_t) { return Open(Json::value_t::array); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }

  bool key(Json::string_t& key) {
    if (skip_depth_ == 0) {
      skip_next_ = IsSkippedKey(key);
      key_ = std::move(key);
    }
    return true;
  }

  bool parse_error(size_t position, const std::string&, const nlohmann::detail::exception&) {
    error_byte_ = position;
    return false;
  }

 private:
  // Depth counts the containers enclosing the new one, so the top-level one is at 0; containers
  // inside skipped subtrees count too.
  bool Open(Json::value_t type) {
    if (depth_ >= max_depth_) {
      too_deep_ = true;
      return false;
    }
    ++depth_;
    if (skip_depth_ > 0 || std::exchange(skip_next_, false)) {
      ++skip_depth_;
      return true;
    }
    open_.push_back(Place(Json(type)));
    return true;
  }

  bool Close() {
    --depth_;
    if (skip_depth_ > 0) {
      --skip_depth_;
      return true;
    }
    open_.pop_back();
    return true;
  }

  bool Value(Json value) {
    if (skip_depth_ > 0 || std::exchange(skip_next_, false)) return true;
    Place(std::move(value));
    return true;
  }

  // Puts `value` where the parser is (the root, the pending key of the open object, or the end
  // of the open array) and returns where it went. An earlier duplicate key is overwritten.
  Json* Place(Json value) {
    if (open_.empty()) {
      *root_ = std::move(value);
      return root_;
    }
    Json& parent = *open_.back();
    if (parent.is_object()) {
      Json& slot = parent.get_ref<Json::object_t&>()[std::move(key_)];
      slot = std::move(value);
      return &slot;
    }
    auto& array = parent.get_ref<Json::array_t&>();
    array.push_back(std::move(value));
    return &array.back();
  }

  const int max_depth_;
  Json* root_;
  std::vector<Json*> open_;  // the containers being filled; a vector's back stays put meanwhile
  Json::string_t key_;       // of the value to come, in an object
  int depth_ = 0;
  int skip_depth_ = 0;      // > 0 inside a skipped subtree
  bool skip_next_ = false;  // the next value belongs to a skipped key
  bool too_deep_ = false;
  size_t error_byte_ = 0;
};

}  // namespace

MaybeError ParseBounded(std::string_view value, int max_depth, Json* root) {
  BoundedDomBuilder builder(max_depth, root);
  if (Json::sax_parse(value.begin(), value.end(), &builder)) return std::nullopt;
  if (builder.too_deep()) {
    return Error(DlqReason::kTooDeep, "JSON nesting exceeds " + std::to_string(max_depth));
  }
  // The parser's message quotes the offending input; only the offset goes into the detail.
  return Error(DlqReason::kInvalidJson,
               "JSON syntax error at byte " + std::to_string(builder.error_byte()));
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
  if (text.find('\r') == std::string_view::npos && text.find('\0') == std::string_view::npos) {
    return std::string(ascii::Trim(text));  // nothing to rewrite: the common case
  }
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
