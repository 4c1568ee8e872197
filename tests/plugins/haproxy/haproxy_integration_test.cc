// The haproxy driver against a real HAProxy 2.6 on 127.0.0.1 (tests/support/haproxy_server):
// sessions held through the frontend show up as the right member's connections, drain /
// maint / ready change what the exporter would report, one scrape of 1,000 members costs
// one `show stat`, and a vanished HAProxy reports members down with the reason.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "plugins/haproxy/haproxy_driver.h"
#include "plugins/haproxy/haproxy_driver_config.h"
#include "plugins/transport/socket_client.h"
#include "tests/support/haproxy_server.h"
#include "tests/support/net.h"

namespace cutover {
namespace {

using testing::HaproxyOptions;
using testing::HaproxyServer;
using Clock = std::chrono::steady_clock;

// One client session through HAProxy's frontend, proven to reach a server by an echo.
class HeldSession {
 public:
  explicit HeldSession(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    timeval two_seconds{2, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &two_seconds, sizeof two_seconds);
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    char buffer[5] = {};
    echoed_ = send(fd_, "ping", 4, MSG_NOSIGNAL) == 4 && recv(fd_, buffer, 4, MSG_WAITALL) == 4 &&
              std::string(buffer) == "ping";
  }
  ~HeldSession() { close(fd_); }
  HeldSession(const HeldSession&) = delete;
  HeldSession& operator=(const HeldSession&) = delete;
  bool echoed() const { return echoed_; }

 private:
  int fd_ = -1;
  bool echoed_ = false;
};

class HaproxyIntegrationTest : public ::testing::Test {
 protected:
  void StartHaproxy(HaproxyOptions options = {}) {
    haproxy_ = std::make_unique<HaproxyServer>(options);
    ASSERT_TRUE(haproxy_->Start()) << haproxy_->error();
  }

  MemberConfig Member(const std::string& server, const std::string& runtime_api) {
    MemberConfig m;
    m.cluster = "lb";
    m.name = server;
    m.driver = "haproxy";
    m.settings.Set("runtime_api", runtime_api);
    m.settings.Set("backend", haproxy_->backend());
    m.settings.Set("server", std::string());
    m.settings.Set("timeout", Duration(std::chrono::seconds(2)));
    m.settings.Set("max_reply_bytes", std::int64_t{8 * 1024 * 1024});
    return m;
  }

  std::unique_ptr<Driver> Create(const std::string& server, const std::string& runtime_api) {
    return HaproxyDriverDescriptor().create(Member(server, runtime_api), context_);
  }

  // What a scrape reports: a new round for every call.
  static MemberStatus Scrape(Driver& driver) {
    ProbeContext context;
    context.round_start = Clock::now();
    context.deadline = context.round_start + std::chrono::seconds(5);
    return driver.Probe(context);
  }

  // Steers new sessions with the runtime API directly, so the driver under test only
  // observes.
  void SetState(const std::string& server, const std::string& state) {
    SocketClient api(haproxy_->runtime_api_unix());
    auto reply = api.Request("set server " + haproxy_->backend() + "/" + server + " state " + state,
                             std::chrono::seconds(2));
    ASSERT_TRUE(reply.ok) << reply.error;
    ASSERT_EQ(reply.data, "\n") << "HAProxy refused to set " << server << " " << state;
  }

