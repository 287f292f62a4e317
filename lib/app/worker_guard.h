// The exception boundary of a worker thread's loop: an exception that escapes the loop is
// logged with the worker's name and counted (milestoned_worker_exceptions_total), and the loop
// is started again after a pause, so one bad batch or row never ends the process. The loop
// itself keeps its unit of work consistent (a batch not stored is taken again; offsets are
// stored only after the durable write), so starting it again loses nothing.
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <string_view>

#include "core/sleeper.h"
#include "observability/metrics.h"

namespace ms::app {

inline constexpr std::chrono::milliseconds kWorkerRestartPause{1000};

// Runs `loop` until it returns; after an exception, again after kWorkerRestartPause unless
// `stop` is set or the pause is interrupted. `metrics` may be null.
template <typename Loop>
void RunGuarded(std::string_view worker, const std::atomic<bool>& stop, Sleeper& sleeper,
                Metrics* metrics, Loop&& loop) {
  while (true) {
    try {
      loop();
      return;
    } catch (const std::exception& e) {
      spdlog::error("{}: an exception escaped the worker's loop, starting it again: {}", worker,
                    e.what());
    } catch (...) {
      spdlog::error("{}: an unknown exception escaped the worker's loop, starting it again",
                    worker);
    }
    if (metrics != nullptr) metrics->WorkerExceptions(worker).Increment();
    if (stop.load() || !sleeper.SleepFor(kWorkerRestartPause)) return;
  }
}

}  // namespace ms::app
