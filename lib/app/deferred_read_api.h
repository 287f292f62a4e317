// The ReadApi the HTTP server is given when it starts before the store exists: the daemon
// serves /healthz, /readyz and /metrics during start-up (migrations, topic creation), so the
// /v1 routes answer 503 "starting" until Set() hands over the real read API.
#pragma once

#include <atomic>
#include <string>

#include "ports/read_api.h"

namespace ms::app {

class DeferredReadApi final : public ReadApi {
 public:
  // `api` must outlive every request served afterwards. Thread-safe against the HTTP threads.
  void Set(ReadApi* api) { api_.store(api); }

  StatusOr<std::string> CompanyEvents(const std::string& company_id,
                                      const EventFilter& filter) override {
    ReadApi* api = api_.load();
    return api != nullptr ? api->CompanyEvents(company_id, filter) : Starting();
  }
  StatusOr<std::string> Batch(int64_t batch_id) override {
    ReadApi* api = api_.load();
    return api != nullptr ? api->Batch(batch_id) : Starting();
  }
  StatusOr<std::string> InvestorEmail(const std::string& company_id) override {
    ReadApi* api = api_.load();
    return api != nullptr ? api->InvestorEmail(company_id) : Starting();
  }

 private:
  static StatusOr<std::string> Starting() { return Unavailable("starting"); }

  std::atomic<ReadApi*> api_{nullptr};
};

}  // namespace ms::app
