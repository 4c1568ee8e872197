// The haproxy driver's logic with a scripted runtime API: what a probe reports for each
// server state, the exact commands actions send (and that a rehearsal names exactly
// those, sending none), names that must never reach HAProxy, and the single-flight
// reader that keeps a scrape of 1,000 members at one `show stat`.
#include "plugins/haproxy/haproxy_driver.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "plugins/haproxy/haproxy_driver_config.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(CUTOVER_SOURCE_DIR) + "/tests/plugins/haproxy/fixtures/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The reply HAProxy 2.6 gave to `show info;show stat`: both outputs back to back.
std::string CapturedReadReply() {
  return Fixture("show_info.haproxy-2.6.txt") + Fixture("show_stat.haproxy-2.6.csv");
}

class ScriptedApi : public HaproxyRuntimeApi {
 public:
  SocketReply Run(const std::string& command, Duration) override {
    {
      std::lock_guard lock(mutex_);
      commands_.push_back(command);
    }
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    return reply_for_(command);
  }
  std::string address() const override { return "unix:/run/haproxy/admin.sock"; }

  std::vector<std::string> commands() {
    std::lock_guard lock(mutex_);
    return commands_;
  }
  std::size_t reads() {
    std::size_t n = 0;
    for (const auto& c : commands()) n += c == "show info;show stat";
    return n;
  }

  std::function<SocketReply(const std::string&)> reply_for_ = [](const std::string& command) {
    if (command == "show info;show stat") return SocketReply{true, CapturedReadReply(), {}};
    return SocketReply{true, "\n", {}};
  };
  milliseconds delay_{0};

 private:
  std::mutex mutex_;
  std::vector<std::string> commands_;
};

class HaproxyDriverTest : public ::testing::Test {
 protected:
  std::unique_ptr<HaproxyDriver> Driver(const std::string& server) {
    return std::make_unique<HaproxyDriver>(HaproxyMemberSettings{"app", server, milliseconds(2000)},
                                           reader_);
  }
  static ProbeContext Round(Clock::time_point start = Clock::now()) {
    return {start + std::chrono::seconds(5), start};
  }

  std::shared_ptr<ScriptedApi> api_ = std::make_shared<ScriptedApi>();
  std::shared_ptr<HaproxyStatReader> reader_ = std::make_shared<HaproxyStatReader>(api_);
};

TEST_F(HaproxyDriverTest, ServerWithSessionsIsUpActiveAndAccepting) {
  MemberStatus s = Driver("s1")->Probe(Round());
  ASSERT_TRUE(s.up) << s.error;
  EXPECT_EQ(s.connections, 2.0);
  EXPECT_EQ(s.role, "active");
  EXPECT_EQ(s.accepting_new_connections, true);
  EXPECT_EQ(s.version, "2.6.12-1+deb12u4");
  EXPECT_FALSE(s.sync.ok.has_value()) << "HAProxy has no state sync: the sync metric stays absent";
  EXPECT_EQ(s.config_digest.size(), 16u);
}

TEST_F(HaproxyDriverTest, EachServerStateMapsToItsRole) {
  struct Case {
    const char* server;
    const char* role;
    bool accepting;
  } cases[] = {{"s2", "draining", false},
               {"s3", "maintenance", false},
               {"s4", "down", false},
               {"s5", "active", true},
               {"s6", "backup", true}};
  auto round = Round();
  for (const Case& c : cases) {
    MemberStatus s = Driver(c.server)->Probe(round);
    ASSERT_TRUE(s.up) << c.server << ": " << s.error;
    EXPECT_EQ(s.role, c.role) << c.server;
    EXPECT_EQ(s.accepting_new_connections, c.accepting) << c.server;
  }
}

TEST_F(HaproxyDriverTest, UnknownServerIsDownNamingTheServer) {
  MemberStatus s = Driver("s99")->Probe(Round());
  EXPECT_FALSE(s.up);
  EXPECT_EQ(s.role, "unknown");
  EXPECT_NE(s.error.find("no server 'app/s99'"), std::string::npos) << s.error;
}

