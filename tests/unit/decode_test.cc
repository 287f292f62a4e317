// DecodeMessage: every accepted shape, every DLQ reason, company precedence, robustness.
#include "pipeline/decode/decode.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ms {
namespace {

constexpr std::string_view kSlackTopic = "slack-messages";
constexpr std::string_view kGmailTopic = "gmail-messages";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::string Fixture(std::string_view name) {
  const std::filesystem::path path = std::filesystem::path(MS_FIXTURE_DIR) / "payloads" / name;
  std::string contents = ReadFile(path);
  EXPECT_FALSE(contents.empty()) << "missing fixture " << path;
  return contents;
}

DecodeResult Decode(std::string_view value, std::string_view key = "acme",
                    const DecodeLimits& limits = {}, std::string_view topic = kSlackTopic) {
  return DecodeMessage(topic, key, value, limits);
}

// Decodes and fails the test (with the DLQ detail) unless it succeeded.
Message MustDecode(std::string_view value, std::string_view key = "acme",
                   const DecodeLimits& limits = {}, std::string_view topic = kSlackTopic) {
  DecodeResult result = Decode(value, key, limits, topic);
  EXPECT_TRUE(result.ok()) << DlqReasonCode(result.error->reason) << ": " << result.error->detail;
  EXPECT_FALSE(result.ok() && result.error.has_value());
  return result.ok() ? *result.message : Message{};
}

void ExpectDlq(const DecodeResult& result, DlqReason reason, std::string_view detail_part = "") {
  ASSERT_FALSE(result.ok()) << "decoded as " << result.message->text;
  ASSERT_TRUE(result.error.has_value());
  EXPECT_EQ(DlqReasonCode(result.error->reason), DlqReasonCode(reason))
      << "detail: " << result.error->detail;
  EXPECT_NE(result.error->detail.find(detail_part), std::string::npos)
      << "detail '" << result.error->detail << "' lacks '" << detail_part << "'";
}

std::string Nested(int levels, std::string_view open, std::string_view close) {
  std::string out;
  for (int level = 0; level < levels; ++level) out += open;
  for (int level = 0; level < levels; ++level) out += close;
  return out;
}

// A single-part Gmail message; the mimeType is the Content-Type without its parameters.
std::string GmailWithBody(std::string_view data, std::string_view content_type = "text/plain") {
  const std::string_view mime_type = content_type.substr(0, content_type.find(';'));
  return R"({"id":"g1","payload":{"mimeType":")" + std::string(mime_type) +
         R"(","headers":[{"name":"Content-Type","value":")" + std::string(content_type) +
         R"("}],"body":{"data":")" + std::string(data) + R"("}}})";
}

// ---- Slack shapes ----------------------------------------------------------------------------

TEST(DecodeSlack, EventCallbackEnvelope) {
  const Message msg = MustDecode(Fixture("slack_event_callback.json"));
  EXPECT_EQ(msg.company_id, "acme");
  EXPECT_EQ(msg.source, Source::kSlack);
  EXPECT_EQ(msg.source_msg_id, "c0ffee00-1111-4222-8333-944445555666");
  EXPECT_EQ(msg.sender, "U0PRIYA001");
  EXPECT_EQ(msg.subject, "");
  EXPECT_EQ(msg.text, "We signed Globex: 3-year deal, $2.5M TCV & a 500-seat pilot <3");
  EXPECT_EQ(msg.sent_at_ms, 1763000000123);
  EXPECT_EQ(msg.thread_id, "");
  EXPECT_FALSE(msg.is_edit);
  EXPECT_EQ(msg.position.topic, kSlackTopic);
  EXPECT_EQ(msg.position.partition, -1);
  EXPECT_EQ(msg.position.offset, -1);
}

TEST(DecodeSlack, MessageChangedWithoutClientMsgIdUsesChannelAndOriginalTs) {
  const Message msg = MustDecode(Fixture("slack_message_changed.json"));
  EXPECT_TRUE(msg.is_edit);
  EXPECT_EQ(msg.source, Source::kSlack);
  EXPECT_EQ(msg.source_msg_id, "C0SALES001:1763000800.000200");
  EXPECT_EQ(msg.sender, "U0OMAR0001");
  EXPECT_EQ(msg.text, "Correction: Initech renewal is $480k ARR, not $450k.");
  EXPECT_EQ(msg.sent_at_ms, 1763000800000);
  EXPECT_EQ(msg.thread_id, "1763000700.000300");
  EXPECT_EQ(msg.subject, "");
}

