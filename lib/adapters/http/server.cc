#include "adapters/http/server.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>
#include <future>

#include "adapters/http/routes.h"
#include "core/net.h"

namespace ms::http {
namespace {

// A connection that sends nothing (a port scan, a stalled client, an idle keep-alive) holds a
// pool thread until this timeout: short, so probes never queue behind a few silent peers.
constexpr time_t kIoTimeoutSeconds = 1;
constexpr size_t kMaxRequestBody = 64 * 1024;

std::unique_ptr<httplib::Server> MakeServer(int threads) {
  auto server = std::make_unique<httplib::Server>();
  server->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server->set_read_timeout(kIoTimeoutSeconds, 0);
  server->set_write_timeout(kIoTimeoutSeconds, 0);
  server->set_keep_alive_timeout(kIoTimeoutSeconds);
  server->set_payload_max_length(kMaxRequestBody);
  // httplib's default sets SO_REUSEPORT, which would let a second instance on the same host
  // bind the same port and silently take half the scrapes. SO_REUSEADDR only: a restart can
  // rebind past TIME_WAIT, a second live listener fails.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  return server;
}

// Binds `server`; returns the port or -1.
int Bind(httplib::Server& server, const HttpServerOptions& options) {
  if (options.port == 0) return server.bind_to_any_port(options.listen);
  return server.bind_to_port(options.listen, options.port) ? options.port : -1;
}

}  // namespace

bool IsLoopback(const std::string& host) {
  return IsLoopbackHost(host);
}

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options,
                                                        const HttpServices& services) {
  auto server = MakeServer(options.threads < 1 ? 1 : options.threads);
  InstallRoutes(*server, services);
  errno = 0;
  int port = Bind(*server, options);
  if (port <= 0) {
    return FailedPrecondition("http: cannot listen on " + options.listen + ":" +
                              std::to_string(options.port) + ": " +
                              (errno ? std::strerror(errno) : "bind failed"));
  }
  if (!IsLoopback(options.listen)) {
    spdlog::warn(
        "http: listening on {}:{}, beyond loopback; the endpoints have no "
        "authentication, so restrict access with a firewall or a proxy",
        options.listen, port);
  } else {
    spdlog::info("http: listening on {}:{}", options.listen, port);
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(server), port));
}

HttpServer::HttpServer(std::unique_ptr<httplib::Server> server, int port)
    : server_(std::move(server)), port_(port) {
  std::promise<void> exited;
  exited_ = exited.get_future();
  thread_ = std::thread([srv = server_.get(), exited = std::move(exited)]() mutable {
    srv->listen_after_bind();
    exited.set_value();
  });
}

HttpServer::~HttpServer() {
  Stop();
}

void HttpServer::Stop() {
  if (!thread_.joinable()) return;
  // httplib's stop() is a no-op until the listener thread has entered its accept loop, so
  // repeat it until the thread is out.
  do {
    server_->stop();
  } while (exited_.wait_for(std::chrono::milliseconds(10)) != std::future_status::ready);
  thread_.join();
}

}  // namespace ms::http
