#include <thread>
// Outage drills that stop a server of the shared stack: they run alone (RUN_SERIAL), since
// every other test would see the outage too.
#include <signal.h>

#include <cstdlib>

#include "tests/e2e/harness.h"

namespace ms::test {
namespace {

using namespace std::chrono_literals;

int Stack(const std::string& verb) {
  return std::system((SourceDir() + "/deploy/local/stack " + verb + " >/dev/null").c_str());
}

TEST_F(PipelineTest, PostgresDownForTenSecondsPausesThenResumesWithNothingLost) {
  std::string csv = Generate(20000, 50, 51);
  auto daemon = StartDaemon();
  auto producer = Process::Start({BinDir() + "/milestonectl/milestonectl", "produce", csv}, Env(),
                                 LogPath("producer"));
  ASSERT_TRUE(WaitFor([&] { return Stored() >= 2000; }, 60s)) << daemon->Log();
  ASSERT_EQ(Stack("stop-postgres"), 0);
  // Whatever happens below, the shared stack gets its Postgres back.
  std::shared_ptr<void> restart(nullptr, [](void*) { Stack("start-postgres"); });
  // The outage itself lasts ten seconds; the daemon must ride it out.
  std::this_thread::sleep_for(10s);
  EXPECT_TRUE(daemon->running()) << daemon->Log();
  ASSERT_EQ(Stack("start-postgres"), 0);
  restart.reset();
  ASSERT_EQ(producer.Wait(120s), 0);
  ASSERT_TRUE(WaitAllBatched(20000, 120s)) << "stored=" << Stored() << "\n" << daemon->Log();
  ExpectEveryMessageInExactlyOneBatch(20000);
  std::string log = daemon->Log();
  EXPECT_NE(log.find("pausing partitions"), std::string::npos) << log;
  EXPECT_NE(log.find("partitions resumed"), std::string::npos) << log;
  EXPECT_EQ(log.find("revoked"), std::string::npos) << "left the group during the outage";
  daemon->Signal(SIGTERM);
  EXPECT_EQ(daemon->Wait(60s), 0);
}

}  // namespace
}  // namespace ms::test