  SharedResources shared_;
  DriverContext context_{shared_};
  std::unique_ptr<HaproxyServer> haproxy_;
};

TEST_F(HaproxyIntegrationTest, HeldSessionsShowAsTheirServersConnections) {
  StartHaproxy({.backend = "app", .servers = 3});
  auto s1 = Create("s1", haproxy_->runtime_api_unix());
  auto s2 = Create("s2", haproxy_->runtime_api_unix());
  auto s3 = Create("s3", haproxy_->runtime_api_unix());

  // Three sessions pinned to s1 and one to s2 by draining the others while they open.
  SetState("s2", "drain");
  SetState("s3", "drain");
  std::vector<std::unique_ptr<HeldSession>> sessions;
  for (int i = 0; i < 3; ++i)
    sessions.push_back(std::make_unique<HeldSession>(haproxy_->frontend_port()));
  SetState("s2", "ready");
  SetState("s1", "drain");
  sessions.push_back(std::make_unique<HeldSession>(haproxy_->frontend_port()));
  SetState("s1", "ready");
  SetState("s3", "ready");
  for (const auto& s : sessions)
    ASSERT_TRUE(s->echoed()) << "a session did not reach an echo server";

  MemberStatus st1 = Scrape(*s1), st2 = Scrape(*s2), st3 = Scrape(*s3);
  ASSERT_TRUE(st1.up) << st1.error;
  EXPECT_EQ(st1.connections, 3.0) << "s1 holds three sessions";
  EXPECT_EQ(st2.connections, 1.0) << "s2 holds one session";
  EXPECT_EQ(st3.connections, 0.0) << "s3 holds none";
  EXPECT_EQ(st1.role, "active");
  EXPECT_EQ(st1.accepting_new_connections, true);
  EXPECT_EQ(st1.version.substr(0, 4), "2.6.") << "version from show info: " << st1.version;
  EXPECT_FALSE(st1.sync.ok.has_value()) << "HAProxy has no state sync to report";
  EXPECT_EQ(st1.config_digest.size(), 16u);
  EXPECT_NE(st1.config_digest, st2.config_digest) << "servers differ by name and id";

  sessions.pop_back();
  EXPECT_TRUE(
      testing::WaitUntil([&] { return Scrape(*s2).connections == 0.0; }, std::chrono::seconds(5)))
      << "a closed session must leave s2's connection count";
}

TEST_F(HaproxyIntegrationTest, DrainMaintAndReadyChangeRoleAndAccepting) {
  StartHaproxy({.backend = "app", .servers = 2});
  auto s1 = Create("s1", haproxy_->runtime_api_tcp());
  const std::string digest = Scrape(*s1).config_digest;

  ActionResult drained = s1->Perform({Action::kStartDrain, {}});
  ASSERT_TRUE(drained.ok) << drained.error;
  MemberStatus st = Scrape(*s1);
  EXPECT_EQ(st.role, "draining");
  EXPECT_EQ(st.accepting_new_connections, false) << "a draining server takes no new sessions";
  EXPECT_EQ(st.config_digest, digest) << "draining is state, not configuration";

  ASSERT_TRUE(s1->Perform({Action::kStopDrain, {}}).ok);
  st = Scrape(*s1);
  EXPECT_EQ(st.role, "active");
  EXPECT_EQ(st.accepting_new_connections, true);

  ASSERT_TRUE(s1->Perform({Action::kDisconnect, {}}).ok);
  st = Scrape(*s1);
  EXPECT_EQ(st.role, "maintenance");
  EXPECT_EQ(st.accepting_new_connections, false);
  EXPECT_TRUE(st.up) << "a server in maintenance is still probed fine";

  ASSERT_TRUE(s1->Perform({Action::kConnect, {}}).ok);
  st = Scrape(*s1);
  EXPECT_EQ(st.role, "active");
  EXPECT_EQ(st.accepting_new_connections, true);

  ActionResult weight = s1->Perform({Action::kSetPriority, {{"priority", "50"}}});
  ASSERT_TRUE(weight.ok) << weight.error;
  SocketClient api(haproxy_->runtime_api_unix());
  EXPECT_EQ(api.Request("get weight app/s1", std::chrono::seconds(2)).data, "50 (initial 1)\n\n");
  EXPECT_EQ(Scrape(*s1).config_digest, digest) << "a runtime weight is not configuration";
}

TEST_F(HaproxyIntegrationTest, HaproxyErrorsComeBackAsFailuresWithItsMessage) {
  StartHaproxy();
  auto ghost = Create("s9", haproxy_->runtime_api_unix());
  ActionResult result = ghost->Perform({Action::kStartDrain, {}});
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("No such server"), std::string::npos) << result.error;