TEST(DecodeSlack, ThreadReplyIsTrimmedAndThreaded) {
  const Message msg = MustDecode(Fixture("slack_thread_reply.json"));
  EXPECT_EQ(msg.source_msg_id, "aaaa1111-2222-4333-8444-555566667777");
  EXPECT_EQ(msg.sender, "U0LENA0001");
  EXPECT_EQ(msg.text, "Pilot went live at 3 hospitals today.");
  EXPECT_EQ(msg.sent_at_ms, 1763001000000);
  EXPECT_EQ(msg.thread_id, "1763000000.123456");
  EXPECT_FALSE(msg.is_edit);
}

TEST(DecodeSlack, BotMessageUsesUsernameAndChannelTsIdentity) {
  const Message msg = MustDecode(Fixture("slack_bot_message.json"));
  EXPECT_EQ(msg.sender, "HubSpot");
  EXPECT_EQ(msg.source_msg_id, "C0DEALS001:1763002000.999999");
  EXPECT_EQ(msg.text, "Deal closed-won: Umbrella Corp, $120,000");
  EXPECT_EQ(msg.sent_at_ms, 1763002000999);
  EXPECT_EQ(msg.thread_id, "");
}

TEST(DecodeSlack, BotMessageWithoutUsernameFallsBackToBotId) {
  const Message msg = MustDecode(
      R"({"type":"message","subtype":"bot_message","bot_id":"B01","user":"U9","text":"hi","ts":"1.5"})");
  EXPECT_EQ(msg.sender, "B01");
  EXPECT_EQ(msg.sent_at_ms, 1500);
}

TEST(DecodeSlack, AttachmentTextWhenTextEmptyAndTsIdentityWithoutChannel) {
  const Message msg = MustDecode(Fixture("slack_attachment_only.json"));
  EXPECT_EQ(msg.text, "SOC 2 Type II report issued\nAuditor: Example & Co");
  EXPECT_EQ(msg.source_msg_id, "1763003000.000001");
  EXPECT_EQ(msg.sender, "B0PAGERDTY");
  EXPECT_EQ(msg.sent_at_ms, 1763003000000);
}

TEST(DecodeSlack, ProducerShapeTakesCompanyFromMetadata) {
  const Message msg = MustDecode(Fixture("producer_slack.json"), /*key=*/"");
  EXPECT_EQ(msg.company_id, "northwind");
  EXPECT_EQ(msg.source, Source::kSlack);
  EXPECT_EQ(msg.source_msg_id, "11112222-3333-4444-8555-666677778888");
  EXPECT_EQ(msg.sender, "Ana (CEO)");
  EXPECT_EQ(msg.text, "Crossed 10,000 paying users this morning!");
  EXPECT_EQ(msg.sent_at_ms, 1763004000000);
  EXPECT_EQ(msg.thread_id, "");
}

TEST(DecodeSlack, MessageWithoutTypeDecodesWhenMetadataSaysSlack) {
  const Message msg =
      MustDecode(R"({"metadata":{"source":"slack"},"text":"hello","ts":"1763000000"})");
  EXPECT_EQ(msg.source, Source::kSlack);
  EXPECT_EQ(msg.sent_at_ms, 1763000000000);
  EXPECT_EQ(msg.source_msg_id, "1763000000");
}

TEST(DecodeSlack, NullOptionalFieldsCountAsAbsent) {
  const Message msg = MustDecode(
      R"({"type":"message","text":"x","ts":"1.0","thread_ts":null,"user":null,"client_msg_id":null,)"
      R"("channel":"C1","metadata":null})");
  EXPECT_EQ(msg.thread_id, "");
  EXPECT_EQ(msg.sender, "");
  EXPECT_EQ(msg.source_msg_id, "C1:1.0");
}

