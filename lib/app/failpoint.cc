#include "app/failpoint.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace ms::app {

void HoldAtFailpoint(std::string_view point, std::string_view detail) {
  static const std::string armed = [] {
    const char* name = std::getenv("MILESTONE_FAILPOINT");
    return std::string(name == nullptr ? "" : name);
  }();
  if (armed.empty() || armed != point) return;
  spdlog::warn("failpoint {} reached: holding {} until killed", point, detail);
  spdlog::default_logger()->flush();
  for (;;) pause();
}

}  // namespace ms::app
