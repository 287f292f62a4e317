// DecodeMessage: limits, parsing, shape dispatch, normalization and company resolution.
#include "pipeline/decode/decode.h"

#include <new>

#include "pipeline/decode/decode_internal.h"
#include "pipeline/text/utf8.h"

namespace ms {
namespace {

using decode_internal::Error;
using decode_internal::Fields;
using decode_internal::Json;
using decode_internal::MaybeError;

struct Metadata {
  std::optional<Source> source;
  std::string company_id;
};

MaybeError ReadMetadata(const Fields& root, Metadata* out) {
  MaybeError error;
  const std::optional<Fields> metadata = root.Object("metadata", &error);
  if (error || !metadata) return error;
  std::string source;
  if (auto source_error = metadata->String("source", &source)) return source_error;
  if (source == "slack") {
    out->source = Source::kSlack;
  } else if (source == "gmail") {
    out->source = Source::kGmail;
  } else if (!source.empty()) {
    return metadata->BadField("source", "is neither \"slack\" nor \"gmail\"");
  }
  return metadata->String("company_id", &out->company_id);
}

std::optional<Source> SourceFromTopic(std::string_view topic) {
  const bool slack = topic.find("slack") != std::string_view::npos;
  const bool gmail = topic.find("gmail") != std::string_view::npos;
  if (slack == gmail) return std::nullopt;
  return slack ? Source::kSlack : Source::kGmail;
}

// The body's shape decides; metadata.source breaks ties and may not contradict it; the topic
// name is consulted only when the body looks like both and metadata is silent.
MaybeError DetectSource(const Fields& root, std::optional<Source> declared, std::string_view topic,
                        Source* source) {
  const Json& json = root.json();
  const auto type = json.find("type");
  const bool slack_shaped =
      type != json.end() && type->is_string() && (*type == "message" || *type == "event_callback");
  const bool gmail_shaped = json.contains("payload");
  if (slack_shaped != gmail_shaped) {
    *source = slack_shaped ? Source::kSlack : Source::kGmail;
    if (declared && *declared != *source) {
      return Error(DlqReason::kUnknownShape,
                   "metadata.source says " + std::string(SourceName(*declared)) +
                       " but the body is " + std::string(SourceName(*source)));
    }
    return std::nullopt;
  }
  std::optional<Source> hint = declared;
  const bool both_shapes = slack_shaped;
  if (!hint && both_shapes) hint = SourceFromTopic(topic);
  if (!hint) return Error(DlqReason::kUnknownShape, "neither a Slack nor a Gmail message");
  *source = *hint;
  return std::nullopt;
}

std::string SanitizeField(std::string_view value) {
  if (value.find('\0') == std::string_view::npos) return std::string(ascii::Trim(value));
  std::string out;
  out.reserve(value.size());
  for (char c : ascii::Trim(value)) {
    if (c != '\0') out.push_back(c);
  }
  return out;
}

MaybeError NormalizeFields(const DecodeLimits& limits, Message* msg) {
  msg->text = decode_internal::NormalizeText(msg->text);
  msg->sender = SanitizeField(msg->sender);
  msg->subject = SanitizeField(msg->subject);
  msg->thread_id = SanitizeField(msg->thread_id);
  msg->source_msg_id = SanitizeField(msg->source_msg_id);
  if (msg->text.empty()) return Error(DlqReason::kNoText, "message text is empty");
  const size_t chars = utf8::CountCodePoints(msg->text);
  if (chars > limits.max_text_chars) {
    return Error(DlqReason::kTooLarge, "text has " + std::to_string(chars) + " characters, limit " +
                                           std::to_string(limits.max_text_chars));
  }
  return std::nullopt;
}

MaybeError ResolveCompany(std::string_view key, std::string_view from_metadata,
                          std::string_view fallback, std::string* company_id) {
  const std::string_view trimmed_key = ascii::Trim(key);
  const std::string_view trimmed_meta = ascii::Trim(from_metadata);
  std::string_view chosen = trimmed_key;
  std::string_view origin = "key";
  if (chosen.empty()) {
    chosen = trimmed_meta;
    origin = "metadata.company_id";
  }
  if (chosen.empty()) {
    if (fallback.empty() || !IsValidCompanyId(fallback)) {
      return Error(DlqReason::kNoCompany, fallback.empty() ? "no company in key or metadata"
                                                           : "default company id is invalid");
    }
    chosen = fallback;
  } else if (!IsValidCompanyId(chosen)) {
    return Error(DlqReason::kBadField,
                 "field '" + std::string(origin) + "' is not a valid company id");
  }
  *company_id = std::string(chosen);
  return std::nullopt;
}

// Steps 1-3 of the header's order: size, UTF-8, JSON within the depth limit, an object.
MaybeError ParseValue(std::string_view value, const DecodeLimits& limits, Json* json) {
  if (value.size() > limits.max_message_bytes) {
    return Error(DlqReason::kTooLarge, "message is " + std::to_string(value.size()) +
                                           " bytes, limit " +
                                           std::to_string(limits.max_message_bytes));
  }
  if (const size_t bad = utf8::FindInvalid(value); bad != utf8::kValid) {
    return Error(DlqReason::kInvalidUtf8, "ill-formed UTF-8 at byte " + std::to_string(bad));
  }
  if (auto error = decode_internal::ParseBounded(value, limits.max_json_depth, json)) {
    return error;
  }
  if (!json->is_object()) {
    return Error(DlqReason::kUnknownShape,
                 std::string("top-level JSON is ") + json->type_name() + ", not object");
  }
  return std::nullopt;
}

// Steps 4-7: shape, fields, text, company.
MaybeError DecodeObject(const Fields& root, std::string_view key, const DecodeLimits& limits,
                        Message* msg) {
  Metadata metadata;
  if (auto error = ReadMetadata(root, &metadata)) return error;
  if (auto error = DetectSource(root, metadata.source, msg->position.topic, &msg->source)) {
    return error;
  }
  MaybeError error = msg->source == Source::kSlack ? decode_internal::DecodeSlack(root, msg)
                                                   : decode_internal::DecodeGmail(root, msg);
  if (!error) error = NormalizeFields(limits, msg);
  if (!error) {
    error = ResolveCompany(key, metadata.company_id, limits.default_company, &msg->company_id);
  }
  return error;
}

DecodeResult DecodeUnchecked(std::string_view topic, std::string_view key, std::string_view value,
                             const DecodeLimits& limits) {
  Json json;
  if (auto error = ParseValue(value, limits, &json)) return DecodeResult::Fail(std::move(*error));
  Message msg;
  msg.position.topic = std::string(topic);
  if (auto error = DecodeObject(Fields(json, ""), key, limits, &msg)) {
    return DecodeResult::Fail(std::move(*error));
  }
  return DecodeResult::Ok(std::move(msg));
}

}  // namespace

std::string_view DlqReasonCode(DlqReason reason) {
  switch (reason) {
    case DlqReason::kInvalidJson:
      return "invalid_json";
    case DlqReason::kInvalidUtf8:
      return "invalid_utf8";
    case DlqReason::kTooLarge:
      return "too_large";
    case DlqReason::kTooDeep:
      return "too_deep";
    case DlqReason::kNoText:
      return "no_text";
    case DlqReason::kNoCompany:
      return "no_company";
    case DlqReason::kBadBase64:
      return "bad_base64";
    case DlqReason::kUnknownShape:
      return "unknown_shape";
    case DlqReason::kBadField:
      return "bad_field";
  }
  return "unknown";
}

bool IsValidCompanyId(std::string_view company_id) {
  constexpr size_t kMaxLength = 128;
  if (company_id.empty() || company_id.size() > kMaxLength) return false;
  for (char c : company_id) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' || c == '-';
    if (!allowed) return false;
  }
  return true;
}

DecodeResult DecodeMessage(std::string_view topic, std::string_view key, std::string_view value,
                           const DecodeLimits& limits) noexcept {
  // Decoders check types before every access, so nothing below should throw; this is the
  // backstop that keeps a bug or an allocation failure from crossing into the worker.
  try {
    return DecodeUnchecked(topic, key, value, limits);
  } catch (const std::bad_alloc&) {
    return DecodeResult::Fail(DlqReason::kTooLarge, "out of memory while decoding");
  } catch (...) {
    return DecodeResult::Fail(DlqReason::kBadField, "unexpected decoder error");
  }
}

}  // namespace ms