TEST(DecodeSlack, NulCharactersAreRemovedAndCrLfNormalized) {
  const Message msg =
      MustDecode(R"({"type":"message","text":"a\u0000b\r\nc\rd","user":"U\u00001","ts":"1.0"})");
  EXPECT_EQ(msg.text, "ab\nc\nd");
  EXPECT_EQ(msg.sender, "U1");
}

// ---- Gmail shapes ----------------------------------------------------------------------------

TEST(DecodeGmail, NestedMultipartPrefersTextPlain) {
  const Message msg = MustDecode(Fixture("gmail_nested_multipart.json"), "acme", {}, kGmailTopic);
  EXPECT_EQ(msg.company_id, "acme");
  EXPECT_EQ(msg.source, Source::kGmail);
  EXPECT_EQ(msg.source_msg_id, "19a0b1c2d3e4f501");
  EXPECT_EQ(msg.sender, "José Ruiz <jose@acquirer.example>");
  EXPECT_EQ(msg.subject, "LOI signed ✔ next steps");
  EXPECT_EQ(msg.text,
            "Hi team,\n\nLOI signed >> ready for diligence?? Let's go. ???\nTarget close: Q1.");
  EXPECT_EQ(msg.sent_at_ms, 1763005000123);  // internalDate wins over the Date header
  EXPECT_EQ(msg.thread_id, "19a0b1c2d3e4f500");
  EXPECT_FALSE(msg.is_edit);
  EXPECT_EQ(msg.position.topic, kGmailTopic);
}

TEST(DecodeGmail, HtmlOnlyBodyIsConvertedToText) {
  const Message msg = MustDecode(Fixture("gmail_html_only.json"));
  EXPECT_EQ(msg.source, Source::kGmail);
  EXPECT_EQ(msg.source_msg_id, "19a0b1c2d3e4f502");
  EXPECT_EQ(msg.sender, "billing@initech.example");
  EXPECT_EQ(msg.subject, "Plan upgraded");
  EXPECT_EQ(msg.text,
            "Welcome, Initech!\n"
            "Your plan: Enterprise tier & 1,200 seats — €96k/yr ✔\n"
            "Start 2025-12-01\n"
            "Q&A: 5 < 6 > 4 \"ok\" 'yes' &unknown; © Initech");
  EXPECT_EQ(msg.sent_at_ms, 1763006000000);  // internalDate as a JSON integer
  EXPECT_EQ(msg.thread_id, "19a0b1c2d3e4f502");
}

TEST(DecodeGmail, ProducerShapeUsesMetadataCompanyAndDateHeader) {
  const Message msg = MustDecode(Fixture("producer_gmail.json"), "", {}, kGmailTopic);
  EXPECT_EQ(msg.company_id, "northwind");
  EXPECT_EQ(msg.source, Source::kGmail);
  EXPECT_EQ(msg.source_msg_id, "42");
  EXPECT_EQ(msg.sender, "Metrics Bot");
  EXPECT_EQ(msg.subject, "Weekly retention");
  EXPECT_EQ(msg.text, "Weekly churn fell to 0.9%, NRR 118%.");
  EXPECT_EQ(msg.sent_at_ms, 1761998400000);  // "2025-11-01 12:00:00" as UTC
  EXPECT_EQ(msg.thread_id, "t-42");
}

TEST(DecodeGmail, Windows1252BodyAndLatin1EncodedSubjectAreTranscoded) {
  const Message msg = MustDecode(Fixture("gmail_latin1.json"));
  EXPECT_EQ(msg.text, "Café crème résumé €5k");
  EXPECT_EQ(msg.subject, "Café opening");
  EXPECT_EQ(msg.sent_at_ms, 1763007000000);
}

TEST(DecodeGmail, Rfc5322DateHeaderWhenNoInternalDate) {
  const Message msg = MustDecode(
      R"({"id":"g1","payload":{"mimeType":"text/plain","headers":[{"name":"Date",)"
      R"json("value":"Wed, 12 Nov 2025 09:00:00 -0500 (EST)"}],"body":{"data":"aGk"}}})json");
  EXPECT_EQ(msg.sent_at_ms, 1762956000000);
  EXPECT_EQ(msg.text, "hi");
}

