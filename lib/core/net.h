// Address helpers shared by the configuration checks and the HTTP server.
#pragma once

#include <string>
#include <string_view>

namespace ms {

// True for the loopback host names and addresses: "localhost", "::1", "127.x.y.z".
inline bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

// "scheme://user:password@host/..." with the password shown as "***": a URL fit for a log
// line, an error or --print-config.
inline std::string WithoutUrlPassword(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t host_end = url.find('/', scheme + 3);
  const size_t at = url.rfind('@', host_end);
  if (at == std::string::npos || at < scheme) return url;
  const size_t colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace ms
