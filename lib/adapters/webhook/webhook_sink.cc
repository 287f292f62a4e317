#include "adapters/webhook/webhook_sink.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <set>

#include "core/hash.h"

namespace ms::webhook {

std::string HmacSha256Hex(const std::string& secret, const std::string& message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &len);
  return LowerHex(std::string_view(reinterpret_cast<const char*>(digest), len));
}

WebhookSink::WebhookSink(std::string url, std::string secret, std::chrono::milliseconds timeout,
                         const Clock* clock)
    : url_(std::move(url)),
      secret_(std::move(secret)),
      timeout_(timeout),
      clock_(clock != nullptr ? clock : &system_clock_),
      client_(llm::HttpClientOptions{std::chrono::seconds(5), 64 << 10}) {}

Status WebhookSink::Post(const OutboxRow& row) {
  const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(clock_->Now()).count();
  std::string timestamp = std::to_string(now_s);
  llm::HttpRequest req;
  req.url = url_;
  req.body = row.payload;
  req.timeout = timeout_;
  req.headers = {{"Content-Type", "application/json"},
                 {"X-Milestoned-Delivery-Id", std::to_string(row.id)},
                 {"X-Milestoned-Event-Id", row.event_uid},
                 {"X-Milestoned-Event-Type", row.type},
                 {"X-Milestoned-Timestamp", timestamp},
                 {"X-Milestoned-Signature",
                  "sha256=" + HmacSha256Hex(secret_, timestamp + "." + row.payload)}};
  MS_ASSIGN_OR_RETURN(llm::HttpResponse resp, client_.Post(req));
  if (resp.status >= 200 && resp.status < 300) return Status::Ok();
  return Unavailable("webhook answered HTTP " + std::to_string(resp.status));
}

std::vector<Status> WebhookSink::Deliver(const std::vector<OutboxRow>& rows,
                                         std::chrono::milliseconds budget) {
  const std::chrono::milliseconds deadline = clock_->Monotonic() + budget;
  std::vector<Status> results;
  results.reserve(rows.size());
  std::set<std::string> failed;  // companies whose row failed in this call
  for (const OutboxRow& row : rows) {
    if (failed.count(row.company)) {
      results.push_back(Aborted("an earlier row of the company failed"));
    } else if (clock_->Monotonic() + timeout_ > deadline) {
      results.push_back(DeadlineExceeded("not posted: the round's time is up"));
    } else {
      results.push_back(Post(row));
      if (!results.back().ok()) failed.insert(row.company);
    }
  }
  return results;
}

}  // namespace ms::webhook
