// Signal handling of the daemon: no handlers, one thread that waits for the signals with
// sigwait, so what a signal does runs on an ordinary thread (logging, locks) and never
// interrupts another thread's work.
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace ms::app {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread, and so in every thread it starts
// afterwards; returns that set. Call it before any thread exists (spdlog's, librdkafka's),
// else a thread that does not block them could take a signal in the default way.
sigset_t BlockStopSignals();

// The thread that waits for `signals` (BlockStopSignals):
//  - SIGHUP reopens the log file;
//  - the first SIGTERM or SIGINT sets stop() and starts the drain deadline (`drain_timeout`,
//    shutdown.timeout); a second one, or the deadline passing before Join, ends the process at
//    once (_exit(1)): what was not committed is redelivered, as after a crash.
// The stop flag belongs to this object and the thread refers to nothing else, so nothing it
// touches can go away under it; Join (or the destructor) ends the thread. After Join no signal
// is handled: they stay blocked and pending until the process exits.
class SignalThread {
 public:
  SignalThread(sigset_t signals, std::chrono::milliseconds drain_timeout);
  ~SignalThread() { Join(); }
  SignalThread(const SignalThread&) = delete;
  SignalThread& operator=(const SignalThread&) = delete;

  // Set by the first stop signal; the daemon sets it too when it stops for its own reasons
  // (a later signal then counts as the second one).
  std::atomic<bool>& stop() { return stop_; }

  // Ends the thread and waits for it (within kSignalPoll). Idempotent.
  void Join();

  // The thread, so a test can direct a signal at it (pthread_kill).
  std::thread::native_handle_type native_handle() { return thread_.native_handle(); }

 private:
  void Run();

  const sigset_t signals_;
  const std::chrono::milliseconds drain_timeout_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> quit_{false};  // Join asked the thread to end
  std::thread thread_;             // last: started once every member above is set
};

}  // namespace ms::app
