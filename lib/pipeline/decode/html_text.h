// Plain text from an HTML e-mail body, for messages that carry no text/plain alternative.
#pragma once

#include <string>
#include <string_view>

namespace ms {

// Converts `html` (valid UTF-8) to readable plain text, as a mail client's "view as text" would:
//   - tags are dropped; block-level tags (p, div, br, li, tr, h1-h6, ...) become a line break,
//     table cells a space, inline tags (b, i, span, a, ...) nothing;
//   - <script> and <style> are dropped with their contents, as are comments, <!DOCTYPE> and <?..?>;
//   - entities are decoded: &amp; &lt; &gt; &quot; &#39; &apos; &nbsp; (to a plain space),
//     numeric &#NNN; / &#xHH;, and a short list of common named ones (&copy;, &mdash;, &rsquo;,
//     ...); unknown or malformed entities are kept verbatim;
//   - runs of whitespace collapse to one space, runs of line breaks to one '\n', and the result
//     has no leading or trailing whitespace. <pre> is not special-cased.
// Never fails: malformed markup degrades to "drop what cannot be a tag". Output is valid UTF-8
// without NUL when the input is valid UTF-8 (invalid numeric references become U+FFFD).
std::string HtmlToText(std::string_view html);

}  // namespace ms
