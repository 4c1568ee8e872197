// The traffic generator against its own echo server on 127.0.0.1: what the lab relies on
// when it says "0 broken sessions". Healthy traffic reports nothing; a dead server breaks
// every session; nobody listening fails connects; a server that stops echoing stalls them.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>

#include "common/process.h"
#include "common/strings.h"
#include "tests/support/background_process.h"
#include "tests/support/net.h"
#include "tests/support/temp_dir.h"

namespace cutover::traffic {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using ::testing::HasSubstr;

const std::string kTraffic = std::string(CUTOVER_BINARY_DIR) + "/lab/traffic/cutover-traffic";

std::uint64_t Count(const rapidjson::Document& report, const char* key) {
  return report.IsObject() && report.HasMember(key) ? report[key].GetUint64() : 0;
}

// Events of one kind for long-lived sessions: the sessions the lab promises to keep.
std::vector<const rapidjson::Value*> LongSessionEvents(const rapidjson::Document& report,
                                                       const std::string& kind) {
  std::vector<const rapidjson::Value*> found;
  for (const auto& event : report["events"].GetArray())
    if (kind == event["kind"].GetString() &&
        std::string("long") == event["session_kind"].GetString())
      found.push_back(&event);
  return found;
}

// Resumes a SIGSTOPped server however the test ends, so its cleanup can stop it.
class ResumeOnExit {
 public:
  explicit ResumeOnExit(pid_t pid) : pid_(pid) {}
  ~ResumeOnExit() { kill(pid_, SIGCONT); }

 private:
  pid_t pid_;
};

class TrafficTest : public ::testing::Test {
 protected:
  void StartServer() {
    server_port_ = testing::FreeTcpPort();
    ASSERT_TRUE(
        server_.Start({kTraffic, "server", "--listen", "127.0.0.1:" + std::to_string(server_port_)},
                      dir_.File("server.log")));
    ASSERT_TRUE(testing::WaitForTcpPort(server_port_, seconds(5))) << server_.Log();
  }

  void StartClient(int target_port, std::vector<std::string> flags) {
    metrics_port_ = testing::FreeTcpPort();
    std::vector<std::string> argv = {
        kTraffic,           "client",
        "--target",         "127.0.0.1:" + std::to_string(target_port),
        "--metrics-listen", "127.0.0.1:" + std::to_string(metrics_port_),
        "--report",         report_file()};
    argv.insert(argv.end(), flags.begin(), flags.end());
    ASSERT_TRUE(client_.Start(argv, dir_.File("client.log")));
    ASSERT_TRUE(testing::WaitForTcpPort(metrics_port_, seconds(5))) << client_.Log();
  }

  std::string report_file() const { return dir_.File("report.json"); }

  // Asks the running client for its report (SIGUSR1) and reads it.
  rapidjson::Document ReportNow() {
    unlink(report_file().c_str());
    kill(client_.pid(), SIGUSR1);
    rapidjson::Document report;
    testing::WaitUntil(
        [&] {
          std::string text = testing::ReadFile(report_file());
          report.Parse(text.c_str());
          return !text.empty() && !report.HasParseError();
        },
        seconds(5), milliseconds(20));
    return report;
  }

  // Stops the client as the lab does (SIGTERM) and reads the report it writes on the way out.
  rapidjson::Document FinalReport() {
    unlink(report_file().c_str());
    client_.Stop();
    rapidjson::Document report;
    report.Parse(testing::ReadFile(report_file()).c_str());
    return report;
  }

  bool WaitForReport(const std::function<bool(const rapidjson::Document&)>& condition,
                     steady_clock::duration timeout, rapidjson::Document* last) {
    return testing::WaitUntil(
        [&] {
          *last = ReportNow();
          return !last->HasParseError() && condition(*last);
        },
        std::chrono::duration_cast<milliseconds>(timeout), milliseconds(100));
  }

