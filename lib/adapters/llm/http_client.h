// A small libcurl wrapper for the LLM providers: one POST (or GET), bounded in time and size.
//
// Promises:
//  - TLS peer and host verification are always on; proxy environment variables (https_proxy,
//    no_proxy, ...) are honoured as libcurl does by default.
//  - Easy handles are pooled and reused, so keep-alive connections (and TLS sessions) survive
//    between calls. Post() is thread-safe; concurrent calls use different handles.
//  - The response body is capped at `max_response_bytes`; a larger body is an error, never a
//    silently truncated answer.
//  - Header values are never copied into a Status message, so an API key sent in a header
//    cannot leak through an error.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace ms::llm {

// Response header names are lower-cased; a repeated header keeps its last value.
using HttpHeaders = std::map<std::string, std::string>;

struct HttpRequest {
  std::string method = "POST";  // or "GET", "DELETE" (no body sent)
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // may hold secrets
  std::string body;
  std::chrono::milliseconds timeout{60000};  // the whole exchange
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
};

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{10000};
  size_t max_response_bytes = 4 << 20;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // POSTs `request` (sends it without a body when request.method is "GET" or "DELETE"). Any HTTP
  // status is a successful exchange (the caller classifies it). Errors: DeadlineExceeded (timed
  // out), Unavailable (DNS, connect, TLS, reset, ...), ResourceExhausted (body larger than
  // max_response_bytes), Internal (libcurl setup).
  StatusOr<HttpResponse> Post(const HttpRequest& request);

 private:
  void* AcquireHandle();
  void ReleaseHandle(void* handle);

  const HttpClientOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_handles_;  // CURL*; guarded by mu_
};

}  // namespace ms::llm
