// Gmail API users.messages.get?format=full: headers, MIME tree walk, body decoding.
#include <charconv>
#include <cstdint>

#include "pipeline/decode/base64url.h"
#include "pipeline/decode/decode_internal.h"
#include "pipeline/decode/html_text.h"
#include "pipeline/decode/mail_date.h"
#include "pipeline/decode/mime_text.h"
#include "pipeline/text/ascii.h"

namespace ms::decode_internal {
namespace {

struct TopHeaders {
  std::string from;
  std::string subject;
  std::string date;
};

// The inline text parts found in the MIME tree; the first of each kind wins.
struct TextParts {
  std::optional<Fields> plain;
  std::optional<Fields> html;
};

// Value of header `name` in a part's `headers` array; malformed entries are skipped here and
// rejected by ReadTopHeaders for the top-level part.
std::string PartHeader(const Fields& part, std::string_view name) {
  const Json* headers = part.Get("headers");
  if (headers == nullptr || !headers->is_array()) return "";
  for (const Json& header : *headers) {
    if (!header.is_object()) continue;
    const auto key = header.find("name");
    const auto value = header.find("value");
    if (key == header.end() || value == header.end() || !key->is_string() || !value->is_string()) {
      continue;
    }
    if (ascii::EqualsIgnoreCase(key->get_ref<const std::string&>(), name)) {
      return value->get_ref<const std::string&>();
    }
  }
  return "";
}

MaybeError ReadTopHeaders(const Fields& payload, TopHeaders* out) {
  const Json* headers = payload.Get("headers");
  if (headers == nullptr) return std::nullopt;
  if (!headers->is_array()) return payload.BadField("headers", "is not an array");
  for (const Json& header : *headers) {
    const bool well_formed = header.is_object() && header.contains("name") &&
                             header.contains("value") && header["name"].is_string() &&
                             header["value"].is_string();
    if (!well_formed) return payload.BadField("headers", "has an entry without string name/value");
  }
  out->from = DecodeMimeWords(PartHeader(payload, "From"));
  out->subject = DecodeMimeWords(PartHeader(payload, "Subject"));
  out->date = PartHeader(payload, "Date");
  return std::nullopt;
}

bool IsAttachment(const Fields& part) {
  const Json* filename = part.Get("filename");
  if (filename != nullptr && filename->is_string() &&
      !ascii::Trim(filename->get_ref<const std::string&>()).empty()) {
    return true;
  }
  return ascii::Lower(ascii::Trim(PartHeader(part, "Content-Disposition")))
      .starts_with("attachment");
}

bool HasBodyData(const Fields& part) {
  const Json* body = part.Get("body");
  return body != nullptr && body->is_object() && body->contains("data") &&
         !(*body)["data"].is_null();
}

MaybeError CollectTextParts(const Fields& part, TextParts* out);

MaybeError CollectChildren(const Fields& part, TextParts* out) {
  const Json* parts = part.Get("parts");
  if (parts == nullptr) return std::nullopt;
  if (!parts->is_array()) return part.BadField("parts", "is not an array");
  for (size_t idx = 0; idx < parts->size(); ++idx) {
    const std::string path = part.PathOf("parts") + "[" + std::to_string(idx) + "]";
    if (!(*parts)[idx].is_object()) {
      return Error(DlqReason::kBadField, "field '" + path + "' is not an object");
    }
    if (auto error = CollectTextParts(Fields((*parts)[idx], path), out)) return error;
  }
  return std::nullopt;
}

// Depth-first over the MIME tree; recursion depth is bounded by the JSON depth limit.
MaybeError CollectTextParts(const Fields& part, TextParts* out) {
  std::string mime_type;
  if (auto error = part.String("mimeType", &mime_type)) return error;
  mime_type = ascii::Lower(ascii::Trim(mime_type));
  if (mime_type.starts_with("multipart/") || (mime_type.empty() && part.Get("parts"))) {
    return CollectChildren(part, out);
  }
  if (IsAttachment(part) || !HasBodyData(part)) return std::nullopt;
  // A part without a type is text/plain (RFC 2045 §5.2).
  if ((mime_type == "text/plain" || mime_type.empty()) && !out->plain) out->plain.emplace(part);
  if (mime_type == "text/html" && !out->html) out->html.emplace(part);
  return std::nullopt;
}

MaybeError DecodePartText(const Fields& part, bool html, std::string* text) {
  MaybeError error;
  const std::optional<Fields> body = part.Object("body", &error);
  if (error) return error;
  std::string data;
  if (auto data_error = body->String("data", &data)) return data_error;
  std::optional<std::string> bytes = DecodeBase64Url(data);
  if (!bytes) {
    return Error(DlqReason::kBadBase64, "field '" + body->PathOf("data") + "' is not base64url");
  }
  const std::string charset = CharsetParam(PartHeader(part, "Content-Type"));
  std::optional<std::string> utf8_text = TranscodeToUtf8(*bytes, charset);
  if (!utf8_text) {
    return Error(DlqReason::kInvalidUtf8, "body of '" + body->PathOf("data") +
                                              "' is not valid in charset '" +
                                              SafeToken(charset.empty() ? "utf-8" : charset) + "'");
  }
  *text = html ? HtmlToText(*utf8_text) : std::move(*utf8_text);
  return std::nullopt;
}

MaybeError ReadBody(const Fields& payload, std::string* text) {
  TextParts parts;
  if (auto error = CollectTextParts(payload, &parts)) return error;
  if (parts.plain) {
    MaybeError error = DecodePartText(*parts.plain, /*html=*/false, text);
    // Some senders ship an empty text/plain alternative beside the real HTML one.
    if (error || !ascii::Trim(*text).empty() || !parts.html) return error;
  }
  if (parts.html) return DecodePartText(*parts.html, /*html=*/true, text);
  return Error(DlqReason::kNoText, "Gmail message has no inline text/plain or text/html part");
}

// internalDate is an int64 of epoch ms, which the API serializes as a string.
MaybeError ReadSentAt(const Fields& root, std::string_view date_header, int64_t* sent_at_ms) {
  const Json* internal_date = root.Get("internalDate");
  if (internal_date == nullptr) {
    *sent_at_ms = ParseMailDateMs(date_header).value_or(0);
    return std::nullopt;
  }
  int64_t value = -1;
  if (internal_date->is_number_integer()) {
    value = internal_date->get<int64_t>();
  } else if (internal_date->is_string()) {
    const std::string& digits = internal_date->get_ref<const std::string&>();
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || end != digits.data() + digits.size()) value = -1;
  }
  if (value < 0) return root.BadField("internalDate", "is not a millisecond timestamp");
  *sent_at_ms = value;
  return std::nullopt;
}

}  // namespace

MaybeError DecodeGmail(const Fields& root, Message* msg) {
  msg->source = Source::kGmail;
  if (auto error = root.RequiredString("id", &msg->source_msg_id)) return error;
  if (auto error = root.String("threadId", &msg->thread_id)) return error;
  MaybeError error;
  const std::optional<Fields> payload = root.Object("payload", &error);
  if (error) return error;
  if (!payload) return Error(DlqReason::kUnknownShape, "Gmail message without a payload");
  TopHeaders headers;
  if (auto header_error = ReadTopHeaders(*payload, &headers)) return header_error;
  msg->sender = std::move(headers.from);
  msg->subject = std::move(headers.subject);
  if (auto date_error = ReadSentAt(root, headers.date, &msg->sent_at_ms)) return date_error;
  return ReadBody(*payload, &msg->text);
}

}  // namespace ms::decode_internal