TEST_F(HaproxyDriverTest, UnreachableApiIsDownWithTheTransportError) {
  api_->reply_for_ = [](const std::string&) {
    return SocketReply{
        false, {}, "unix:/run/haproxy/admin.sock: no socket at /run/haproxy/admin.sock"};
  };
  MemberStatus s = Driver("s1")->Probe(Round());
  EXPECT_FALSE(s.up);
  EXPECT_NE(s.error.find("no socket at"), std::string::npos) << s.error;
}

TEST_F(HaproxyDriverTest, CutShortReplyIsDownNeverGuessed) {
  std::string full = CapturedReadReply();
  api_->reply_for_ = [full](const std::string&) {
    return SocketReply{true, full.substr(0, full.size() - 300), {}};
  };
  MemberStatus s = Driver("s1")->Probe(Round());
  EXPECT_FALSE(s.up);
  EXPECT_NE(s.error.find("not two complete outputs"), std::string::npos) << s.error;
}

TEST_F(HaproxyDriverTest, PermissionDeniedOnShowInfoIsDown) {
  api_->reply_for_ = [](const std::string&) {
    return SocketReply{true, "Permission denied\n\nPermission denied\n\n", {}};
  };
  MemberStatus s = Driver("s1")->Probe(Round());
  EXPECT_FALSE(s.up);
  EXPECT_NE(s.error.find("Permission denied"), std::string::npos) << s.error;
}

TEST_F(HaproxyDriverTest, ConcurrentProbesOfOneRoundShareOneShowStat) {
  api_->delay_ = milliseconds(50);  // long enough that probes pile up behind the request
  std::vector<std::unique_ptr<HaproxyDriver>> drivers;
  for (int i = 0; i < 1000; ++i) drivers.push_back(Driver("s" + std::to_string(i % 6 + 1)));
  auto scrape = [&] {
    ProbeContext round = Round();
    std::atomic<std::size_t> next{0}, up{0};
    std::vector<std::thread> workers;
    for (int w = 0; w < 16; ++w) {
      workers.emplace_back([&] {
        for (std::size_t i; (i = next++) < drivers.size();) up += drivers[i]->Probe(round).up;
      });
    }
    for (auto& t : workers) t.join();
    return up.load();
  };
  EXPECT_EQ(scrape(), 1000u);
  EXPECT_EQ(api_->reads(), 1u) << "one scrape of 1,000 members must send one show stat";
  EXPECT_EQ(reader_->requests_sent(), 1u);
  EXPECT_EQ(scrape(), 1000u);
  EXPECT_EQ(api_->reads(), 2u) << "each new scrape reads once more";
}

TEST_F(HaproxyDriverTest, AFailedReadingServesTheWholeRound) {
  api_->reply_for_ = [](const std::string&) { return SocketReply{false, {}, "timed out"}; };
  ProbeContext round = Round();
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(Driver("s1")->Probe(round).up);
  EXPECT_EQ(api_->reads(), 1u) << "a dead HAProxy must not be asked once per member";
}

TEST_F(HaproxyDriverTest, ReadingFromBeforeTheRoundIsNotReused) {
  Driver("s1")->Probe(Round());
  Driver("s1")->Probe(Round(Clock::now() + milliseconds(1)));
  EXPECT_EQ(api_->reads(), 2u);
}

TEST_F(HaproxyDriverTest, ProbeWithoutRoundStartReadsAfresh) {
  ProbeContext no_round{Clock::now() + std::chrono::seconds(5), {}};
  Driver("s1")->Probe(no_round);
  Driver("s1")->Probe(no_round);
  EXPECT_EQ(api_->reads(), 2u);
}

