// The daemon's HTTP endpoint (design §6), on cpp-httplib:
//   GET /healthz                              200 while the main loop beats, else 503
//   GET /readyz                               200 / 503 with the readiness JSON
//   GET /metrics                              Prometheus text format 0.0.4
//   GET /v1/companies/{id}/events[?since=&type=]   the company's events (ReadApi)
//   GET /v1/batches/{id}                      one batch
//   GET /v1/companies/{id}/investor-email     the latest investor update
// Read-API errors map NotFound → 404, InvalidArgument → 400, Unavailable → 503, else 500;
// error bodies are {"error": "..."}.
//
// There is no authentication: the server binds loopback by default. Binding anything else
// (e.g. 0.0.0.0 behind a firewall or a reverse proxy) is allowed and logged at warn.
//
// The server listens on its own thread and serves requests on a small worker pool; Start()
// returns once the socket is bound and listening, so a client may connect at once.
#pragma once

#include <future>
#include <memory>
#include <string>
#include <thread>

#include "core/status.h"
#include "observability/health.h"
#include "observability/metrics.h"
#include "ports/read_api.h"

namespace httplib {
class Server;
}

namespace ms::http {

struct HttpServerOptions {
  std::string listen = "127.0.0.1";
  // 0 = any free port (tests). The daemon does not start a server at all when http.port is 0.
  int port = 0;
  // Each open connection holds one while it is read (up to a 1 s timeout): enough that a
  // handful of silent connections never delay a probe.
  int threads = 16;
};

// What the routes serve. Everything must outlive the server; `read_api` may be null (the /v1
// routes then answer 503).
struct HttpServices {
  Metrics* metrics = nullptr;
  const HealthRegistry* health = nullptr;
  ReadApi* read_api = nullptr;
  // Non-empty: every /v1 request must carry "Authorization: Bearer <token>" (else 401);
  // /healthz, /readyz and /metrics stay open for probes and scrapers.
  std::string bearer_token = {};
};

class HttpServer {
 public:
  // Binds and starts listening. FailedPrecondition when the address cannot be bound (in use,
  // not local, bad host) — a configuration problem, not worth retrying.
  static StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options,
                                                     const HttpServices& services);
  // Stops if still running.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Stops accepting, lets in-flight requests finish and joins the threads. Idempotent.
  void Stop();
  // The bound port (the chosen one when options.port was 0).
  int port() const { return port_; }

 private:
  HttpServer(std::unique_ptr<httplib::Server> server, int port);

  std::unique_ptr<httplib::Server> server_;
  int port_;
  std::thread thread_;
  std::future<void> exited_;  // ready once the listener thread returned
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopback(const std::string& host);

}  // namespace ms::http
