// deploy/systemd/milestoned.service: systemd accepts it, its hardening keeps the exposure
// score below 3.0, and it agrees with the daemon (shutdown timeout, credential names).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "config/config.h"
#include "config/config_keys.h"
#include "config/duration.h"

#if !defined(MS_BIN_DIR) || !defined(MS_SOURCE_DIR)
#error "MS_BIN_DIR and MS_SOURCE_DIR must be defined (tests/integration/CMakeLists.txt)"
#endif

namespace ms {
namespace {

namespace fs = std::filesystem;

const char* kAnalyze = "/usr/bin/systemd-analyze";

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CommandResult RunCommand(const std::string& command) {
  CommandResult result;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof(buf), pipe)) result.output.append(buf, n);
  int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// The shipped unit, copied to a private directory with ExecStart pointed at the built binary
// (verify checks that the executable exists).
class SystemdUnitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kAnalyze)) GTEST_SKIP() << "systemd-analyze absent (Debian package systemd)";
    char tmpl[] = "/tmp/ms_unit_XXXXXX";
    dir_ = mkdtemp(tmpl);
    unit_text_ = ReadFile(fs::path(MS_SOURCE_DIR) / "deploy/systemd/milestoned.service");
    ASSERT_FALSE(unit_text_.empty());
    const std::string binary = std::string(MS_BIN_DIR) + "/daemon/milestoned";
    ASSERT_TRUE(fs::exists(binary)) << "build the milestoned target first";
    std::string local = std::regex_replace(
        unit_text_, std::regex("ExecStart=/usr/local/bin/milestoned"), "ExecStart=" + binary);
    unit_path_ = dir_ / "milestoned.service";
    std::ofstream(unit_path_) << local;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // The value of `key=` in the unit (the last one when repeated), or "".
  std::string Setting(const std::string& key) const {
    std::string value;
    std::regex line("^" + key + "=(.*)$", std::regex::multiline);
    for (auto it = std::sregex_iterator(unit_text_.begin(), unit_text_.end(), line);
         it != std::sregex_iterator(); ++it) {
      value = (*it)[1];
    }
    return value;
  }

  fs::path dir_;
  fs::path unit_path_;
  std::string unit_text_;
};

TEST_F(SystemdUnitTest, SystemdAnalyzeVerifyAcceptsTheUnit) {
  CommandResult verify = RunCommand(std::string(kAnalyze) + " verify " + unit_path_.string());
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  // Warnings about the unit (unknown keys, bad values) name its file; other units' noise
  // from the host does not.
  EXPECT_EQ(verify.output.find("milestoned.service"), std::string::npos) << verify.output;
}

TEST_F(SystemdUnitTest, SecurityExposureIsBelowThree) {
  CommandResult security = RunCommand(std::string(kAnalyze) +
                                      " security --offline=yes --no-pager " + unit_path_.string());
  std::smatch match;
  ASSERT_TRUE(std::regex_search(security.output, match,
                                std::regex(R"(Overall exposure level for \S+: ([0-9.]+))")))
      << security.output;
  double exposure = std::stod(match[1]);
  RecordProperty("exposure", match[1].str());
  std::printf("systemd-analyze security: overall exposure %.1f\n", exposure);
  EXPECT_LT(exposure, 3.0) << security.output;
}

TEST_F(SystemdUnitTest, StopTimeoutCoversTheDaemonsDrain) {
  EXPECT_EQ(Setting("Type"), "notify");
  EXPECT_EQ(Setting("NotifyAccess"), "main");
  EXPECT_EQ(Setting("WatchdogSec"), "30");
  auto stop = ParseDuration(Setting("TimeoutStopSec") + "s");
  ASSERT_TRUE(stop.ok()) << Setting("TimeoutStopSec");
  // Drain (shutdown.timeout) plus a margin for the final offset commit and producer flush.
  EXPECT_GE(*stop, Config().shutdown.timeout + std::chrono::seconds(10));
}

TEST_F(SystemdUnitTest, EveryCredentialIsASecretTheLoaderReads) {
  std::regex credential(R"(^LoadCredential=([^:\n]+):(\S+)$)", std::regex::multiline);
  int count = 0;
  for (auto it = std::sregex_iterator(unit_text_.begin(), unit_text_.end(), credential);
       it != std::sregex_iterator(); ++it, ++count) {
    const std::string id = (*it)[1];
    const config::KeySpec* key = config::FindKey(id);
    ASSERT_NE(key, nullptr) << id << " is not a config key";
    EXPECT_EQ(key->type, config::KeyType::kSecret) << id;
  }
  EXPECT_EQ(count, 4);
}

}  // namespace
}  // namespace ms