TEST_F(HaproxyDriverTest, WaiterGivesUpAtItsOwnDeadline) {
  api_->delay_ = milliseconds(600);
  std::thread leader([&] { Driver("s1")->Probe(Round()); });
  std::this_thread::sleep_for(milliseconds(100));
  ProbeContext impatient{Clock::now() + milliseconds(100), Clock::now() - milliseconds(100)};
  auto started = Clock::now();
  MemberStatus s = Driver("s2")->Probe(impatient);
  EXPECT_LT(Clock::now() - started, milliseconds(400));
  leader.join();
  EXPECT_FALSE(s.up);
  EXPECT_NE(s.error.find("still in flight"), std::string::npos) << s.error;
}

TEST_F(HaproxyDriverTest, ActionsSendExactlyTheirSetServerCommand) {
  auto s1 = Driver("s1");
  struct Case {
    ActionRequest request;
    const char* command;
  } cases[] = {
      {{Action::kConnect, {}}, "set server app/s1 state ready"},
      {{Action::kStartDrain, {}}, "set server app/s1 state drain"},
      {{Action::kStopDrain, {}}, "set server app/s1 state ready"},
      {{Action::kDisconnect, {}}, "set server app/s1 state maint"},
      {{Action::kSetPriority, {{"priority", "0"}}}, "set server app/s1 weight 0"},
      {{Action::kSetPriority, {{"priority", "256"}}}, "set server app/s1 weight 256"},
  };
  for (const Case& c : cases) {
    ActionResult result = s1->Perform(c.request);
    EXPECT_TRUE(result.ok) << c.command << ": " << result.error;
    ASSERT_FALSE(api_->commands().empty());
    EXPECT_EQ(api_->commands().back(), c.command);
  }
}

TEST_F(HaproxyDriverTest, PriorityMustBeAnHaproxyWeight) {
  auto s1 = Driver("s1");
  for (const char* bad : {"257", "-1", "abc", "5;shutdown frontend app", "", " 5"}) {
    ActionResult result = s1->Perform({Action::kSetPriority, {{"priority", bad}}});
    EXPECT_FALSE(result.ok) << "priority '" << bad << "' must be refused";
  }
  EXPECT_FALSE(s1->Perform({Action::kSetPriority, {}}).ok) << "priority is required";
  EXPECT_TRUE(api_->commands().empty()) << "nothing may reach HAProxy for a refused priority";
}

TEST_F(HaproxyDriverTest, HaproxysMessageMeansFailure) {
  api_->reply_for_ = [](const std::string&) {
    return SocketReply{true, "No such server.\n\n", {}};
  };
  ActionResult result = Driver("s1")->Perform({Action::kStartDrain, {}});
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("No such server."), std::string::npos) << result.error;

  api_->reply_for_ = [](const std::string&) {
    return SocketReply{true, "Permission denied\n\n", {}};
  };
  result = Driver("s1")->Perform({Action::kStartDrain, {}});
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.error.find("level admin"), std::string::npos) << result.error;
}

TEST_F(HaproxyDriverTest, AnActionMakesTheNextProbeReadAfresh) {
  auto s1 = Driver("s1");
  ProbeContext round = Round();
  s1->Probe(round);
  ASSERT_TRUE(s1->Perform({Action::kStartDrain, {}}).ok);
  s1->Probe(round);
  EXPECT_EQ(api_->reads(), 2u) << "a probe after drain must not report the state from before it";
}

// A rehearsal on the same driver, then the run: the rehearsal's lines are the runtime
// API commands the run sent, and the rehearsal itself sent nothing.
class HaproxyDescribeTest : public HaproxyDriverTest {
 protected:
  std::vector<std::string> Described(HaproxyDriver& driver, const ActionRequest& request) {
    std::size_t before = api_->commands().size();
    std::vector<std::string> lines = driver.Describe(request);
    EXPECT_EQ(api_->commands().size(), before)
        << "describing " << ActionName(request.action) << " sent a command to HAProxy";
    return lines;
  }
  // What Perform sent, written as a rehearsal writes a request; a refusal that sent
  // nothing is written as the rehearsal's refusal line.
  std::vector<std::string> Performed(HaproxyDriver& driver, const ActionRequest& request) {
    std::size_t before = api_->commands().size();
    ActionResult result = driver.Perform(request);
    std::vector<std::string> commands = api_->commands();
    if (commands.size() == before) return DescribeRefusal(result.error);
    EXPECT_TRUE(result.ok) << ActionName(request.action) << ": " << result.error;
    std::vector<std::string> lines;
    for (std::size_t i = before; i < commands.size(); ++i)
      lines.push_back(api_->address() + ": " + commands[i]);
    return lines;
  }
};