TEST(DecodeGmail, UnparseableDateLeavesSentAtZero) {
  const Message msg =
      MustDecode(R"({"id":"g1","payload":{"headers":[{"name":"Date","value":"last Tuesday"}],)"
                 R"("body":{"data":"aGk"}}})");
  EXPECT_EQ(msg.sent_at_ms, 0);
}

TEST(DecodeGmail, HtmlUsedWhenTextPlainIsAnAttachment) {
  const Message msg =
      MustDecode(R"({"id":"g1","payload":{"mimeType":"multipart/mixed","parts":[)"
                 R"({"mimeType":"text/plain","filename":"a.txt","body":{"data":"YXR0YWNo"}},)"
                 R"({"mimeType":"text/plain","body":{"attachmentId":"X","size":9}},)"
                 R"({"mimeType":"text/html","body":{"data":"PHA-aHRtbDwvcD4"}}]}})");
  EXPECT_EQ(msg.text, "html");
}

TEST(DecodeGmail, EmptyTextPlainAlternativeFallsBackToHtml) {
  const Message msg =
      MustDecode(R"({"id":"g1","payload":{"mimeType":"multipart/alternative","parts":[)"
                 R"({"mimeType":"text/plain","body":{"data":"DQo"}},)"
                 R"({"mimeType":"text/html","body":{"data":"PHA-aHRtbDwvcD4"}}]}})");
  EXPECT_EQ(msg.text, "html");
}

// ---- Source detection ------------------------------------------------------------------------

TEST(DecodeShape, AmbiguousBodyUsesMetadataSourceThenTopic) {
  const std::string both = R"({"type":"message","text":"slack text","ts":"1.0","id":"g1",)"
                           R"("payload":{"body":{"data":"Z21haWw"}})";
  EXPECT_EQ(MustDecode(both + R"(,"metadata":{"source":"gmail"}})").text, "gmail");
  EXPECT_EQ(MustDecode(both + "}", "acme", {}, "gmail-messages").text, "gmail");
  EXPECT_EQ(MustDecode(both + "}", "acme", {}, "slack-messages").text, "slack text");
  ExpectDlq(Decode(both + "}", "acme", {}, "messages"), DlqReason::kUnknownShape);
}

TEST(DecodeShape, MetadataSourceContradictingTheBodyIsRejected) {
  ExpectDlq(Decode(R"({"metadata":{"source":"gmail"},"type":"message","text":"x","ts":"1.0"})"),
            DlqReason::kUnknownShape, "metadata.source");
}

// ---- Company precedence ----------------------------------------------------------------------

class CompanyTest : public ::testing::Test {
 protected:
  static std::string WithMetadataCompany(std::string_view company_json) {
    return R"({"metadata":{"company_id":)" + std::string(company_json) +
           R"(},"type":"message","text":"x","ts":"1.0"})";
  }
  static DecodeLimits WithDefault(std::string company) {
    DecodeLimits limits;
    limits.default_company = std::move(company);
    return limits;
  }
};

TEST_F(CompanyTest, KeyWinsOverMetadataAndDefault) {
  EXPECT_EQ(MustDecode(WithMetadataCompany("\"meta\""), "keyco", WithDefault("dflt")).company_id,
            "keyco");
}

TEST_F(CompanyTest, KeyIsTrimmed) {
  EXPECT_EQ(MustDecode(WithMetadataCompany("\"meta\""), " \tkey.co:eu-1_a \n").company_id,
            "key.co:eu-1_a");
}

TEST_F(CompanyTest, EmptyOrBlankKeyFallsBackToMetadata) {
  EXPECT_EQ(MustDecode(WithMetadataCompany("\"meta\""), "").company_id, "meta");
  EXPECT_EQ(MustDecode(WithMetadataCompany("\" meta \""), "  ").company_id, "meta");
}

TEST_F(CompanyTest, NoKeyNoMetadataFallsBackToDefault) {
  EXPECT_EQ(MustDecode(WithMetadataCompany("null"), "", WithDefault("dflt")).company_id, "dflt");
  EXPECT_EQ(MustDecode(WithMetadataCompany("\"\""), "", WithDefault("dflt")).company_id, "dflt");
}

