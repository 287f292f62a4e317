// Address helpers shared by the configuration checks and the HTTP server.
#pragma once

#include <algorithm>
#include <cctype>
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

// The origin of an absolute URL, "scheme://host[:port]" in lower case and without any
// user:password@, with the scheme's default port left out; "" for a URL with no scheme. Two
// URLs with the same origin reach the same server.
inline std::string UrlOrigin(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos || scheme == 0) return "";
  const size_t authority = scheme + 3;
  const size_t end = std::min(url.find_first_of("/?#", authority), url.size());
  std::string_view host = url.substr(authority, end - authority);
  const size_t at = host.rfind('@');
  if (at != std::string_view::npos) host = host.substr(at + 1);
  std::string out(url.substr(0, authority));
  out += host;
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  struct DefaultPort {
    std::string_view scheme, port;
  };
  for (DefaultPort d : {DefaultPort{"http://", ":80"}, DefaultPort{"https://", ":443"}}) {
    if (out.starts_with(d.scheme) && out.ends_with(d.port)) out.resize(out.size() - d.port.size());
  }
  return out;
}

}  // namespace ms