  MemberStatus st = Scrape(*ghost);
  EXPECT_FALSE(st.up);
  EXPECT_NE(st.error.find("no server 'app/s9'"), std::string::npos) << st.error;
}

TEST_F(HaproxyIntegrationTest, OneScrapeOfAThousandMembersCostsOneShowStat) {
  StartHaproxy({.backend = "app", .servers = 1000});
  std::vector<std::unique_ptr<Driver>> drivers;
  for (const std::string& name : haproxy_->server_names())
    drivers.push_back(Create(name, haproxy_->runtime_api_unix()));
  auto reader = shared_.GetOrCreate<HaproxyStatReader>(
      HaproxyReaderKey(haproxy_->runtime_api_unix()),
      []() -> std::shared_ptr<HaproxyStatReader> { return nullptr; });
  ASSERT_NE(reader, nullptr) << "the members must share the reader registered per runtime API";

  // Like the exporter: 16 workers probe all members with one round start per scrape.
  auto scrape = [&] {
    ProbeContext context;
    context.round_start = Clock::now();
    context.deadline = context.round_start + std::chrono::seconds(10);
    std::atomic<std::size_t> next{0}, up{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 16; ++w) {
      workers.emplace_back([&] {
        for (std::size_t i; (i = next++) < drivers.size();) up += drivers[i]->Probe(context).up;
      });
    }
    for (auto& t : workers) t.join();
    return up.load();
  };
  EXPECT_EQ(scrape(), 1000u);
  EXPECT_EQ(reader->requests_sent(), 1u)
      << "1,000 members probed concurrently must share one show stat";
  EXPECT_EQ(scrape(), 1000u);
  EXPECT_EQ(reader->requests_sent(), 2u) << "the next scrape must read afresh, once";
}

TEST_F(HaproxyIntegrationTest, StoppedHaproxyReportsMembersDownWithTheReason) {
  StartHaproxy();
  auto s1 = Create("s1", haproxy_->runtime_api_unix());
  ASSERT_TRUE(Scrape(*s1).up);
  haproxy_->Stop();
  MemberStatus st = Scrape(*s1);
  EXPECT_FALSE(st.up);
  EXPECT_EQ(st.role, "unknown");
  EXPECT_NE(st.error.find(haproxy_->socket_path()), std::string::npos)
      << "the reason must name the socket: " << st.error;
}

TEST_F(HaproxyIntegrationTest, StatsPageServesCsvForOtherExporters) {
  StartHaproxy();
  std::string csv = testing::HttpGetBody(haproxy_->stats_port(), "/stats;csv");
  EXPECT_EQ(csv.substr(0, 16), "# pxname,svname,") << csv.substr(0, 200);
  EXPECT_NE(csv.find("\napp,s2,"), std::string::npos);
}

// Refreshes the parser fixtures from a real HAProxy. Run by hand after an HAProxy upgrade:
//   haproxy_integration_test --gtest_also_run_disabled_tests --gtest_filter='*CaptureFixtures'
TEST_F(HaproxyIntegrationTest, DISABLED_CaptureFixtures) {
  StartHaproxy({.backend = "app", .servers = 6, .backup_servers = 1});
  SocketClient api(haproxy_->runtime_api_unix());
  auto run = [&](const std::string& command) {
    auto reply = api.Request(command, std::chrono::seconds(2));
    EXPECT_TRUE(reply.ok) << reply.error;
    return reply.data;
  };
  // s1 holds two sessions; then s2 draining, s3 in maintenance, s4 failed by health,
  // s5 declared healthy (still "no check": it has no checks), s6 an idle backup.
  for (const char* s : {"s2", "s3", "s4", "s5"}) SetState(s, "drain");
  HeldSession a(haproxy_->frontend_port()), b(haproxy_->frontend_port());
  ASSERT_TRUE(a.echoed() && b.echoed());
  SetState("s4", "ready");
  SetState("s5", "ready");
  SetState("s3", "maint");
  EXPECT_EQ(run("set server app/s4 health down"), "\n");
  EXPECT_EQ(run("set server app/s5 health up"), "\n");
  const std::string dir = std::string(CUTOVER_SOURCE_DIR) + "/tests/plugins/haproxy/fixtures/";
  std::ofstream(dir + "show_stat.haproxy-2.6.csv") << run("show stat");
  std::ofstream(dir + "show_info.haproxy-2.6.txt") << run("show info");
}

}  // namespace
}  // namespace cutover
