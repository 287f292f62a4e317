// The daemon's lifecycle: connect, migrate, run the stages, drain on SIGTERM/SIGINT.
#pragma once

#include "config/config.h"

namespace ms::app {

// Runs until SIGTERM/SIGINT (a second signal exits at once). Returns the process exit code:
// 0 after a clean drain, 1 when start-up failed (the reason is logged).
int RunDaemon(const Config& config);

}  // namespace ms::app