TEST_F(CompanyTest, NothingAtAllIsNoCompany) {
  ExpectDlq(Decode(WithMetadataCompany("null"), ""), DlqReason::kNoCompany);
  ExpectDlq(Decode(WithMetadataCompany("null"), "", WithDefault("bad company")),
            DlqReason::kNoCompany, "default");
}

TEST_F(CompanyTest, InvalidKeyIsRejectedNotSkipped) {
  ExpectDlq(Decode(WithMetadataCompany("\"meta\""), "acme corp"), DlqReason::kBadField, "key");
  ExpectDlq(Decode(WithMetadataCompany("\"meta\""), "acme/eu"), DlqReason::kBadField, "key");
}

TEST_F(CompanyTest, InvalidOrMistypedMetadataCompanyIsBadField) {
  ExpectDlq(Decode(WithMetadataCompany("\"a b\""), ""), DlqReason::kBadField,
            "metadata.company_id");
  ExpectDlq(Decode(WithMetadataCompany("42"), ""), DlqReason::kBadField, "metadata.company_id");
}

TEST_F(CompanyTest, LengthLimitIs128) {
  EXPECT_TRUE(IsValidCompanyId(std::string(128, 'a')));
  EXPECT_FALSE(IsValidCompanyId(std::string(129, 'a')));
  EXPECT_FALSE(IsValidCompanyId(""));
  ExpectDlq(Decode(WithMetadataCompany("null"), std::string(129, 'a')), DlqReason::kBadField);
}

// ---- DLQ reasons -----------------------------------------------------------------------------

TEST(DecodeDlq, ReasonCodesAreStable) {
  EXPECT_EQ(DlqReasonCode(DlqReason::kInvalidJson), "invalid_json");
  EXPECT_EQ(DlqReasonCode(DlqReason::kInvalidUtf8), "invalid_utf8");
  EXPECT_EQ(DlqReasonCode(DlqReason::kTooLarge), "too_large");
  EXPECT_EQ(DlqReasonCode(DlqReason::kTooDeep), "too_deep");
  EXPECT_EQ(DlqReasonCode(DlqReason::kNoText), "no_text");
  EXPECT_EQ(DlqReasonCode(DlqReason::kNoCompany), "no_company");
  EXPECT_EQ(DlqReasonCode(DlqReason::kBadBase64), "bad_base64");
  EXPECT_EQ(DlqReasonCode(DlqReason::kUnknownShape), "unknown_shape");
  EXPECT_EQ(DlqReasonCode(DlqReason::kBadField), "bad_field");
}

TEST(DecodeDlq, InvalidJsonDetailNamesTheOffsetNotTheContent) {
  const DecodeResult result = Decode(R"({"type":"message","text":"top secret merger",)");
  ExpectDlq(result, DlqReason::kInvalidJson, "byte");
  EXPECT_EQ(result.error->detail.find("secret"), std::string::npos);
  ExpectDlq(Decode(""), DlqReason::kInvalidJson);
  ExpectDlq(Decode(R"({"type":"message"} trailing)"), DlqReason::kInvalidJson);
  ExpectDlq(Decode(R"({"text":"\ud800"})"), DlqReason::kInvalidJson);  // lone surrogate escape
}

TEST(DecodeDlq, InvalidUtf8InRawValue) {
  ExpectDlq(Decode("{\"type\":\"message\",\"text\":\"\xff\",\"ts\":\"1.0\"}"),
            DlqReason::kInvalidUtf8, "byte 26");
  ExpectDlq(Decode("{\"text\":\"\xc0\xaf\"}"), DlqReason::kInvalidUtf8);          // overlong '/'
  ExpectDlq(Decode("{\"text\":\"\xed\xa0\x80\"}"), DlqReason::kInvalidUtf8);      // surrogate
  ExpectDlq(Decode("{\"text\":\"\xf4\x90\x80\x80\"}"), DlqReason::kInvalidUtf8);  // > U+10FFFF
  ExpectDlq(Decode("{\"text\":\"\xe2\x82"), DlqReason::kInvalidUtf8);  // truncated sequence
}

