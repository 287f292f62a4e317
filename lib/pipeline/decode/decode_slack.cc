// Slack shapes: Events API envelope, plain message objects, message_changed, bot_message.
#include <array>
#include <charconv>
#include <cstdint>

#include "pipeline/decode/decode_internal.h"

namespace ms::decode_internal {
namespace {

bool AllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// "1762000000.000500" -> 1762000000000: seconds, then the first three fraction digits.
std::optional<int64_t> ParseSlackTs(std::string_view ts) {
  constexpr size_t kMaxSecondDigits = 12;  // year 33658; keeps the ms value far from overflow
  const size_t dot = ts.find('.');
  const std::string_view seconds = ts.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? "0" : ts.substr(dot + 1);
  if (seconds.size() > kMaxSecondDigits || !AllDigits(seconds) || !AllDigits(fraction)) {
    return std::nullopt;
  }
  int64_t value = 0;
  std::from_chars(seconds.data(), seconds.data() + seconds.size(), value);
  int64_t millis = 0;
  for (size_t idx = 0; idx < 3; ++idx) {
    millis = millis * 10 + (idx < fraction.size() ? fraction[idx] - '0' : 0);
  }
  return value * 1000 + millis;
}

// Slack escapes exactly these three in message text.
std::string UnescapeSlack(std::string_view text) {
  static constexpr std::array<std::pair<std::string_view, char>, 3> kEscapes = {
      {{"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}}};
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  for (size_t amp = text.find('&'); amp != std::string_view::npos; amp = text.find('&', pos)) {
    out.append(text, pos, amp - pos);
    pos = amp + 1;
    char replacement = '&';
    for (const auto& [escape, c] : kEscapes) {
      if (text.substr(amp, escape.size()) == escape) {
        replacement = c;
        pos = amp + escape.size();
        break;
      }
    }
    out.push_back(replacement);
  }
  out.append(text, pos);
  return out;
}

MaybeError ReadSender(const Fields& m, bool bot_message, std::string* sender) {
  static constexpr std::array<std::string_view, 3> kUserFirst = {"user", "username", "bot_id"};
  static constexpr std::array<std::string_view, 3> kBotFirst = {"username", "bot_id", "user"};
  for (std::string_view key : bot_message ? kBotFirst : kUserFirst) {
    std::string value;
    if (auto error = m.String(key, &value)) return error;
    if (!ascii::Trim(value).empty()) {
      *sender = std::move(value);
      return std::nullopt;
    }
  }
  return std::nullopt;
}

// Legacy attachments carry the visible text of many integration messages whose `text` is
// empty. Best effort: entries or members of unexpected types are ignored.
MaybeError ReadAttachmentText(const Fields& m, std::string* text) {
  const Json* attachments = m.Get("attachments");
  if (attachments == nullptr) return std::nullopt;
  if (!attachments->is_array()) return m.BadField("attachments", "is not an array");
  for (const Json& attachment : *attachments) {
    if (!attachment.is_object()) continue;
    for (const char* key : {"text", "fallback"}) {
      const auto it = attachment.find(key);
      if (it == attachment.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
        continue;
      }
      if (!text->empty()) text->push_back('\n');
      text->append(UnescapeSlack(it->get_ref<const std::string&>()));
      break;
    }
  }
  return std::nullopt;
}

MaybeError ReadIdentity(const Fields& m, std::string_view fallback_channel, std::string_view ts,
                        std::string* id) {
  std::string client_msg_id;
  std::string channel;
  if (auto error = m.String("client_msg_id", &client_msg_id)) return error;
  if (auto error = m.String("channel", &channel)) return error;
  if (ascii::Trim(channel).empty()) channel = std::string(fallback_channel);
  if (!ascii::Trim(client_msg_id).empty()) {
    *id = std::move(client_msg_id);
  } else {
    *id = channel.empty() ? std::string(ts) : channel + ":" + std::string(ts);
  }
  return std::nullopt;
}

// One message object (top level, inside an envelope, or the `message` of an edit).
MaybeError DecodeMessageObject(const Fields& m, std::string_view fallback_channel, Message* msg) {
  std::string subtype;
  std::string ts;
  if (auto error = m.String("subtype", &subtype)) return error;
  if (auto error = m.String("text", &msg->text)) return error;
  msg->text = UnescapeSlack(msg->text);
  if (ascii::Trim(msg->text).empty()) {
    if (auto error = ReadAttachmentText(m, &msg->text)) return error;
  }
  if (auto error = m.RequiredString("ts", &ts)) return error;
  const auto sent_at_ms = ParseSlackTs(ts);
  if (!sent_at_ms) return m.BadField("ts", "is not a Slack timestamp");
  msg->sent_at_ms = *sent_at_ms;
  if (auto error = ReadSender(m, subtype == "bot_message", &msg->sender)) return error;
  if (auto error = m.String("thread_ts", &msg->thread_id)) return error;
  return ReadIdentity(m, fallback_channel, ts, &msg->source_msg_id);
}

// message_changed: the edited message is in `message`, the channel on the event.
MaybeError DecodeEdit(const Fields& event, Message* msg) {
  MaybeError error;
  const std::optional<Fields> edited = event.Object("message", &error);
  if (error) return error;
  if (!edited) return event.BadField("message", "is missing");
  std::string channel;
  if (auto channel_error = event.String("channel", &channel)) return channel_error;
  msg->is_edit = true;
  return DecodeMessageObject(*edited, channel, msg);
}

MaybeError DecodeEvent(const Fields& event, Message* msg) {
  std::string subtype;
  if (auto error = event.String("subtype", &subtype)) return error;
  if (subtype == "message_changed") return DecodeEdit(event, msg);
  if (subtype == "message_deleted") {
    return Error(DlqReason::kUnknownShape, "Slack message_deleted carries no message to store");
  }
  return DecodeMessageObject(event, "", msg);
}

}  // namespace

MaybeError DecodeSlack(const Fields& root, Message* msg) {
  msg->source = Source::kSlack;
  std::string type;
  if (auto error = root.String("type", &type)) return error;
  if (type != "event_callback") {
    if (!type.empty() && type != "message") {
      return Error(DlqReason::kUnknownShape,
                   "Slack type '" + SafeToken(type) + "' is not a message");
    }
    return DecodeEvent(root, msg);
  }
  MaybeError error;
  const std::optional<Fields> event = root.Object("event", &error);
  if (error) return error;
  if (!event) return Error(DlqReason::kUnknownShape, "Slack event_callback without an event");
  std::string event_type;
  if (auto type_error = event->String("type", &event_type)) return type_error;
  if (event_type != "message") {
    return Error(DlqReason::kUnknownShape,
                 "Slack event type '" + SafeToken(event_type) + "' is not a message");
  }
  return DecodeEvent(*event, msg);
}

}  // namespace ms::decode_internal