TEST_F(HaproxyDescribeTest, DescribeOfStartDrainNamesTheSetServerCommandItSends) {
  auto s1 = Driver("s1");
  EXPECT_EQ(
      Described(*s1, {Action::kStartDrain, {}}),
      std::vector<std::string>{"unix:/run/haproxy/admin.sock: set server app/s1 state drain"});
}

TEST_F(HaproxyDescribeTest, DescribeOfEachActionNamesExactlyTheCommandItSends) {
  auto s1 = Driver("s1");
  for (Action action : HaproxyDriverDescriptor().actions) {
    ActionRequest request{action, {}};
    if (action == Action::kSetPriority) request.params = {{"priority", "25"}};
    std::vector<std::string> described = Described(*s1, request);
    EXPECT_EQ(described.size(), 1u) << ActionName(action);
    EXPECT_EQ(described, Performed(*s1, request))
        << "the rehearsal of " << ActionName(action) << " differs from what it sends";
  }
}

TEST_F(HaproxyDescribeTest, DescribeOfARefusedActionSaysWhyNothingWouldBeSent) {
  auto s1 = Driver("s1");
  for (const ActionRequest& refused :
       std::vector<ActionRequest>{{Action::kSetPriority, {{"priority", "5;shutdown frontend app"}}},
                                  {Action::kSetPriority, {}},
                                  {Action::kUpgrade, {}}}) {
    std::vector<std::string> described = Described(*s1, refused);
    ASSERT_EQ(described.size(), 1u);
    EXPECT_EQ(described[0].rfind("nothing would be sent: ", 0), 0u) << described[0];
    EXPECT_EQ(described, Performed(*s1, refused));
  }
  EXPECT_EQ(Described(*s1, {Action::kUpgrade, {}}),
            std::vector<std::string>{
                "nothing would be sent: the haproxy driver does not perform 'upgrade'"});
}

TEST_F(HaproxyDescribeTest, DescribeLeavesTheSharedReadingInPlace) {
  auto s1 = Driver("s1");
  ProbeContext round = Round();
  s1->Probe(round);
  Described(*s1, {Action::kStartDrain, {}});
  s1->Probe(round);
  EXPECT_EQ(api_->reads(), 1u) << "a rehearsal changed nothing, so the round's reading stands";
}

TEST(HaproxyNameTest, OnlyHaproxyNameCharactersPass) {
  for (const char* good : {"app", "s1", "web_backend", "api.v2", "srv:8080", "a-b"})
    EXPECT_TRUE(IsValidHaproxyName(good)) << good;
  for (const char* bad : {"", "a b", "s1;shutdown", "s1\nset", "a/b", "a\tb", "s1\r"})
    EXPECT_FALSE(IsValidHaproxyName(bad)) << "'" << bad << "' must be refused";
}

TEST(HaproxyReaderKeyTest, OneSocketSpelledTwoWaysIsOneReader) {
  EXPECT_EQ(HaproxyReaderKey("/run/haproxy/admin.sock"),
            HaproxyReaderKey("unix:/run/haproxy/admin.sock"));
  EXPECT_EQ(HaproxyReaderKey("127.0.0.1:9999"), HaproxyReaderKey("tcp:127.0.0.1:9999"));
  EXPECT_NE(HaproxyReaderKey("tcp:127.0.0.1:9999"), HaproxyReaderKey("tcp:127.0.0.1:9998"));
}