TEST(DecodeDlq, InvalidUtf8InsideDecodedBase64Body) {
  // "\xff\xfe bad" base64url-encoded; declared UTF-8.
  ExpectDlq(Decode(GmailWithBody("__4gYmFk", "text/plain; charset=utf-8")), DlqReason::kInvalidUtf8,
            "payload.body.data");
  // No charset at all means UTF-8 too.
  ExpectDlq(Decode(GmailWithBody("__4gYmFk", "text/plain")), DlqReason::kInvalidUtf8);
  // An unsupported charset names itself (an identifier, never body bytes).
  ExpectDlq(Decode(GmailWithBody("__4gYmFk", "text/plain; charset=koi8-r")),
            DlqReason::kInvalidUtf8, "koi8-r");
}

TEST(DecodeDlq, OversizedValueIsRejectedBeforeParsing) {
  DecodeLimits limits;
  limits.max_message_bytes = 16;
  ExpectDlq(Decode("this is not even json but too long", "acme", limits), DlqReason::kTooLarge,
            "34 bytes");
  limits.max_message_bytes = 34;
  ExpectDlq(Decode("this is not even json but too long", "acme", limits), DlqReason::kInvalidJson);
}

TEST(DecodeDlq, TextLongerThanLimitInCodePointsIsTooLarge) {
  DecodeLimits limits;
  limits.max_text_chars = 10;
  const std::string ten = "éééééééééé";  // 10 code points, 20 bytes
  EXPECT_EQ(
      MustDecode(R"({"type":"message","text":")" + ten + R"(","ts":"1.0"})", "acme", limits).text,
      ten);
  ExpectDlq(Decode(R"({"type":"message","text":")" + ten + R"(é","ts":"1.0"})", "acme", limits),
            DlqReason::kTooLarge, "11 characters");
}

TEST(DecodeDlq, DepthBombIsRejectedWithoutStackOverflow) {
  ExpectDlq(Decode(Nested(10000, "[", "]")), DlqReason::kTooDeep, "32");
  ExpectDlq(Decode(Nested(10000, R"({"a":)", "}")), DlqReason::kTooDeep);
  // Inside a subtree the decoder skips, the bomb is still counted.
  ExpectDlq(Decode(R"({"type":"message","text":"x","ts":"1.0","blocks":)" +
                   Nested(10000, "[", "]") + "}"),
            DlqReason::kTooDeep);
}

TEST(DecodeDlq, DepthLimitCountsTheTopLevelObject) {
  DecodeLimits limits;
  limits.max_json_depth = 3;
  const std::string at_limit = R"({"type":"message","text":"x","ts":"1.0","a":{"b":[]}})";
  const std::string over = R"({"type":"message","text":"x","ts":"1.0","a":{"b":[[]]}})";
  EXPECT_TRUE(Decode(at_limit, "acme", limits).ok());
  ExpectDlq(Decode(over, "acme", limits), DlqReason::kTooDeep);
}

TEST(DecodeDlq, NoText) {
  ExpectDlq(Decode(R"({"type":"message","text":"  \n\t ","ts":"1.0"})"), DlqReason::kNoText);
  ExpectDlq(Decode(R"({"type":"message","ts":"1.0"})"), DlqReason::kNoText);
  ExpectDlq(
      Decode(R"({"id":"g1","payload":{"mimeType":"multipart/mixed","parts":[)"
             R"({"mimeType":"application/pdf","filename":"x.pdf","body":{"data":"JVBE"}}]}})"),
      DlqReason::kNoText, "text/plain");
  // HTML that is all script renders to nothing.
  ExpectDlq(Decode(GmailWithBody("PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg", "text/html")),
            DlqReason::kNoText);
}

TEST(DecodeDlq, BadBase64) {
  ExpectDlq(Decode(GmailWithBody("aGk$")), DlqReason::kBadBase64, "payload.body.data");
  ExpectDlq(Decode(GmailWithBody("aGVsbG8hA")), DlqReason::kBadBase64);  // 9 symbols: 1 left over
  ExpectDlq(Decode(GmailWithBody("aG==aGk")), DlqReason::kBadBase64);    // padding mid-stream
}