  testing::TempDir dir_;
  testing::BackgroundProcess server_;
  testing::BackgroundProcess client_;
  int server_port_ = 0;
  int metrics_port_ = 0;
};

TEST_F(TrafficTest, KeepsEverySessionWhileTheServerEchoesAndReportsThemBrokenWhenItDies) {
  StartServer();
  StartClient(server_port_, {"--sessions", "200", "--message-interval", "100ms",
                             "--new-sessions-per-second", "20", "--stall-timeout", "1s"});
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return testing::HttpGetBody(metrics_port_, "/metrics")
                   .find("\ncutover_traffic_sessions_open 200\n") != std::string::npos;
      },
      seconds(5)))
      << "the client never held 200 sessions open:\n"
      << client_.Log();
  std::this_thread::sleep_for(seconds(2));

  rapidjson::Document healthy = ReportNow();
  auto healthy_at = steady_clock::now();
  ASSERT_FALSE(healthy.HasParseError()) << "no report on SIGUSR1:\n" << client_.Log();
  EXPECT_FALSE(healthy["final"].GetBool());
  EXPECT_EQ(Count(healthy, "sessions_open"), 200u);
  EXPECT_EQ(Count(healthy, "sessions_broken"), 0u) << client_.Log();
  EXPECT_EQ(Count(healthy, "connects_failed"), 0u) << client_.Log();
  EXPECT_EQ(Count(healthy, "sessions_stalled"), 0u) << client_.Log();
  EXPECT_GE(Count(healthy, "connects_ok"), 200u + 20u) << "short sessions were not opened";
  // 2 s at 10 messages per second and session, with room for a slow machine.
  EXPECT_GE(Count(healthy, "messages_echoed"), 200u * 10u);
  EXPECT_EQ(healthy["events"].Size(), 0u);

  std::string metrics = testing::HttpGetBody(metrics_port_, "/metrics");
  EXPECT_THAT(metrics, HasSubstr("\ncutover_traffic_sessions_open 200\n"));
  EXPECT_THAT(metrics, HasSubstr("\ncutover_traffic_sessions_broken_total 0\n"));
  EXPECT_THAT(metrics, HasSubstr("\ncutover_traffic_connects_failed_total 0\n"));
  EXPECT_THAT(metrics, HasSubstr("\ncutover_traffic_sessions_stalled_total 0\n"));
  EXPECT_THAT(metrics, HasSubstr("cutover_traffic_echo_latency_seconds_bucket{le=\"+Inf\"}"));
  EXPECT_EQ(Trim(testing::HttpGetBody(metrics_port_, "/-/healthy")), "Healthy");
  ProcessOptions lint_options;
  lint_options.stdin_data = metrics;
  ProcessResult lint = RunProcess({"promtool", "check", "metrics"}, lint_options);
  EXPECT_EQ(lint.exit_status, 0) << lint.out << lint.err;
  EXPECT_EQ(lint.out + lint.err, "") << "promtool found problems in:\n" << metrics;

  // Where the kill falls on the client's own clock (the report's "seconds").
  double kill_seconds = healthy["duration_seconds"].GetDouble() +
                        std::chrono::duration<double>(steady_clock::now() - healthy_at).count();
  server_.Kill();
  rapidjson::Document broken;
  EXPECT_TRUE(
      WaitForReport([](const rapidjson::Document& r) { return Count(r, "sessions_broken") >= 190; },
                    seconds(5), &broken))
      << "a dead server did not show as broken sessions:\n"
      << client_.Log();

  rapidjson::Document report = FinalReport();
  ASSERT_FALSE(report.HasParseError()) << "no report at SIGTERM:\n" << client_.Log();
  EXPECT_TRUE(report["final"].GetBool());
  EXPECT_GE(Count(report, "sessions_broken"), 190u);
  EXPECT_GT(Count(report, "connects_failed"), 0u)
      << "replacements for the broken sessions should be refused";
  std::vector<const rapidjson::Value*> events = LongSessionEvents(report, "broken");
  EXPECT_GE(events.size(), 190u);
  std::set<std::string> sessions;
  for (const rapidjson::Value* event : events) {
    sessions.insert((*event)["session"].GetString());
    std::string reason = (*event)["reason"].GetString();
    EXPECT_TRUE(reason.find("EOF") != std::string::npos ||
                reason.find("reset") != std::string::npos)
        << reason;
    EXPECT_THAT((*event)["time"].GetString(),
                ::testing::MatchesRegex("20[0-9-]+T[0-9:]+\\.[0-9]{3}Z"));
    // Timed when the server died, not when the report was written.
    double at = (*event)["seconds"].GetDouble();
    EXPECT_GE(at, kill_seconds - 0.1) << "broken before the server died?";
    EXPECT_LE(at, kill_seconds + 1.0) << "noticed late: " << reason;
  }
  EXPECT_EQ(sessions.size(), events.size()) << "a session was reported broken twice";
}

