// Crash-test hooks for the end-to-end tests: MILESTONE_FAILPOINT=<name> (read once, at the first
// hook) makes the thread that reaches the named point log "failpoint <name> reached" and hold
// there until the process is killed, so a test can kill -9 it at exactly that point. Test-only
// and never set in production (docs/operations.md lists the names):
//   extract.before_store  between the model's answer (kept on the batch row) and the store
//   relay.before_mark     between the sinks' acknowledgement and marking the rows published
#pragma once

#include <string_view>

namespace ms::app {

// Holds the calling thread for good when MILESTONE_FAILPOINT names `point`; returns at once
// otherwise. `detail` goes into the log line (e.g. "batch 42").
void HoldAtFailpoint(std::string_view point, std::string_view detail);

}  // namespace ms::app
