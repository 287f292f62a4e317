// MIME text helpers for Gmail bodies and headers: charsets and RFC 2047 encoded-words.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ms {

// The lower-cased charset parameter of a Content-Type value ("text/plain; charset=\"UTF-8\"" ->
// "utf-8"), or empty if there is none.
std::string CharsetParam(std::string_view content_type);

// Converts `bytes` in `charset` (lower-case, as CharsetParam returns) to UTF-8. Transcodes
// iso-8859-1/latin1 and windows-1252; every other charset, including empty, must already be
// valid UTF-8 (true of utf-8 and us-ascii). nullopt if it is not.
std::optional<std::string> TranscodeToUtf8(std::string_view bytes, std::string_view charset);

// Decodes RFC 2047 encoded-words ("=?UTF-8?B?...?=", "=?iso-8859-1?Q?...?=") in a header value;
// whitespace between two adjacent encoded-words is dropped, as the RFC requires. A word that
// does not decode (bad syntax, base64 or charset) is kept verbatim, so this never fails.
std::string DecodeMimeWords(std::string_view header);

}  // namespace ms
