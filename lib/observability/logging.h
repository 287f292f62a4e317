// Process-wide logging setup (spdlog): human-readable text or JSON lines, one event per line,
// to stderr or a file. Message bodies and secrets are never logged above debug level; callers
// log ids and counts, not content.
#pragma once

#include "config/config.h"
#include "core/status.h"

namespace ms {

// Installs the default logger described by `config`. FailedPrecondition if the log file
// cannot be opened. May be called again (e.g. on SIGHUP) to reopen the file.
Status SetupLogging(const LogConfig& config);

// Reopens the log file after rotation (SIGHUP). No-op when logging to stderr.
Status ReopenLogs();

}  // namespace ms
