// Base64url decoding (RFC 4648 §5) as the Gmail API emits message bodies.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ms {

// Decodes `encoded`. Lenient where producers differ in harmless ways: '=' padding is optional,
// the standard alphabet's '+' and '/' are accepted beside '-' and '_', and CR/LF line breaks
// are skipped. Returns nullopt for any other byte, padding anywhere but the end, or a length
// that cannot encode whole bytes (one leftover symbol).
std::optional<std::string> DecodeBase64Url(std::string_view encoded);

}  // namespace ms
