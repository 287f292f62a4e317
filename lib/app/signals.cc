#include "app/signals.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>

#include "observability/logging.h"

namespace ms::app {
namespace {

// How often the waiting thread looks at quit_: the longest Join may wait.
constexpr std::chrono::milliseconds kSignalPoll{100};

timespec ToTimespec(std::chrono::nanoseconds wait) {
  const int64_t ns = std::max<int64_t>(0, wait.count());
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

[[noreturn]] void ExitNow() {
  spdlog::shutdown();
  _exit(1);
}

}  // namespace

sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

SignalThread::SignalThread(sigset_t signals, std::chrono::milliseconds drain_timeout)
    : signals_(signals), drain_timeout_(drain_timeout), thread_([this] { Run(); }) {}

void SignalThread::Join() {
  quit_ = true;
  if (thread_.joinable()) thread_.join();
}

void SignalThread::Run() {
  std::optional<std::chrono::steady_clock::time_point> deadline;
  while (!quit_.load()) {
    std::chrono::nanoseconds wait = kSignalPoll;
    if (deadline) wait = std::min(wait, *deadline - std::chrono::steady_clock::now());
    const timespec timeout = ToTimespec(wait);
    const int sig = sigtimedwait(&signals_, nullptr, &timeout);
    if (sig < 0) {
      if (errno == EAGAIN && deadline && std::chrono::steady_clock::now() >= *deadline) {
        spdlog::error(
            "shutdown.timeout ({} ms) exceeded while draining: exiting now; what was not "
            "committed is redelivered",
            drain_timeout_.count());
        ExitNow();
      }
      continue;  // the poll interval passed, or EINTR
    }
    if (sig == SIGHUP) {
      Status st = ReopenLogs();
      spdlog::info("SIGHUP: log file reopened{}", st.ok() ? "" : " failed: " + st.message());
      continue;
    }
    if (stop_.exchange(true)) {
      spdlog::warn("second signal: exiting at once");
      ExitNow();
    }
    deadline = std::chrono::steady_clock::now() + drain_timeout_;
    spdlog::info("{}: draining (at most shutdown.timeout, {} ms)", strsignal(sig),
                 drain_timeout_.count());
  }
}

}  // namespace ms::app