class HaproxyDescriptorTest : public ::testing::Test {
 protected:
  MemberConfig Member(const std::string& name, const std::string& runtime_api,
                      const std::string& backend = "app", const std::string& server = "") {
    MemberConfig m;
    m.cluster = "lb";
    m.name = name;
    m.driver = "haproxy";
    m.settings.Set("runtime_api", runtime_api);
    m.settings.Set("backend", backend);
    m.settings.Set("server", server);
    m.settings.Set("timeout", Duration(milliseconds(2000)));
    m.settings.Set("max_reply_bytes", std::int64_t{8 * 1024 * 1024});
    return m;
  }
  std::string CreateError(const MemberConfig& m) {
    try {
      descriptor_.create(m, context_);
    } catch (const std::runtime_error& e) {
      return e.what();
    }
    return "";
  }

  DriverDescriptor descriptor_ = HaproxyDriverDescriptor();
  SharedResources shared_;
  DriverContext context_{shared_};
};

TEST_F(HaproxyDescriptorTest, DeclaresExactlyTheActionsItPerforms) {
  EXPECT_EQ(descriptor_.name, "haproxy");
  std::vector<Action> expected = {Action::kConnect, Action::kDisconnect, Action::kStartDrain,
                                  Action::kStopDrain, Action::kSetPriority};
  EXPECT_EQ(descriptor_.actions, expected);
  EXPECT_EQ(descriptor_.roles,
            (std::vector<std::string>{"active", "backup", "draining", "maintenance", "down"}));
  ASSERT_NE(descriptor_.FindKey("runtime_api"), nullptr);
  EXPECT_TRUE(descriptor_.FindKey("runtime_api")->required);
  EXPECT_TRUE(descriptor_.FindKey("backend")->required);
  EXPECT_FALSE(descriptor_.FindKey("server")->required);
  EXPECT_EQ(descriptor_.FindKey("timeout")->default_value, "2s");
  EXPECT_FALSE(descriptor_.needs_credentials);
}

TEST_F(HaproxyDescriptorTest, NamesThatWouldBreakTheCommandLineAreRefused) {
  EXPECT_NE(CreateError(Member("s1", "unix:/x.sock", "app;shutdown frontend app"))
                .find("settings.backend"),
            std::string::npos);
  EXPECT_NE(
      CreateError(Member("s1", "unix:/x.sock", "app", "s1\nset server")).find("settings.server"),
      std::string::npos);
  EXPECT_NE(CreateError(Member("s1", "unix:/x.sock", "app", "s 1")).find("not an HAProxy name"),
            std::string::npos);
  EXPECT_EQ(CreateError(Member("s1", "unix:/x.sock")), "");
}

TEST_F(HaproxyDescriptorTest, MalformedRuntimeApiIsRefusedAtStartUp) {
  std::string error = CreateError(Member("s1", "haproxy.sock"));
  EXPECT_NE(error.find("settings.runtime_api"), std::string::npos) << error;
}

TEST_F(HaproxyDescriptorTest, MembersOfOneHaproxyShareOneReader) {
  descriptor_.create(Member("s1", "/run/haproxy/admin.sock"), context_);
  descriptor_.create(Member("s2", "unix:/run/haproxy/admin.sock"), context_);
  descriptor_.create(Member("s3", "tcp:127.0.0.1:9999"), context_);
  int made = 0;
  auto count_new = [&] {
    ++made;
    return std::shared_ptr<HaproxyStatReader>();
  };
  shared_.GetOrCreate<HaproxyStatReader>(HaproxyReaderKey("unix:/run/haproxy/admin.sock"),
                                         count_new);
  shared_.GetOrCreate<HaproxyStatReader>(HaproxyReaderKey("tcp:127.0.0.1:9999"), count_new);
  EXPECT_EQ(made, 0) << "both readers must already exist, one per HAProxy";
}

TEST_F(HaproxyDescriptorTest, MissingSocketMakesTheMemberDownWithTheReason) {
  auto driver = descriptor_.create(Member("s1", "unix:/nonexistent/cutover/admin.sock"), context_);
  MemberStatus s = driver->Probe({Clock::now() + std::chrono::seconds(2), Clock::now()});
  EXPECT_FALSE(s.up);
  EXPECT_NE(s.error.find("no socket at /nonexistent/cutover/admin.sock"), std::string::npos)
      << s.error;
}

