#include "adapters/llm/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <string_view>

namespace ms::llm {
namespace {

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// Per-call state shared with libcurl's callbacks.
struct Exchange {
  HttpResponse response;
  size_t max_bytes = 0;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  size_t bytes = size * count;
  if (exchange->response.body.size() + bytes > exchange->max_bytes) {
    exchange->too_large = true;
    return 0;  // makes libcurl abort with CURLE_WRITE_ERROR
  }
  exchange->response.body.append(data, bytes);
  return bytes;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  size_t bytes = size * count;
  std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) {
    exchange->response.headers.clear();  // a new response (after 100 Continue, say)
    return bytes;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name(Trim(line.substr(0, colon)));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  exchange->response.headers[name] = std::string(Trim(line.substr(colon + 1)));
  return bytes;
}

// The scheme, host and path of `url`: no query string or user:password@ (either might hold a
// secret).
std::string Where(const std::string& url) {
  std::string out = url.substr(0, url.find('?'));
  size_t authority = out.find("://");
  size_t at = out.find('@');
  size_t path = out.find('/', authority == std::string::npos ? 0 : authority + 3);
  if (authority != std::string::npos && at != std::string::npos && at < path)
    out.erase(authority + 3, at - authority - 2);
  return out;
}

Status TransportError(CURLcode code, const char* detail, const HttpRequest& request) {
  const std::string& url = request.url;
  std::string message = request.method + " " + Where(url) + ": " + curl_easy_strerror(code);
  if (detail != nullptr && detail[0] != '\0') message += std::string(" (") + detail + ")";
  if (code == CURLE_OPERATION_TIMEDOUT) return DeadlineExceeded(std::move(message));
  return Unavailable(std::move(message));
}

curl_slist* BuildHeaders(const HttpRequest& request) {
  curl_slist* list = nullptr;
  for (const auto& [name, value] : request.headers) {
    std::string line = name + ": " + value;
    list = curl_slist_append(list, line.c_str());
  }
  list = curl_slist_append(list, "Expect:");  // no 100-continue round trip for big prompts
  return list;
}

void SetOptions(CURL* curl, const HttpRequest& request, const HttpClientOptions& options,
                curl_slist* headers, Exchange* exchange, char* error_buffer) {
  auto timeout = std::max<int64_t>(1, request.timeout.count());
  auto connect_timeout = std::min<int64_t>(timeout, options.connect_timeout.count());
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  // GET and DELETE carry no body; any other method POSTs request.body under its own name.
  if (request.method == "GET" || request.method == "DELETE") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(
      curl, CURLOPT_CUSTOMREQUEST,
      request.method == "GET" || request.method == "POST" ? nullptr : request.method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // required for timeouts in threaded programs
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");  // whatever libcurl can decode
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, exchange);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, exchange);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
}

}  // namespace

HttpClient::HttpClient(HttpClientOptions options) : options_(options) {
  GlobalInitOnce();
}

HttpClient::~HttpClient() {
  for (void* handle : idle_handles_) curl_easy_cleanup(static_cast<CURL*>(handle));
}

void* HttpClient::AcquireHandle() {
  {
    std::lock_guard lock(mu_);
    if (!idle_handles_.empty()) {
      void* handle = idle_handles_.back();
      idle_handles_.pop_back();
      return handle;
    }
  }
  return curl_easy_init();
}

void HttpClient::ReleaseHandle(void* handle) {
  // reset clears the options but keeps live connections, the DNS and TLS session caches.
  curl_easy_reset(static_cast<CURL*>(handle));
  std::lock_guard lock(mu_);
  idle_handles_.push_back(handle);
}

StatusOr<HttpResponse> HttpClient::Post(const HttpRequest& request) {
  auto* curl = static_cast<CURL*>(AcquireHandle());
  if (curl == nullptr) return Internal("curl_easy_init failed");
  Exchange exchange;
  exchange.max_bytes = options_.max_response_bytes;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = BuildHeaders(request);
  SetOptions(curl, request, options_, headers, &exchange, error_buffer);
  CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  ReleaseHandle(curl);
  if (exchange.too_large) {
    return ResourceExhausted(request.method + " " + Where(request.url) +
                             ": response body exceeds " +
                             std::to_string(options_.max_response_bytes) + " bytes");
  }
  if (code != CURLE_OK) return TransportError(code, error_buffer, request);
  exchange.response.status = static_cast<int>(status);
  return std::move(exchange.response);
}

}  // namespace ms::llm