TEST_F(TrafficTest, ConnectsToAPortNobodyListensOnAreCountedFailedAndExitIsStillZero) {
  int nobody = testing::FreeTcpPort();
  std::string report_path = dir_.File("refused.json");
  ProcessResult run = RunProcess(
      {kTraffic, "client", "--target", "127.0.0.1:" + std::to_string(nobody), "--sessions", "20",
       "--new-sessions-per-second", "20", "--duration", "1500ms", "--report", report_path},
      {});
  EXPECT_EQ(run.exit_status, 0) << "callers read the report; the exit code is for 'could not run'\n"
                                << run.err;
  std::vector<std::string_view> lines = SplitLines(run.out);
  ASSERT_FALSE(lines.empty()) << run.err;
  EXPECT_THAT(std::string(lines.back()),
              ::testing::StartsWith("sessions kept 0/20, broken 0, connects 0 ok / "));

  rapidjson::Document report;
  report.Parse(testing::ReadFile(report_path).c_str());
  ASSERT_FALSE(report.HasParseError()) << run.err;
  EXPECT_TRUE(report["final"].GetBool());
  // 20 long sessions and retries of them, plus 1.5 s of 20 short ones per second.
  EXPECT_GE(Count(report, "connects_failed"), 40u);
  EXPECT_EQ(Count(report, "connects_ok"), 0u);
  EXPECT_EQ(Count(report, "sessions_broken"), 0u) << "a session that never opened cannot break";
  ASSERT_GT(report["events"].Size(), 0u);
  for (const auto& event : report["events"].GetArray()) {
    EXPECT_STREQ(event["kind"].GetString(), "connect_failed");
    EXPECT_STREQ(event["reason"].GetString(), "Connection refused");
  }
}

TEST_F(TrafficTest, AServerThatStopsEchoingStallsEverySessionOnceWithinTheStallTimeout) {
  StartServer();
  StartClient(server_port_, {"--sessions", "50", "--message-interval", "100ms",
                             "--new-sessions-per-second", "10", "--stall-timeout", "1s"});
  rapidjson::Document up;
  ASSERT_TRUE(
      WaitForReport([](const rapidjson::Document& r) { return Count(r, "sessions_open") == 50; },
                    seconds(5), &up))
      << client_.Log();
  ASSERT_EQ(Count(up, "sessions_stalled"), 0u);

  ResumeOnExit resume(server_.pid());
  auto stopped_at = steady_clock::now();
  kill(server_.pid(), SIGSTOP);
  rapidjson::Document stalled;
  bool all_stalled = WaitForReport(
      [](const rapidjson::Document& r) { return LongSessionEvents(r, "stalled").size() >= 50; },
      seconds(4), &stalled);
  auto noticed_after = steady_clock::now() - stopped_at;
  ASSERT_TRUE(all_stalled) << "sessions to a stopped server were not reported stalled:\n"
                           << client_.Log();
  // Stall timeout 1 s, plus up to one message interval before the first unanswered
  // message, plus the time to ask for reports.
  EXPECT_LE(noticed_after, milliseconds(2500));
  for (const rapidjson::Value* event : LongSessionEvents(stalled, "stalled")) {
    EXPECT_THAT((*event)["reason"].GetString(), HasSubstr("(stall timeout 1s)"));
    EXPECT_THAT((*event)["reason"].GetString(), ::testing::StartsWith("no echo for 1."));
  }
  EXPECT_EQ(Count(stalled, "sessions_broken"), 0u) << "a stall is not a break";

  // Stopped for well over another stall timeout: still one report per session.
  std::this_thread::sleep_for(milliseconds(1500));
  kill(server_.pid(), SIGCONT);
  std::uint64_t echoed_at_resume = Count(stalled, "messages_echoed");
  rapidjson::Document resumed;
  EXPECT_TRUE(WaitForReport(
      [&](const rapidjson::Document& r) {
        return Count(r, "messages_echoed") > echoed_at_resume + 50 * 10;
      },
      seconds(5), &resumed))
      << "sessions did not recover after SIGCONT:\n"
      << client_.Log();
  std::this_thread::sleep_for(milliseconds(1500));
  rapidjson::Document report = FinalReport();
  ASSERT_FALSE(report.HasParseError());
  EXPECT_EQ(LongSessionEvents(report, "stalled").size(), 50u) << "each session is reported once";
  EXPECT_EQ(Count(report, "sessions_open"), 50u);
  EXPECT_EQ(Count(report, "sessions_broken"), 0u) << client_.Log();
}

