// The sd_notify wrapper speaks the notify protocol: a datagram per call on $NOTIFY_SOCKET.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>

#include "observability/systemd.h"

namespace ms {
namespace {

// Sets an environment variable for the test's duration, restoring the old value after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A bound AF_UNIX datagram socket standing in for systemd's notify socket.
class NotifySocket {
 public:
  NotifySocket() {
    char tmpl[] = "/tmp/ms_notify_XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/notify.sock";
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    timeval timeout{2, 0};  // a missing datagram fails the test instead of hanging it
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }
  ~NotifySocket() {
    close(fd_);
    std::filesystem::remove_all(dir_);
  }
  bool bound() const { return bound_; }
  const std::string& path() const { return path_; }

  std::string Receive() {
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<size_t>(n));
  }

 private:
  std::string dir_, path_;
  int fd_ = -1;
  bool bound_ = false;
};

TEST(SystemdNotifyTest, SendsEachStateOnTheNotifySocket) {
  NotifySocket sock;
  ASSERT_TRUE(sock.bound());
  ScopedEnv env("NOTIFY_SOCKET", sock.path());
  EXPECT_TRUE(systemd::Ready());
  EXPECT_EQ(sock.Receive(), "READY=1");
  EXPECT_TRUE(systemd::NotifyStatus("consuming 6 partitions"));
  EXPECT_EQ(sock.Receive(), "STATUS=consuming 6 partitions");
  EXPECT_TRUE(systemd::Watchdog());
  EXPECT_EQ(sock.Receive(), "WATCHDOG=1");
  EXPECT_TRUE(systemd::Stopping());
  EXPECT_EQ(sock.Receive(), "STOPPING=1");
}

TEST(SystemdNotifyTest, StatusCannotInjectOtherAssignments) {
  NotifySocket sock;
  ASSERT_TRUE(sock.bound());
  ScopedEnv env("NOTIFY_SOCKET", sock.path());
  EXPECT_TRUE(systemd::NotifyStatus("draining\nREADY=1"));
  EXPECT_EQ(sock.Receive(), "STATUS=draining READY=1");
}

TEST(SystemdNotifyTest, NoOpWithoutANotifySocket) {
  ScopedEnv env("NOTIFY_SOCKET", "");
  unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(systemd::Ready());
  EXPECT_FALSE(systemd::Watchdog());
}

TEST(SystemdNotifyTest, WatchdogIntervalComesFromTheEnvironment) {
  ScopedEnv usec("WATCHDOG_USEC", "30000000");
  {
    ScopedEnv pid("WATCHDOG_PID", std::to_string(getpid()));
    EXPECT_EQ(systemd::WatchdogInterval(), std::chrono::seconds(30));
  }
  ScopedEnv other_pid("WATCHDOG_PID", std::to_string(getpid() + 1));
  EXPECT_EQ(systemd::WatchdogInterval(), std::nullopt) << "meant for another process";
}

}  // namespace
}  // namespace ms