TEST(DecodeDlq, UnknownShape) {
  ExpectDlq(Decode("[]"), DlqReason::kUnknownShape, "array");
  ExpectDlq(Decode("\"text\""), DlqReason::kUnknownShape);
  ExpectDlq(Decode("{}"), DlqReason::kUnknownShape);
  ExpectDlq(Decode(R"({"type":"url_verification","challenge":"abc"})"), DlqReason::kUnknownShape);
  ExpectDlq(Decode(R"({"type":"event_callback","event":{"type":"reaction_added"}})"),
            DlqReason::kUnknownShape, "reaction_added");
  ExpectDlq(Decode(R"({"type":"event_callback"})"), DlqReason::kUnknownShape);
  ExpectDlq(Decode(R"({"type":"event_callback","event":{"type":"message",)"
                   R"("subtype":"message_deleted","deleted_ts":"1.0","ts":"2.0"}})"),
            DlqReason::kUnknownShape, "message_deleted");
  ExpectDlq(Decode(R"({"metadata":{"source":"gmail"},"id":"g1"})"), DlqReason::kUnknownShape,
            "payload");
}

TEST(DecodeDlq, UnknownSlackTypeIsNotEchoedWhenItIsFreeText) {
  const DecodeResult result =
      Decode(R"({"type":"event_callback","event":{"type":"call me at 555"}})");
  ExpectDlq(result, DlqReason::kUnknownShape, "<redacted>");
}

TEST(DecodeDlq, BadFieldNamesTheField) {
  ExpectDlq(Decode(R"({"type":"message","text":42,"ts":"1.0"})"), DlqReason::kBadField, "'text'");
  ExpectDlq(
      Decode(R"({"type":"event_callback","event":{"type":"message","text":["x"],"ts":"1.0"}})"),
      DlqReason::kBadField, "'event.text'");
  ExpectDlq(Decode(R"({"type":"event_callback","event":"message"})"), DlqReason::kBadField,
            "'event'");
  ExpectDlq(Decode(R"({"type":"message","text":"x"})"), DlqReason::kBadField, "'ts'");
  ExpectDlq(Decode(R"({"type":"message","text":"x","ts":"yesterday"})"), DlqReason::kBadField,
            "'ts'");
  ExpectDlq(Decode(R"({"type":"message","text":"x","ts":1.0})"), DlqReason::kBadField, "'ts'");
  ExpectDlq(Decode(R"({"type":"message","text":"x","ts":"1.0","user":{"id":"U1"}})"),
            DlqReason::kBadField, "'user'");
  ExpectDlq(Decode(R"({"type":"event_callback","event":{"type":"message","subtype":)"
                   R"("message_changed","channel":"C1","message":"x"}})"),
            DlqReason::kBadField, "'event.message'");
  ExpectDlq(Decode(R"({"metadata":"slack","type":"message","text":"x","ts":"1.0"})"),
            DlqReason::kBadField, "'metadata'");
  ExpectDlq(Decode(R"({"metadata":{"source":"teams"},"type":"message","text":"x","ts":"1.0"})"),
            DlqReason::kBadField, "'metadata.source'");
}

TEST(DecodeDlq, BadGmailFields) {
  ExpectDlq(Decode(R"({"payload":{"body":{"data":"aGk"}}})"), DlqReason::kBadField, "'id'");
  ExpectDlq(Decode(R"({"id":12,"payload":{"body":{"data":"aGk"}}})"), DlqReason::kBadField, "'id'");
  ExpectDlq(Decode(R"({"id":"g1","payload":"text"})"), DlqReason::kBadField, "'payload'");
  ExpectDlq(Decode(R"({"id":"g1","payload":{"headers":{},"body":{"data":"aGk"}}})"),
            DlqReason::kBadField, "'payload.headers'");
  ExpectDlq(Decode(R"({"id":"g1","payload":{"headers":[{"name":"From","value":7}],)"
                   R"("body":{"data":"aGk"}}})"),
            DlqReason::kBadField, "'payload.headers'");
  ExpectDlq(Decode(R"({"id":"g1","payload":{"mimeType":"multipart/mixed","parts":{}}})"),
            DlqReason::kBadField, "'payload.parts'");
  ExpectDlq(Decode(R"({"id":"g1","payload":{"mimeType":"multipart/mixed","parts":[)"
                   R"({"mimeType":"multipart/alternative","parts":[3]}]}})"),
            DlqReason::kBadField, "'payload.parts[0].parts[0]'");
  ExpectDlq(Decode(R"({"id":"g1","payload":{"body":{"data":17}}})"), DlqReason::kBadField,
            "'payload.body.data'");
  ExpectDlq(Decode(R"({"id":"g1","internalDate":"soon","payload":{"body":{"data":"aGk"}}})"),
            DlqReason::kBadField, "'internalDate'");
  ExpectDlq(Decode(R"({"id":"g1","internalDate":-5,"payload":{"body":{"data":"aGk"}}})"),
            DlqReason::kBadField, "'internalDate'");
}