TEST_F(TrafficTest, LongSessionsThatEndNormallyAreReplacedAndNotCountedBroken) {
  StartServer();
  StartClient(server_port_,
              {"--sessions", "50", "--message-interval", "100ms", "--new-sessions-per-second", "0",
               "--long-session-lifetime", "exp:300ms"});
  std::this_thread::sleep_for(seconds(2));
  rapidjson::Document report = FinalReport();
  ASSERT_FALSE(report.HasParseError()) << client_.Log();
  // 50 sessions living 0.3 s on average for ~2 s end about 300 times.
  EXPECT_GE(Count(report, "sessions_ended_normally"), 100u);
  EXPECT_EQ(Count(report, "sessions_broken"), 0u) << client_.Log();
  EXPECT_EQ(Count(report, "connects_failed"), 0u);
  EXPECT_EQ(Count(report, "sessions_stalled"), 0u);
  EXPECT_GE(Count(report, "sessions_open"), 40u) << "ended sessions were not replaced";
  // Every session that connected is either still open or ended normally.
  EXPECT_EQ(Count(report, "connects_ok"),
            Count(report, "sessions_open") + Count(report, "sessions_ended_normally"));
}

// A server that answers every message with other bytes: a middlebox rewriting or mixing
// streams must show as broken sessions, not as traffic flowing.
class WrongEchoServer {
 public:
  WrongEchoServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    listen(fd_, 16);
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~WrongEchoServer() {
    stop_ = true;
    thread_.join();
    for (int fd : connections_) close(fd);
    close(fd_);
  }
  int port() const { return port_; }

 private:
  void Serve() {
    while (!stop_) {
      std::vector<pollfd> fds{{fd_, POLLIN, 0}};
      for (int fd : connections_) fds.push_back({fd, POLLIN, 0});
      if (poll(fds.data(), fds.size(), 50) <= 0) continue;
      if (fds[0].revents & POLLIN) connections_.push_back(accept(fd_, nullptr, nullptr));
      for (std::size_t i = 1; i < fds.size(); ++i) {
        if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        char buffer[256];
        ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
        if (n <= 0) {
          close(fds[i].fd);
          std::erase(connections_, fds[i].fd);
          continue;
        }
        buffer[0] = 'x';
        send(fds[i].fd, buffer, static_cast<std::size_t>(n), MSG_NOSIGNAL);
      }
    }
  }
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::vector<int> connections_;
  std::thread thread_;
};

TEST_F(TrafficTest, AWrongEchoBreaksTheSessionAndSaysWhatCameBack) {
  WrongEchoServer wrong;
  StartClient(wrong.port(), {"--sessions", "1", "--new-sessions-per-second", "0"});
  rapidjson::Document report;
  EXPECT_TRUE(
      WaitForReport([](const rapidjson::Document& r) { return Count(r, "sessions_broken") >= 1; },
                    seconds(3), &report))
      << client_.Log();
  report = FinalReport();
  ASSERT_FALSE(report.HasParseError());
  std::vector<const rapidjson::Value*> events = LongSessionEvents(report, "broken");
  ASSERT_GE(events.size(), 1u);
  EXPECT_THAT((*events[0])["reason"].GetString(),
              ::testing::MatchesRegex("wrong echo at byte 0: expected \"s1 #1\\\\n\", got "
                                      "\"x1 #1\\\\n\""));
}

TEST(TrafficFlags, MistakesAreRefusedWithExitOneAndWhatToWrite) {
  ProcessResult bad_lifetime = RunProcess(
      {kTraffic, "client", "--target", "127.0.0.1:9", "--long-session-lifetime", "exp:banana"}, {});
  EXPECT_EQ(bad_lifetime.exit_status, 1);
  EXPECT_THAT(bad_lifetime.err,
              HasSubstr("--long-session-lifetime: session lifetime 'exp:banana': 'banana' is not "
                        "a positive duration (write it like 500ms, 60s or 5m)"));

  ProcessResult bad_interval =
      RunProcess({kTraffic, "client", "--target", "127.0.0.1:9", "--message-interval", "0"}, {});
  EXPECT_EQ(bad_interval.exit_status, 1);
  EXPECT_THAT(bad_interval.err, HasSubstr("--message-interval '0' is not a positive duration"));

  ProcessResult no_target = RunProcess({kTraffic, "client"}, {});
  EXPECT_EQ(no_target.exit_status, 1);
  EXPECT_THAT(no_target.err, HasSubstr("--target is required"));
}

TEST_F(TrafficTest, ASecondServerOnABusyPortSaysSoAndExitsOne) {
  StartServer();
  std::string address = "127.0.0.1:" + std::to_string(server_port_);
  ProcessResult second = RunProcess({kTraffic, "server", "--listen", address}, {});
  EXPECT_EQ(second.exit_status, 1);
  EXPECT_THAT(second.err, HasSubstr("cannot listen on " + address + ": Address already in use"));
}

}  // namespace
}  // namespace cutover::traffic
