// Decode, validate and normalize one Kafka record into an ms::Message (design §2).
//
// Pure code: no I/O, no clock, no logging, no shared state; safe to call from any number of
// threads at once. Every failure is a value naming a stable DLQ reason, never an exception.
//
// Accepted shapes (the source is decided from the shape; metadata.source breaks ties and must
// not contradict it; the topic name only breaks ties when both are silent):
//   - Slack Events API envelope: {"type":"event_callback","event":{"type":"message",...}}.
//     Any other event type is kUnknownShape.
//   - Slack message object (conversations.history/replies, exports): {"type":"message",...}.
//   - Slack subtype message_changed: the edited `message` is decoded with is_edit=true; its
//     identity is that of the original message, so the store replaces the text in place
//     (provided the edited copy carries the same client_msg_id as the original, as Slack does).
//   - Slack subtype bot_message: sender is `username`, else `bot_id`.
//   - Slack subtype message_deleted carries no message: kUnknownShape. Other subtypes
//     (channel_join, thread_broadcast, ...) decode as plain messages; the prefilter drops chatter.
//   - Gmail API users.messages.get?format=full: {"id":..,"payload":{mimeType, headers, body,
//     parts}}; nested multipart is walked depth-first, the first inline text/plain part wins
//     (other text/plain parts are not appended), else -- or when that part is blank -- the
//     first inline text/html part converted to text (see html_text.h). Parts with a filename,
//     "Content-Disposition: attachment" or no inline `body.data` (attachmentId only) are
//     ignored. A part without mimeType is text/plain (RFC 2045), or multipart if it has parts.
//   - Any of the above with a "metadata" object beside the body (source, company_id, topic),
//     as the bundled CSV producer writes.
//
// Normalized fields (see core/message.h):
//   company_id     Kafka key if non-empty after trimming ASCII whitespace; else
//                  metadata.company_id; else DecodeLimits::default_company; else kNoCompany.
//                  Whichever is chosen must be a valid company id (IsValidCompanyId), else
//                  kBadField ("key" / "metadata.company_id") or kNoCompany (default). An invalid
//                  key is rejected rather than skipped: silently filing a message under another
//                  company is worse than a DLQ entry.
//   source_msg_id  Slack: client_msg_id, else "channel:ts", else ts alone (history exports
//                  omit the channel; ts has microsecond resolution, so collisions need two
//                  channels posting in the same microsecond). Gmail: `id` (required).
//   sender         Slack: user, else username, else bot_id (bot_message: username, bot_id,
//                  user). Gmail: the From header as written ("Name <addr>"), RFC 2047 decoded.
//   subject        Gmail Subject header, RFC 2047 decoded; empty for Slack.
//   text           Slack: `text` with &amp; &lt; &gt; unescaped (Slack's only escapes; mrkdwn
//                  such as <@U123> is kept), or, when empty, the attachments' text/fallback
//                  lines. Gmail: the chosen body, transcoded to UTF-8 from its charset
//                  (utf-8, us-ascii, iso-8859-1/latin1, windows-1252; others must already be
//                  UTF-8). Always: CRLF/CR become LF, NUL characters are removed (Postgres text
//                  cannot hold them), leading/trailing whitespace is trimmed.
//   sent_at_ms     Slack: ts "1762000000.000500" -> 1762000000000 (truncated to ms).
//                  Gmail: internalDate (ms, string or integer), else the Date header
//                  (mail_date.h); 0 when neither is present or parseable: the caller should
//                  substitute the Kafka record timestamp. An unparseable Date header is not
//                  a reason to drop a message.
//   thread_id      Slack thread_ts; Gmail threadId; empty if none.
//   is_edit        true only for Slack message_changed.
//   position       topic = `topic`; partition/offset are left at -1 for the caller to fill.
// String fields other than text are trimmed and NUL-free too; JSON null counts as absent.
//
// Checks, in order (the first failure is reported):
//   1. value.size() > max_message_bytes                    kTooLarge (before any parsing)
//   2. value is not well-formed UTF-8                       kInvalidUtf8
//   3. not JSON                                             kInvalidJson
//      nesting deeper than max_json_depth containers        kTooDeep (parsing stops at the
//                                                           first too-deep container; the
//                                                           parser does not recurse)
//   4. not an object, or no known shape                     kUnknownShape
//   5. a field of the wrong type, a malformed ts or id      kBadField (detail names the field)
//      a Gmail body that is not base64url                   kBadBase64
//      a Gmail body that is not valid in its charset        kInvalidUtf8
//   6. text empty after normalization                       kNoText
//      text longer than max_text_chars code points          kTooLarge (whole message rejected:
//                                                           truncation would lose data silently)
//   7. no usable company id                                 kNoCompany / kBadField
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/message.h"

namespace ms {

struct DecodeLimits {
  size_t max_message_bytes = 1 << 20;  // raw Kafka value size
  size_t max_text_chars = 100000;      // normalized text, in Unicode code points
  int max_json_depth = 32;             // nested arrays/objects, the top-level object counts as 1
  std::string default_company;         // used when neither key nor metadata names a company
};

// Why a record goes to the DLQ. Values are stable: DlqReasonCode() strings are written to the
// DLQ headers and metrics labels, so renaming one breaks dashboards and replay tooling.
enum class DlqReason {
  kInvalidJson,
  kInvalidUtf8,
  kTooLarge,
  kTooDeep,
  kNoText,
  kNoCompany,
  kBadBase64,
  kUnknownShape,
  kBadField,
};

// "invalid_json", "invalid_utf8", "too_large", "too_deep", "no_text", "no_company",
// "bad_base64", "unknown_shape", "bad_field".
std::string_view DlqReasonCode(DlqReason reason);

struct DecodeError {
  DlqReason reason;
  // Short and operator-facing ("field 'event.text' is not a string"). Never contains message
  // content (text, subject, sender, body bytes), so it is safe to log at any level and to put
  // in DLQ headers; at most a short identifier such as a Slack event type or a charset name.
  std::string detail;
};

// Exactly one of `message` and `error` is set.
struct DecodeResult {
  std::optional<Message> message;
  std::optional<DecodeError> error;

  bool ok() const { return message.has_value(); }

  static DecodeResult Ok(Message message) { return {std::move(message), std::nullopt}; }
  static DecodeResult Fail(DlqReason reason, std::string detail) {
    return {std::nullopt, DecodeError{reason, std::move(detail)}};
  }
  static DecodeResult Fail(DecodeError error) { return {std::nullopt, std::move(error)}; }
};

// Decodes the Kafka record (`topic`, `key`, `value`) under `limits`. Never throws; a failure
// (including allocation failure, reported as kTooLarge) is returned as DecodeResult::error.
// Cost is linear in value.size(); subtrees the decoder never reads (Slack blocks,
// previous_message, reactions, files, authorizations, pinned_to -- at any depth) are parsed
// but not materialized.
DecodeResult DecodeMessage(std::string_view topic, std::string_view key, std::string_view value,
                           const DecodeLimits& limits) noexcept;

// 1..128 characters of [A-Za-z0-9._:-]. Exposed so config validation can check
// default_company with the same rule.
bool IsValidCompanyId(std::string_view company_id);

}  // namespace ms
