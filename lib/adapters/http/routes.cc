#include "adapters/http/routes.h"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <nlohmann/json.hpp>

namespace ms::http {
namespace {

constexpr const char* kJson = "application/json";
constexpr const char* kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

std::string ErrorBody(std::string_view message) {
  return nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace);
}

void ReplyJson(httplib::Response& res, const StatusOr<std::string>& body) {
  if (body.ok()) {
    res.set_content(*body, kJson);
    return;
  }
  res.status = HttpStatusOf(body.status());
  if (res.status == 500) {
    // Internal details (SQL errors, ...) go to the log, not to the client.
    spdlog::warn("http: read api: {}", body.status().ToString());
    res.set_content(ErrorBody("internal error"), kJson);
    return;
  }
  res.set_content(ErrorBody(body.status().message()), kJson);
}

void Healthz(const HealthRegistry& health, httplib::Response& res) {
  Liveness live = health.CheckLiveness();
  res.status = live.alive ? 200 : 503;
  nlohmann::json body = {{"status", live.alive ? "alive" : "stalled"},
                         {"since_beat_ms", live.since_beat.count()}};
  res.set_content(body.dump(), kJson);
}

void Readyz(const HealthRegistry& health, httplib::Response& res) {
  Readiness ready = health.CheckReadiness();
  res.status = ready.ready ? 200 : 503;
  res.set_content(ready.ToJson(), kJson);
}

StatusOr<int64_t> ParseBatchId(const std::string& text) {
  int64_t id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0) {
    return InvalidArgument("invalid batch id (want a positive integer)");
  }
  return id;
}

// Registers a read-API route; answers 503 when the daemon has no ReadApi.
template <typename Fn>
void ReadRoute(httplib::Server& server, const char* pattern, ReadApi* api, Fn fn) {
  server.Get(pattern, [api, fn](const httplib::Request& req, httplib::Response& res) {
    if (api == nullptr) return ReplyJson(res, Unavailable("read api not configured"));
    ReplyJson(res, fn(*api, req));
  });
}

// "top=N": N when it is a whole number from 1 to 500, else -1 (the API answers 400).
int ParseTop(const std::string& text) {
  if (text.empty() || text.size() > 3) return -1;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return -1;
    value = value * 10 + (c - '0');
  }
  return value >= 1 && value <= 500 ? value : -1;
}

void InstallReadApi(httplib::Server& server, ReadApi* api) {
  ReadRoute(server, R"(/v1/companies/([^/]+)/events)", api,
            [](ReadApi& read, const httplib::Request& req) {
              EventFilter filter{req.get_param_value("since"), req.get_param_value("type"),
                                 req.get_param_value("until"), req.get_param_value("min_severity"),
                                 20};
              if (req.has_param("all")) filter.top = 0;
              if (req.has_param("top")) filter.top = ParseTop(req.get_param_value("top"));
              return read.CompanyEvents(req.matches[1], filter);
            });
  ReadRoute(server, R"(/v1/companies/([^/]+)/investor-email)", api,
            [](ReadApi& read, const httplib::Request& req) {
              return read.InvestorEmail(req.matches[1]);
            });
  ReadRoute(server, R"(/v1/batches/([^/]+))", api,
            [](ReadApi& read, const httplib::Request& req) -> StatusOr<std::string> {
              MS_ASSIGN_OR_RETURN(int64_t id, ParseBatchId(req.matches[1]));
              return read.Batch(id);
            });
}

// Compares in time independent of where the two differ.
bool SameSecret(std::string_view given, std::string_view expected) {
  unsigned char diff = given.size() == expected.size() ? 0 : 1;
  for (size_t idx = 0; idx < given.size(); ++idx) {
    diff |= static_cast<unsigned char>(given[idx] ^ expected[idx % expected.size()]);
  }
  return diff == 0;
}

// /v1 requests without the bearer token are answered 401 before any route runs.
void RequireBearerToken(httplib::Server& server, std::string token) {
  if (token.empty()) return;
  server.set_pre_routing_handler(
      [token = std::move(token)](const httplib::Request& req, httplib::Response& res) {
        if (!req.path.starts_with("/v1/")) return httplib::Server::HandlerResponse::Unhandled;
        const std::string header = req.get_header_value("Authorization");
        constexpr std::string_view kScheme = "Bearer ";
        if (header.starts_with(kScheme) &&
            SameSecret(std::string_view(header).substr(kScheme.size()), token)) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        res.status = 401;
        res.set_header("WWW-Authenticate", "Bearer");
        res.set_content(ErrorBody("missing or wrong bearer token (http.token)"), kJson);
        return httplib::Server::HandlerResponse::Handled;
      });
}

}  // namespace

int HttpStatusOf(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void InstallRoutes(httplib::Server& server, const HttpServices& services) {
  const HealthRegistry* health = services.health;
  Metrics* metrics = services.metrics;
  server.Get("/healthz",
             [health](const httplib::Request&, httplib::Response& res) { Healthz(*health, res); });
  server.Get("/readyz",
             [health](const httplib::Request&, httplib::Response& res) { Readyz(*health, res); });
  server.Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics->Serialize(), kPrometheusText);
  });
  InstallReadApi(server, services.read_api);
  RequireBearerToken(server, services.bearer_token);
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    res.set_content(ErrorBody(res.status == 404 ? "no such route" : "bad request"), kJson);
  });
  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        spdlog::warn("http: handler for {} threw", req.path);
        res.status = 500;
        res.set_content(ErrorBody("internal error"), kJson);
      });
}

}  // namespace ms::http
