// A child process for end-to-end tests: the real milestoned / milestonectl binaries.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ms::test {

class Process {
 public:
  // Starts `argv` with the current environment plus `env`; stdout and stderr go to `log_path`.
  static Process Start(const std::vector<std::string>& argv,
                       const std::map<std::string, std::string>& env, const std::string& log_path);
  ~Process();
  Process(Process&& other) noexcept : pid_(other.pid_), log_path_(std::move(other.log_path_)) {
    other.pid_ = -1;
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void Signal(int sig);
  // Exit code (128 + signal when killed), or nullopt if still running after `wait`.
  std::optional<int> Wait(std::chrono::milliseconds wait);
  bool running();
  pid_t pid() const { return pid_; }
  std::string Log() const;

 private:
  Process(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_;
  std::string log_path_;
  std::optional<int> exit_code_;
};

// Runs to completion and returns the exit code (output to `log_path`).
int RunToEnd(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
             const std::string& log_path, std::chrono::milliseconds wait);

}  // namespace ms::test