// A runtime API socket that answers every request with bytes that never end, counting
// what it managed to send before the reader hung up.
class EndlessUnixServer {
 public:
  explicit EndlessUnixServer(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, 4);
    thread_ = std::thread([this] {
      int client = accept(fd_, nullptr, nullptr);
      if (client < 0) return;
      std::string chunk(64 * 1024, 'x');
      while (!stop_) {
        ssize_t n = send(client, chunk.data(), chunk.size(), MSG_NOSIGNAL);
        if (n <= 0) break;
        sent_ += static_cast<std::size_t>(n);
      }
      hung_up_ = true;
      close(client);
    });
  }
  ~EndlessUnixServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  std::size_t sent() const { return sent_; }
  bool hung_up() const { return hung_up_; }

 private:
  int fd_;
  std::thread thread_;
  std::atomic<bool> stop_{false}, hung_up_{false};
  std::atomic<std::size_t> sent_{0};
};

// Found in review: the driver read up to 64 MiB per reply, so 16 endless endpoints cost
// 925 MB per scrape. A reply beyond what `show stat` of a real HAProxy can be is cut at
// settings.max_reply_bytes, quickly, and the member is down naming that setting.
TEST_F(HaproxyDescriptorTest, AnEndlessRuntimeApiReplyIsCutAtMaxReplyBytes) {
  testing::TempDir dir;
  EndlessUnixServer server(dir.File("admin.sock"));
  MemberConfig member = Member("s1", "unix:" + dir.File("admin.sock"));
  member.settings.Set("max_reply_bytes", std::int64_t{1024 * 1024});
  auto driver = descriptor_.create(member, context_);
  auto start = Clock::now();
  MemberStatus s = driver->Probe({Clock::now() + std::chrono::seconds(2), Clock::now()});
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  EXPECT_FALSE(s.up);
  EXPECT_NE(s.error.find("settings.max_reply_bytes"), std::string::npos) << s.error;
  EXPECT_NE(s.error.find("1048576 bytes"), std::string::npos) << s.error;
  for (int i = 0; i < 100 && !server.hung_up(); ++i) std::this_thread::sleep_for(milliseconds(10));
  EXPECT_TRUE(server.hung_up()) << "the reader must close the connection at the cap";
  EXPECT_LT(server.sent(), 8u * 1024 * 1024) << "read no more than the cap and socket buffers";
}

TEST_F(HaproxyDescriptorTest, MaxReplyBytesDefaultsToShowStatOfTenThousandServers) {
  ASSERT_NE(descriptor_.FindKey("max_reply_bytes"), nullptr);
  EXPECT_EQ(descriptor_.FindKey("max_reply_bytes")->default_value, "8388608");
  MemberConfig tiny = Member("s1", "unix:/x.sock");
  tiny.settings.Set("max_reply_bytes", std::int64_t{100});
  EXPECT_NE(CreateError(tiny).find("settings.max_reply_bytes"), std::string::npos);
}

TEST_F(HaproxyDescriptorTest, ServerDefaultsToTheMemberName) {
  // A scripted reader registered first is the one the factory attaches members to.
  auto api = std::make_shared<ScriptedApi>();
  shared_.GetOrCreate<HaproxyStatReader>(HaproxyReaderKey("unix:/x.sock"),
                                         [&] { return std::make_shared<HaproxyStatReader>(api); });
  ProbeContext round{Clock::now() + std::chrono::seconds(2), Clock::now()};
  auto by_name = descriptor_.create(Member("s6", "unix:/x.sock"), context_);
  EXPECT_EQ(by_name->Probe(round).role, "backup") << "member s6 must probe server app/s6";
  auto renamed = descriptor_.create(Member("web1", "unix:/x.sock", "app", "s2"), context_);
  EXPECT_EQ(renamed->Probe(round).role, "draining") << "settings.server must override the name";
  EXPECT_EQ(api->reads(), 1u);
}

}  // namespace
}  // namespace cutover
