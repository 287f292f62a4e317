// The HTTP routes of HttpServer (see server.h for the contract).
#pragma once

#include "adapters/http/server.h"

namespace ms::http {

void InstallRoutes(httplib::Server& server, const HttpServices& services);

// The HTTP status a read-API error maps to.
int HttpStatusOf(const Status& status);

}  // namespace ms::http
