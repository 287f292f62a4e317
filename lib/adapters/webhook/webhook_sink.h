// The relay's optional HTTP sink (ports/outbox.h OutboxSink): each outbox row is POSTed as
// JSON to outbox.webhook_url, signed so the receiver can verify origin and integrity:
//   X-Milestoned-Delivery-Id: the outbox row's id, the dedup key (delivery is at least once;
//                             the same id is the same delivery, another id another change)
//   X-Milestoned-Event-Id:    the event's id, shared by every change of that event
//   X-Milestoned-Event-Type:  event.created, event.sighted, event.changed, event.stale
//   X-Milestoned-Timestamp:   Unix seconds when signed (receivers reject old ones: replay guard)
//   X-Milestoned-Signature:   "sha256=" + hex(HMAC-SHA256(secret, timestamp + "." + body))
// A 2xx answer is a delivery; anything else (or no answer) fails the row, and the company's
// later rows of the round are not posted (Aborted).
#pragma once

#include <memory>
#include <string>

#include "adapters/llm/http_client.h"
#include "core/clock.h"
#include "ports/outbox.h"

namespace ms::webhook {

// hex(HMAC-SHA256(secret, message)).
std::string HmacSha256Hex(const std::string& secret, const std::string& message);

class WebhookSink final : public OutboxSink {
 public:
  // `clock` (the wall clock signs the timestamp, the monotonic one keeps a call within its
  // budget) must outlive the sink; null: the system's.
  WebhookSink(std::string url, std::string secret,
              std::chrono::milliseconds timeout = std::chrono::seconds(10),
              const Clock* clock = nullptr);

  std::vector<Status> Deliver(const std::vector<OutboxRow>& rows,
                              std::chrono::milliseconds budget) override;

  // One row; OK on a 2xx answer.
  Status Post(const OutboxRow& row);

 private:
  std::string url_;
  std::string secret_;  // never logged
  std::chrono::milliseconds timeout_;
  SystemClock system_clock_;
  const Clock* clock_;
  llm::HttpClient client_;
};

}  // namespace ms::webhook