// ---- Robustness ------------------------------------------------------------------------------

// Every prefix and a byte-flipped copy of every fixture must decode to exactly one outcome,
// never crash, and never echo body text in the error detail.
TEST(DecodeRobustness, TruncatedAndCorruptedFixturesNeverThrowOrLeakContent) {
  for (const char* name : {"slack_event_callback.json", "slack_message_changed.json",
                           "gmail_nested_multipart.json", "gmail_html_only.json"}) {
    const std::string fixture = Fixture(name);
    for (size_t length = 0; length < fixture.size(); ++length) {
      for (bool flip : {false, true}) {
        std::string value = fixture.substr(0, length);
        if (flip && length > 0) value[length / 2] = static_cast<char>(value[length / 2] ^ 0x5A);
        const DecodeResult result = Decode(value);
        ASSERT_NE(result.message.has_value(), result.error.has_value()) << name << " " << length;
        if (result.error) {
          EXPECT_EQ(result.error->detail.find("Globex"), std::string::npos);
          EXPECT_EQ(result.error->detail.find("Initech"), std::string::npos);
          EXPECT_LT(result.error->detail.size(), 160u);
        }
      }
    }
  }
}

// ---- The reference payloads shipped in ../shared/data ----------------------------------------

class SharedPayloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(MS_SHARED_DATA_DIR) / "payloads";
    if (!std::filesystem::is_directory(dir_)) GTEST_SKIP() << dir_ << " not present";
  }
  std::string Payload(std::string_view name) { return ReadFile(dir_ / name); }

  std::filesystem::path dir_;
};

TEST_F(SharedPayloadTest, EveryReferencePayloadDecodes) {
  size_t count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (entry.path().extension() != ".json") continue;
    ++count;
    const DecodeResult result = Decode(ReadFile(entry.path()));
    EXPECT_TRUE(result.ok()) << entry.path().filename() << ": "
                             << DlqReasonCode(result.error->reason) << " " << result.error->detail;
  }
  EXPECT_GT(count, 0u);
}

TEST_F(SharedPayloadTest, EditKeepsTheOriginalIdentity) {
  const Message edit = MustDecode(Payload("slack_message_changed.json"));
  const Message reply = MustDecode(Payload("slack_thread_reply.json"));
  EXPECT_TRUE(edit.is_edit);
  EXPECT_EQ(edit.source_msg_id, reply.source_msg_id);
  EXPECT_EQ(edit.source_msg_id, "8a2e4c6b-1d3f-4e5a-8b7c-9d0e1f2a3b4c");
  EXPECT_NE(edit.text, reply.text);
}

TEST_F(SharedPayloadTest, GmailBodies) {
  const Message multipart = MustDecode(Payload("gmail_full_multipart.json"));
  EXPECT_EQ(multipart.text.rfind("Hi Alex,\n\nGreat call today.", 0), 0u) << multipart.text;
  EXPECT_EQ(multipart.sender, "Roelof B <partner@sequoia.example>");
  EXPECT_EQ(multipart.subject, "Series A term sheet");
  EXPECT_EQ(multipart.sent_at_ms, 1762254000000);
  const Message html = MustDecode(Payload("gmail_html_only.json"));
  EXPECT_NE(html.text.find("Welcome aboard!\n"), std::string::npos) << html.text;
  EXPECT_NE(html.text.find("© Walmart Inc."), std::string::npos) << html.text;
  EXPECT_EQ(html.text.find('<'), std::string::npos) << html.text;
  const Message producer = MustDecode(Payload("producer_gmail.json"), "");
  EXPECT_EQ(producer.company_id, "scaleflow");
  EXPECT_EQ(producer.sent_at_ms, 1761998400000);
}

}  // namespace
}  // namespace ms
