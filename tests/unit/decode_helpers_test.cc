// The decode stage's building blocks: base64url, UTF-8, HTML to text, mail dates, MIME words.
#include <gtest/gtest.h>

#include <string>

#include "pipeline/decode/base64url.h"
#include "pipeline/decode/decode_internal.h"
#include "pipeline/decode/html_text.h"
#include "pipeline/decode/mail_date.h"
#include "pipeline/decode/mime_text.h"
#include "pipeline/text/utf8.h"

namespace ms {
namespace {

TEST(Base64Url, PaddingIsOptional) {
  EXPECT_EQ(DecodeBase64Url("aGk"), "hi");
  EXPECT_EQ(DecodeBase64Url("aGk="), "hi");
  EXPECT_EQ(DecodeBase64Url("aA"), "h");
  EXPECT_EQ(DecodeBase64Url("aA=="), "h");
  EXPECT_EQ(DecodeBase64Url(""), "");
}

TEST(Base64Url, UrlAndStandardAlphabetsAndLineBreaks) {
  EXPECT_EQ(DecodeBase64Url("-_8"), "\xfb\xff");
  EXPECT_EQ(DecodeBase64Url("+/8"), "\xfb\xff");
  EXPECT_EQ(DecodeBase64Url("aGVs\r\nbG8"), "hello");
}

TEST(Base64Url, RejectsGarbage) {
  EXPECT_FALSE(DecodeBase64Url("aGk$"));
  EXPECT_FALSE(DecodeBase64Url("aGk "));
  EXPECT_FALSE(DecodeBase64Url("a"));          // one symbol cannot encode a byte
  EXPECT_FALSE(DecodeBase64Url("aGVsbG8hA"));  // nor can a trailing single symbol
  EXPECT_FALSE(DecodeBase64Url("aA=a"));
  EXPECT_FALSE(DecodeBase64Url("aA==="));
}

TEST(Utf8, FindInvalidReportsTheFirstBadOffset) {
  EXPECT_TRUE(utf8::IsValid("plain ascii"));
  EXPECT_TRUE(utf8::IsValid("é € 𝄞 \xf4\x8f\xbf\xbf"));  // up to U+10FFFF
  EXPECT_EQ(utf8::FindInvalid("ab\x80"), 2u);            // stray continuation
  EXPECT_EQ(utf8::FindInvalid("\xc1\xbf"), 0u);          // overlong 2-byte
  EXPECT_EQ(utf8::FindInvalid("x\xe0\x80\xaf"), 1u);     // overlong 3-byte
  EXPECT_EQ(utf8::FindInvalid("\xed\xbf\xbf"), 0u);      // surrogate
  EXPECT_EQ(utf8::FindInvalid("\xf5\x80\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(utf8::FindInvalid("ok\xe2\x82"), 2u);        // truncated at the end
}

TEST(Utf8, CountAndAppend) {
  EXPECT_EQ(utf8::CountCodePoints("aé€𝄞"), 4u);
  std::string out;
  utf8::AppendCodePoint(0x1F680, &out);
  utf8::AppendCodePoint(0xD800, &out);
  utf8::AppendCodePoint(0, &out);
  EXPECT_EQ(out, "🚀\uFFFD\uFFFD");
}

TEST(Utf8, SingleByteCharsets) {
  EXPECT_EQ(utf8::FromLatin1("caf\xe9 \x80"), "café \u0080");
  EXPECT_EQ(utf8::FromWindows1252("caf\xe9 \x80 \x93q\x94 \x81"), "café € “q” \uFFFD");
}

TEST(HtmlToText, DropsScriptStyleCommentsAndDoctype) {
  EXPECT_EQ(HtmlToText("<!DOCTYPE html><style>p{}</style><SCRIPT type=x>if (a<b) x();</Script>"
                       "<!-- hidden <p>no</p> -->visible<?xml version='1.0'?>"),
            "visible");
}

TEST(HtmlToText, BlockTagsBreakLinesInlineTagsDoNot) {
  EXPECT_EQ(HtmlToText("<div><p>One <b>bold</b><i>it</i></p><p>Two<br/>Three</p></div>"
                       "<ul><li>a</li><li>b</li></ul><table><tr><td>x</td><td>y</td></tr></table>"),
            "One boldit\nTwo\nThree\na\nb\nx y");
}

TEST(HtmlToText, CollapsesWhitespace) {
  EXPECT_EQ(HtmlToText("  <p>  lots \n\t of   space </p>\n\n  <p> end </p>  "),
            "lots of space\nend");
}

TEST(HtmlToText, DecodesEntities) {
  EXPECT_EQ(HtmlToText("&amp; &lt; &gt; &quot; &#39; &apos; a&nbsp;b &#8364; &#x20AC; &#X1F680;"),
            "& < > \" ' ' a b € € 🚀");
  EXPECT_EQ(HtmlToText("&copy; &mdash; &hellip; &rsquo;"), "© — … ’");
  EXPECT_EQ(HtmlToText("&amp;lt;"), "&lt;");  // decoded once, not twice
}

TEST(HtmlToText, MalformedEntitiesAreKeptOrReplaced) {
  EXPECT_EQ(HtmlToText("AT&T &bogus; &#; &#xZZ; & alone"), "AT&T &bogus; &#; &#xZZ; & alone");
  EXPECT_EQ(HtmlToText("&#0;|&#xD800;|&#99999999999999999999999;|&#x110000;"),
            "\uFFFD|\uFFFD|\uFFFD|\uFFFD");
}

TEST(HtmlToText, MalformedMarkupDegradesGracefully) {
  EXPECT_EQ(HtmlToText("a < b and c<3"), "a < b and c<3");
  EXPECT_EQ(HtmlToText("<a title=\"x>y\" href='p>q'>link</a>"), "link");
  EXPECT_EQ(HtmlToText("text<p unterminated"), "text");
  EXPECT_EQ(HtmlToText("<script>never closed"), "");
  EXPECT_EQ(HtmlToText("<!-- never closed"), "");
  EXPECT_EQ(HtmlToText(""), "");
}

TEST(MailDate, Rfc5322Variants) {
  EXPECT_EQ(ParseMailDateMs("Tue, 4 Nov 2025 11:00:00 +0000"), 1762254000000);
  EXPECT_EQ(ParseMailDateMs("4 Nov 2025 11:00:00 GMT"), 1762254000000);
  EXPECT_EQ(ParseMailDateMs("Tue, 04 Nov 2025 11:00 +0000"), 1762254000000);
  EXPECT_EQ(ParseMailDateMs("Wed, 12 Nov 2025 09:00:00 -0500 (EST)"), 1762956000000);
  EXPECT_EQ(ParseMailDateMs("Wed, 12 Nov 2025 09:00:00 EST"), 1762956000000);
  EXPECT_EQ(ParseMailDateMs("Sat, 2 Jan 99 03:04:05 PST"), 915275045000);
  EXPECT_EQ(ParseMailDateMs("Thu, 29 Feb 2024 23:59:59 +0130"), 1709245799000);
}

TEST(MailDate, IsoLikeVariants) {
  EXPECT_EQ(ParseMailDateMs("2025-11-01 12:00:00"), 1761998400000);
  EXPECT_EQ(ParseMailDateMs("2025-11-01T12:00:00Z"), 1761998400000);
  EXPECT_EQ(ParseMailDateMs("2025-11-01T12:00:00.25Z"), 1761998400250);
  EXPECT_EQ(ParseMailDateMs("2025-11-01T12:00:00.123456+00:00"), 1761998400123);
  EXPECT_EQ(ParseMailDateMs("2025-11-01T13:30:00+01:30"), 1761998400000);
}

TEST(MailDate, RejectsNonsense) {
  EXPECT_FALSE(ParseMailDateMs(""));
  EXPECT_FALSE(ParseMailDateMs("yesterday"));
  EXPECT_FALSE(ParseMailDateMs("Tue, 4 Nox 2025 11:00:00 +0000"));
  EXPECT_FALSE(ParseMailDateMs("Fri, 30 Feb 2024 11:00:00 +0000"));
  EXPECT_FALSE(ParseMailDateMs("2025-11-01 25:00:00"));
  EXPECT_FALSE(ParseMailDateMs("2025-11-01 12:00:00 tomorrow"));
  EXPECT_FALSE(ParseMailDateMs("Tue, 4 Nov 2025 11:00:00 +0000 trailing"));
}

TEST(MimeText, CharsetParam) {
  EXPECT_EQ(CharsetParam("text/plain; charset=\"UTF-8\""), "utf-8");
  EXPECT_EQ(CharsetParam("text/html;charset=ISO-8859-1; format=flowed"), "iso-8859-1");
  EXPECT_EQ(CharsetParam("text/plain"), "");
}

TEST(MimeText, EncodedWords) {
  EXPECT_EQ(DecodeMimeWords("=?UTF-8?B?8J+agCBMYXVuY2g=?="), "🚀 Launch");
  EXPECT_EQ(DecodeMimeWords("Re: =?utf-8?q?Caf=C3=A9_menu?= today"), "Re: Café menu today");
  EXPECT_EQ(DecodeMimeWords("=?UTF-8?Q?a?= \r\n =?UTF-8?Q?b?="), "ab");  // adjacent words join
  EXPECT_EQ(DecodeMimeWords("=?ISO-8859-1?Q?Andr=E9?= <a@b.example>"), "André <a@b.example>");
  EXPECT_EQ(DecodeMimeWords("=?utf-8*en?Q?hi?="), "hi");  // RFC 2231 language tag
}

TEST(MimeText, UndecodableWordsStayVerbatim) {
  EXPECT_EQ(DecodeMimeWords("plain subject"), "plain subject");
  EXPECT_EQ(DecodeMimeWords("=?UTF-8?X?abc?= x"), "=?UTF-8?X?abc?= x");
  EXPECT_EQ(DecodeMimeWords("=?UTF-8?Q?bad=ZZ?="), "=?UTF-8?Q?bad=ZZ?=");
  EXPECT_EQ(DecodeMimeWords("=?koi8-r?B?8g==?="), "=?koi8-r?B?8g==?=");  // not UTF-8 bytes
  EXPECT_EQ(DecodeMimeWords("=?broken"), "=?broken");
}

TEST(ParseBounded, SkippedSubtreesAreNotMaterialized) {
  decode_internal::Json root;
  const auto error = decode_internal::ParseBounded(
      R"({"event":{"text":"t","blocks":[{"elements":[[1,2,3]]}],"previous_message":{"text":"old"}},)"
      R"("authorizations":[{}],"reactions":[],"files":[],"keep":{"blocks_like":1}})",
      32, &root);
  ASSERT_FALSE(error) << error->detail;
  EXPECT_EQ(root.dump(), R"({"event":{"text":"t"},"keep":{"blocks_like":1}})");
}

TEST(ParseBounded, BuildsEveryKeptValueWithTheLastDuplicateWinning) {
  decode_internal::Json root;
  const auto error = decode_internal::ParseBounded(
      R"({"a":[1,-2,3.5,"s",true,null,{"b":[[]]},[{"c":"d"}]],"files":7,"reactions":"x",)"
      R"("dup":1,"dup":{"e":"f"},"u":18446744073709551615,"t":"\u00e9\n"})",
      32, &root);
  ASSERT_FALSE(error) << error->detail;
  EXPECT_EQ(root, decode_internal::Json::parse(
                      R"({"a":[1,-2,3.5,"s",true,null,{"b":[[]]},[{"c":"d"}]],"dup":{"e":"f"},)"
                      R"("u":18446744073709551615,"t":"\u00e9\n"})"));
}

TEST(ParseBounded, ASyntaxErrorNamesItsByteOffsetOnly) {
  decode_internal::Json root;
  const auto error = decode_internal::ParseBounded(R"({"text":"secret", oops})", 32, &root);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->reason, DlqReason::kInvalidJson);
  EXPECT_EQ(error->detail, "JSON syntax error at byte 19");
  const auto trailing = decode_internal::ParseBounded(R"({"a":1} {"b":2})", 32, &root);
  ASSERT_TRUE(trailing);
  EXPECT_EQ(trailing->reason, DlqReason::kInvalidJson);
}

TEST(ParseBounded, DepthIsCheckedInsideSkippedSubtrees) {
  decode_internal::Json root;
  const auto error = decode_internal::ParseBounded(R"({"blocks":[[[[]]]]})", 4, &root);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->reason, DlqReason::kTooDeep);
}

}  // namespace
}  // namespace ms
