// The relay's optional HTTP sink: each outbox row is POSTed as JSON to outbox.webhook_url,
// signed so the receiver can verify origin and integrity:
//   X-Milestoned-Event-Id:  the event's id (receivers dedup on it: delivery is at least once)
//   X-Milestoned-Timestamp: Unix seconds when signed (receivers reject old ones: replay guard)
//   X-Milestoned-Signature: "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body))
// A 2xx answer is a delivery; anything else (or no answer) is retried with backoff, the company's
// later rows waiting behind it (relay.h); a row Kafka already took is not produced again.
#pragma once

#include <memory>
#include <string>

#include "adapters/llm/http_client.h"
#include "core/status.h"

namespace ms::app {

// hex(HMAC-SHA256(secret, message)).
std::string HmacSha256Hex(const std::string& secret, const std::string& message);

class WebhookSink {
 public:
  WebhookSink(std::string url, std::string secret,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));

  Status Post(const std::string& event_id, const std::string& type, const std::string& body,
              int64_t now_s);

 private:
  std::string url_;
  std::string secret_;  // never logged
  std::chrono::milliseconds timeout_;
  llm::HttpClient client_;
};

}  // namespace ms::app
