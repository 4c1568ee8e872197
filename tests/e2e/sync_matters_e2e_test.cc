// The lab proves that it measures what it claims: the upgrade tests count 0 broken
// sessions only because conntrackd carried the state to the new active member. Here the
// state does not get there (the standby's conntrackd is stopped) and the role is forced
// over anyway: with nf_conntrack_tcp_loose=0 the new active drops every mid-stream packet
// of the old sessions, and cutover-traffic reports each of them broken.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/process.h"
#include "tests/support/background_process.h"
#include "tests/support/net.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr int kLongSessions = 200;
constexpr char kService[] = "10.99.2.10:7000";

// "2026-11-21T08:56:24.451Z", as cutover-traffic writes event times.
std::chrono::system_clock::time_point ParseReportTime(const std::string& text) {
  std::tm tm{};
  int millis = 0;
  std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
              &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(millis);
}

std::string Lab() { return std::string(CUTOVER_SOURCE_DIR) + "/lab/lab.sh"; }
std::string Traffic() { return std::string(CUTOVER_BINARY_DIR) + "/lab/traffic/cutover-traffic"; }

ProcessResult Command(const std::vector<std::string>& argv) {
  ProcessOptions options;
  options.timeout = 90s;
  return RunProcess(argv, options);
}

class SyncMattersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "the lab creates network namespaces: run the test as root";
    ProcessResult up = Command({Lab(), "up", "--state-dir", dir_.File("lab"), "--owner",
                                std::to_string(getpid()), "--upgrade-seconds", "1"});
    ASSERT_EQ(up.exit_status, 0) << up.err;
    lab_up_ = true;
    ASSERT_TRUE(server_.Start(
        {"ip", "netns", "exec", "co-server", Traffic(), "server", "--listen", kService},
        dir_.File("server.log")));
    // The client starts once the server listens: a refused first connect is not the lab's.
    ASSERT_TRUE(testing::WaitUntil(
        [&] {
          return Command({"ip", "netns", "exec", "co-server", "ss", "-Htln", "sport = :7000"})
                     .out.find("LISTEN") != std::string::npos;
        },
        10s, 50ms))
        << server_.Log();
    // A kernel that has retransmitted unacknowledged data for 5 s gives the session up:
    // a dropped session is reported broken within seconds, not minutes.
    ASSERT_TRUE(client_.Start(
        {"ip", "netns", "exec", "co-client", Traffic(), "client", "--target", kService,
         "--sessions", std::to_string(kLongSessions), "--new-sessions-per-second", "10",
         "--tcp-user-timeout", "5s", "--summary-interval", "2s", "--report", Report()},
        dir_.File("client.log")));
  }

  void TearDown() override {
    client_.Stop();
    server_.Stop();
    if (lab_up_) Command({Lab(), "down"});
  }

  std::string Report() { return dir_.File("traffic.json"); }

  // The client's report as of now (SIGUSR1 makes it write one).
  rapidjson::Document Counts() {
    std::filesystem::remove(Report());
    kill(client_.pid(), SIGUSR1);
    rapidjson::Document report;
    testing::WaitUntil([&] { return std::filesystem::exists(Report()); }, 3s, 20ms);
    std::ifstream in(Report());
    std::stringstream text;
    text << in.rdbuf();
    report.Parse(text.str().c_str());
    return report;
  }

  std::uint64_t Count(const char* name) {
    rapidjson::Document report = Counts();
    return report.IsObject() && report.HasMember(name) ? report[name].GetUint64() : 0;
  }

  std::string Active() { return Command({Lab(), "active"}).out; }

  testing::TempDir dir_;
  testing::BackgroundProcess server_;
  testing::BackgroundProcess client_;
  bool lab_up_ = false;
};

TEST_F(SyncMattersTest, WithoutStateSyncAForcedRoleMoveBreaksEverySession) {
  // The summary line first (SIGUSR1 before the client has set up its signals would end it).
  const std::string all_open = "sessions kept " + std::to_string(kLongSessions) + "/";
  ASSERT_TRUE(testing::WaitUntil([&] { return client_.Log().find(all_open) != std::string::npos; },
                                 30s, 500ms))
      << client_.Log();
  ASSERT_EQ(Active(), "fw1\n");

  // fw2 loses its copy of the state: its conntrackd stops, and with it the external cache.
  ProcessResult stop = Command({"ip", "netns", "exec", "co-fw2", "conntrackd", "-C",
                                dir_.File("lab/fw2/conntrackd.conf"), "-k"});
  ASSERT_EQ(stop.exit_status, 0) << stop.err;

  // The lab refuses the move it knows would break the sessions...
  ProcessResult refused = Command({Lab(), "role", "fw2"});
  EXPECT_EQ(refused.exit_status, 1);
  EXPECT_THAT(refused.err, HasSubstr("fw2 cannot commit the synced states"));
  EXPECT_EQ(Active(), "fw1\n");
  EXPECT_EQ(Count("sessions_broken"), 0u) << client_.Log();

  // ... and when forced, they do break: every long session, none before the move.
  const auto move_started = std::chrono::system_clock::now();
  ProcessResult forced = Command({Lab(), "role", "fw2", "--force"});
  const auto move_ended = std::chrono::system_clock::now();
  ASSERT_EQ(forced.exit_status, 0) << forced.err;
  EXPECT_THAT(forced.err, HasSubstr("moving anyway (--force)"));
  EXPECT_EQ(Active(), "fw2\n");
  EXPECT_TRUE(
      testing::WaitUntil([&] { return Count("sessions_broken") >= kLongSessions; }, 30s, 1s))
      << client_.Log();

  // New sessions open through fw2 (it accepts new connections), so the broken long
  // sessions are replaced: what breaks is the state. A handshake under way while the two
  // routers switch one after the other may be lost too (its SYN-ACK meets fw2 without
  // the SYN's state), so a failed connect may only have started during the move.
  EXPECT_TRUE(
      testing::WaitUntil([&] { return Count("sessions_open") == kLongSessions; }, 30s, 500ms))
      << client_.Log();
  rapidjson::Document report = Counts();
  ASSERT_TRUE(report.IsObject()) << client_.Log();
  EXPECT_GT(report["connects_ok"].GetUint64(), static_cast<std::uint64_t>(2 * kLongSessions));
  for (const auto& event : report["events"].GetArray()) {
    if (std::string(event["kind"].GetString()) != "connect_failed") continue;
    auto at = ParseReportTime(event["time"].GetString());
    // Reported when its connect timeout (2 s) ran out.
    EXPECT_TRUE(at >= move_started && at <= move_ended + 4s)
        << "a connect failed outside the move: " << event["time"].GetString() << " "
        << event["reason"].GetString();
  }
  std::uint64_t timed_out_long_sessions = 0;
  for (const auto& event : report["events"].GetArray()) {
    if (std::string(event["kind"].GetString()) == "broken" &&
        std::string(event["session_kind"].GetString()) == "long" &&
        std::string(event["reason"].GetString()).find("timed out") != std::string::npos) {
      ++timed_out_long_sessions;
    }
  }
  EXPECT_GE(timed_out_long_sessions, static_cast<std::uint64_t>(kLongSessions))
      << "the long sessions should die of dropped packets (TCP user timeout), not otherwise";
}

}  // namespace
}  // namespace cutover
