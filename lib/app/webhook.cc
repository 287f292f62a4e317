#include "app/webhook.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/hash.h"

namespace ms::app {

std::string HmacSha256Hex(const std::string& secret, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &len);
  return LowerHex(std::string_view(reinterpret_cast<const char*>(digest), len));
}

WebhookSink::WebhookSink(std::string url, std::string secret, std::chrono::milliseconds timeout)
    : url_(std::move(url)),
      secret_(std::move(secret)),
      timeout_(timeout),
      client_(llm::HttpClientOptions{std::chrono::seconds(5), 64 << 10}) {}

Status WebhookSink::Post(const std::string& event_id, const std::string& type,
                         const std::string& body, int64_t now_s) {
  std::string timestamp = std::to_string(now_s);
  llm::HttpRequest req;
  req.url = url_;
  req.body = body;
  req.timeout = timeout_;
  req.headers = {
      {"Content-Type", "application/json"},
      {"X-Milestoned-Event-Id", event_id},
      {"X-Milestoned-Event-Type", type},
      {"X-Milestoned-Timestamp", timestamp},
      {"X-Milestoned-Signature", "sha256=" + HmacSha256Hex(secret_, timestamp + "." + body)}};
  MS_ASSIGN_OR_RETURN(llm::HttpResponse resp, client_.Post(req));
  if (resp.status >= 200 && resp.status < 300) return Status::Ok();
  return Unavailable("webhook answered HTTP " + std::to_string(resp.status));
}

}  // namespace ms::app
