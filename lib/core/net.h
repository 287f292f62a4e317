// Address helpers shared by the configuration checks and the HTTP server.
#pragma once

#include <string_view>

namespace ms {

// True for the loopback host names and addresses: "localhost", "::1", "127.x.y.z".
inline bool IsLoopbackHost(std::string_view host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

}  // namespace ms
