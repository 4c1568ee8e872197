// The driver over a fake transport: what it sends to the router (exact argv, values
// never inside a shell line), how it reads the router's answers into roles, which
// values it refuses before anything is sent, and that a rehearsal (Describe) names
// exactly the commands an action sends while sending none.
#include "plugins/frr_bgp/frr_bgp_driver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "plugins/core/cluster_config.h"
#include "plugins/frr_bgp/frr_bgp_driver_config.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string Fixture(const std::string& name) {
  return testing::ReadFile(std::string(CUTOVER_SOURCE_DIR) + "/tests/plugins/frr_bgp/fixtures/" +
                           name);
}

// Answers every command with the next canned result and remembers what was asked.
class FakeRouter : public CommandTransport {
 public:
  CommandResult Run(const std::vector<std::string>& argv, Duration) override {
    calls.push_back(argv);
    return next;
  }
  std::string Target() const override { return "fake-router"; }

  std::vector<std::vector<std::string>> calls;
  CommandResult next{true, 0, "", "", ""};
};

// What the probe script prints when each vtysh call printed `outputs` (in the order
// prefix, neighbor, running_config, version).
std::string ProbeOutput(const std::vector<std::pair<std::string, std::string>>& sections,
                        int failing_status = 0, const std::string& failing = "") {
  std::string out;
  for (const auto& [name, text] : sections) {
    out += "@@cutover-begin " + name + "\n" + text + "\n@@cutover-end " + name + " " +
           std::to_string(name == failing ? failing_status : 0) + "\n";
  }
  return out;
}

FrrBgpSettings M1Settings() {
  FrrBgpSettings s;
  s.neighbor = "10.251.1.2";
  s.prefix = "10.251.100.0/24";
  s.vtysh_pathspace = "frrt-r";
  s.route_map = "cutover-m1-in";
  return s;
}

struct Harness {
  explicit Harness(FrrBgpSettings settings = M1Settings()) {
    auto transport = std::make_unique<FakeRouter>();
    router = transport.get();
    driver = std::make_unique<FrrBgpDriver>(std::move(settings), std::move(transport));
  }
  MemberStatus Probe() { return driver->Probe({std::chrono::steady_clock::now() + 5s, {}}); }
  ActionResult Do(Action action, std::map<std::string, std::string> params) {
    return driver->Perform({action, std::move(params)});
  }
  FakeRouter* router;
  std::unique_ptr<FrrBgpDriver> driver;
};

std::string RouterSays(const std::string& prefix_fixture, const std::string& neighbor_fixture,
                       const std::string& config_fixture) {
  return ProbeOutput({{"prefix", Fixture(prefix_fixture)},
                      {"neighbor", Fixture(neighbor_fixture)},
                      {"running_config", Fixture(config_fixture)},
                      {"version", Fixture("show_version.txt")}});
}

TEST(FrrBgpProbeTest, TheMemberCarryingTheBestPathIsActive) {
  Harness h;
  h.router->next.out = RouterSays("prefix_m1_best.json", "neighbor_m1_established.json",
                                  "running_config_m1_active.txt");
  MemberStatus status = h.Probe();
  EXPECT_TRUE(status.up) << status.error;
  EXPECT_EQ(status.role, "active");
  EXPECT_EQ(status.version, "8.4.4");
  EXPECT_EQ(status.accepting_new_connections, true);
  EXPECT_FALSE(status.connections.has_value()) << "frr-bgp cannot know connections";
  EXPECT_FALSE(status.sync.ok.has_value());
  EXPECT_FALSE(status.config_digest.empty());
  // One round trip: a single sh -c script, the values only in quoted exports.
  ASSERT_EQ(h.router->calls.size(), 1u);
  ASSERT_EQ(h.router->calls[0].size(), 3u);
  EXPECT_EQ(h.router->calls[0][0], "sh");
  EXPECT_THAT(h.router->calls[0][2], HasSubstr("export NEIGHBOR='10.251.1.2'"));
  EXPECT_THAT(h.router->calls[0][2], HasSubstr("export PREFIX='10.251.100.0/24'"));
  EXPECT_THAT(h.router->calls[0][2], HasSubstr("export VTYSH_PATHSPACE='frrt-r'"));
}

TEST(FrrBgpProbeTest, AfterTheRoleMoveItIsStandbyWithTheSameConfigDigest) {
  Harness h;
  h.router->next.out = RouterSays("prefix_m1_best.json", "neighbor_m1_established.json",
                                  "running_config_m1_active.txt");
  std::string digest_before = h.Probe().config_digest;
  h.router->next.out = RouterSays("prefix_m2_best.json", "neighbor_m1_established.json",
                                  "running_config_m2_active.txt");
  MemberStatus after = h.Probe();
  EXPECT_TRUE(after.up) << after.error;
  EXPECT_EQ(after.role, "standby");
  EXPECT_EQ(after.accepting_new_connections, false);
  EXPECT_EQ(after.config_digest, digest_before) << "a role move must not look like a config change";
}

TEST(FrrBgpProbeTest, ADroppedSessionIsDownAndSaysWhy) {
  Harness h;
  h.router->next.out = RouterSays("prefix_m1_session_down.json", "neighbor_m1_down.json",
                                  "running_config_m1_active.txt");
  MemberStatus status = h.Probe();
  EXPECT_FALSE(status.up);
  EXPECT_EQ(status.role, "down");
  EXPECT_THAT(status.error, HasSubstr("BGP session with 10.251.1.2 is Active"));
}

TEST(FrrBgpProbeTest, ARouterWithoutDaemonsIsReportedWithTheCommandToRun) {
  Harness h;
  std::string none = Fixture("vtysh_no_daemons.txt");
  h.router->next.out = ProbeOutput(
      {{"prefix", none}, {"neighbor", none}, {"running_config", none}, {"version", none}}, 1,
      "prefix");
  MemberStatus status = h.Probe();
  EXPECT_FALSE(status.up);
  EXPECT_EQ(status.role, "unknown");
  EXPECT_THAT(status.error, HasSubstr("'frrt-r' -c 'show bgp ipv4 unicast 10.251.100.0/24 json'"));
  EXPECT_THAT(status.error, HasSubstr("failed to connect to any daemons"));
}

TEST(FrrBgpProbeTest, CutShortOrForeignOutputIsDownNeverARole) {
  Harness h;
  h.router->next.out = RouterSays("prefix_m1_best.json", "neighbor_m1_established.json",
                                  "running_config_m1_active.txt")
                           .substr(0, 900);
  EXPECT_FALSE(h.Probe().up);
  h.router->next.out = ProbeOutput({{"prefix", "garbage"},
                                    {"neighbor", Fixture("neighbor_m1_established.json")},
                                    {"running_config", Fixture("running_config_m1_active.txt")},
                                    {"version", Fixture("show_version.txt")}});
  MemberStatus status = h.Probe();
  EXPECT_FALSE(status.up);
  EXPECT_THAT(status.error, HasSubstr("not JSON"));
  h.router->next = CommandResult{false, -1, "", "", "connection refused"};
  EXPECT_THAT(h.Probe().error, HasSubstr("connection refused"));
}

TEST(FrrBgpActionTest, SetRoleWritesLocalPreferenceThenSoftClearsTheNeighbor) {
  Harness h;
  ASSERT_TRUE(h.Do(Action::kSetRole, {{"role", "standby"}}).ok);
  ASSERT_TRUE(h.Do(Action::kSetRole, {{"role", "active"}}).ok);
  ASSERT_EQ(h.router->calls.size(), 2u);
  EXPECT_THAT(h.router->calls[0],
              ElementsAre("vtysh", "-N", "frrt-r", "-c", "configure terminal", "-c",
                          "route-map cutover-m1-in permit 10", "-c", "set local-preference 100",
                          "-c", "end", "-c", "write memory", "-c", "clear bgp 10.251.1.2 soft"));
  EXPECT_EQ(h.router->calls[1][8], "set local-preference 200");
}

TEST(FrrBgpActionTest, SetRoleWithAsPathPrependAndClearAll) {
  FrrBgpSettings s = M1Settings();
  s.vtysh_pathspace.clear();
  s.method = "as_path_prepend";
  s.prepend_as = 64601;
  s.clear_scope = "all";
  Harness h(s);
  ASSERT_TRUE(h.Do(Action::kSetRole, {{"role", "standby"}}).ok);
  ASSERT_TRUE(h.Do(Action::kSetRole, {{"role", "active"}}).ok);
  EXPECT_THAT(h.router->calls[0], ElementsAre("vtysh", "-c", "configure terminal", "-c",
                                              "route-map cutover-m1-in permit 10", "-c",
                                              "set as-path prepend 64601 64601 64601", "-c", "end",
                                              "-c", "write memory", "-c", "clear bgp * soft"));
  EXPECT_EQ(h.router->calls[1][6], "no set as-path prepend");
}

// A role a restart would undo is no role move: the member's own upgrade restarts FRR
// from its saved configuration. Unless the configuration is someone else's to render.
TEST(FrrBgpActionTest, SetRoleSavesThePolicyUnlessTheConfigurationIsRenderedElsewhere) {
  FrrBgpSettings s = M1Settings();
  s.save_config = false;
  Harness h(s);
  ASSERT_TRUE(h.Do(Action::kSetRole, {{"role", "standby"}}).ok);
  EXPECT_THAT(h.router->calls[0], ::testing::Not(::testing::Contains("write memory")));
  Harness saving;
  ASSERT_TRUE(saving.Do(Action::kSetPriority, {{"priority", "150"}}).ok);
  EXPECT_THAT(saving.router->calls[0], ::testing::Contains("write memory"));
}

TEST(FrrBgpActionTest, SetPriorityWritesTheLocalPreference) {
  Harness h;
  ASSERT_TRUE(h.Do(Action::kSetPriority, {{"priority", "4294967295"}}).ok);
  EXPECT_EQ(h.router->calls[0][8], "set local-preference 4294967295");
}

TEST(FrrBgpActionTest, BadValuesAreRefusedBeforeAnythingIsSent) {
  Harness h;
  for (std::string bad : {"", "-1", "4294967296", "200; reboot", "1e3", "abc", " 200"}) {
    ActionResult r = h.Do(Action::kSetPriority, {{"priority", bad}});
    EXPECT_FALSE(r.ok) << "accepted priority '" << bad << "'";
  }
  EXPECT_THAT(h.Do(Action::kSetPriority, {}).error, HasSubstr("needs parameter 'priority'"));
  for (std::string bad : {"", "master", "active\nend"}) {
    EXPECT_FALSE(h.Do(Action::kSetRole, {{"role", bad}}).ok) << "accepted role '" << bad << "'";
  }
  EXPECT_FALSE(h.Do(Action::kRun, {{"command", "show bgp summary\nconfigure terminal"}}).ok);
  EXPECT_FALSE(h.Do(Action::kUpgrade, {}).ok);
  EXPECT_TRUE(h.router->calls.empty());
}

TEST(FrrBgpActionTest, ALineVtyshRefusesFailsTheActionThoughVtyshExitedZero) {
  Harness h;
  h.router->next.out = "% [BGP] Argument form is unsupported or malformed.\n";
  ActionResult r = h.Do(Action::kSetRole, {{"role", "active"}});
  EXPECT_FALSE(r.ok);
  EXPECT_THAT(r.error, HasSubstr("vtysh refused"));
  h.router->next = CommandResult{true, 1, "", "Exiting: failed to connect to any daemons.", ""};
  EXPECT_THAT(h.Do(Action::kRun, {{"command", "show bgp summary"}}).error,
              HasSubstr("failed to connect"));
}

// The member's own FRR: its announcements to every router, prepended as a standby.
FrrBgpSettings M1AnnouncementSettings() {
  FrrBgpSettings s;
  s.side = "member";
  s.neighbor = "10.251.1.1";
  s.prefix = "10.251.100.0/24";
  s.vtysh_pathspace = "frrt-m1";
  s.route_map = "cutover-announce";
  s.method = "as_path_prepend";
  s.prepend_as = 64601;
  s.clear_scope = "all";
  return s;
}

TEST(FrrBgpMemberSideTest, SetRolePrependsTheAnnouncementsAndSendsThemAgain) {
  Harness h(M1AnnouncementSettings());
  ASSERT_TRUE(h.Do(Action::kSetRole, {{"role", "standby"}}).ok);
  ASSERT_TRUE(h.Do(Action::kSetRole, {{"role", "active"}}).ok);
  EXPECT_THAT(h.router->calls[0], ElementsAre("vtysh", "-N", "frrt-m1", "-c", "configure terminal",
                                              "-c", "route-map cutover-announce permit 10", "-c",
                                              "set as-path prepend 64601 64601 64601", "-c", "end",
                                              "-c", "write memory", "-c", "clear bgp * soft out"));
  EXPECT_EQ(h.router->calls[1][8], "no set as-path prepend");
  // Local preference is the router's; nothing is sent.
  EXPECT_THAT(h.Do(Action::kSetPriority, {{"priority", "200"}}).error,
              HasSubstr("only the router's inbound policy"));
  EXPECT_EQ(h.router->calls.size(), 2u);
}

TEST(FrrBgpMemberSideTest, TheProbeReadsWhatTheMemberAnnounces) {
  Harness h(M1AnnouncementSettings());
  h.router->next.out = ProbeOutput({{"prefix", Fixture("advertised_m1_prepended.json")},
                                    {"neighbor", Fixture("neighbor_router_from_m1.json")},
                                    {"running_config", Fixture("running_config_member_m1.txt")},
                                    {"version", Fixture("show_version.txt")}});
  MemberStatus standby = h.Probe();
  EXPECT_TRUE(standby.up) << standby.error;
  EXPECT_EQ(standby.role, "standby");
  EXPECT_EQ(standby.accepting_new_connections, false);
  EXPECT_THAT(h.router->calls[0][2],
              HasSubstr("show bgp ipv4 unicast neighbors $NEIGHBOR advertised-routes json"));
  h.router->next.out = ProbeOutput({{"prefix", Fixture("advertised_m1_unprepended.json")},
                                    {"neighbor", Fixture("neighbor_router_from_m1.json")},
                                    {"running_config", Fixture("running_config_member_m1.txt")},
                                    {"version", Fixture("show_version.txt")}});
  MemberStatus active = h.Probe();
  EXPECT_EQ(active.role, "active");
  EXPECT_EQ(active.config_digest, standby.config_digest);
}

TEST(FrrBgpMemberSideTest, LocalPreferenceOnTheMembersSideIsRefused) {
  FrrBgpSettings s = M1AnnouncementSettings();
  s.method = "local_preference";
  EXPECT_THAT(ValidateFrrBgpSettings(s).value_or(""), HasSubstr("set method as_path_prepend"));
  s = M1AnnouncementSettings();
  s.side = "announcer";
  EXPECT_THAT(ValidateFrrBgpSettings(s).value_or(""), HasSubstr("side 'announcer' is unknown"));
}

TEST(FrrBgpSettingsTest, ValuesThatWouldReachVtyshAreCheckedStrictly) {
  auto invalid = [](auto edit) {
    FrrBgpSettings s = M1Settings();
    edit(s);
    return ValidateFrrBgpSettings(s).value_or("");
  };
  EXPECT_EQ(ValidateFrrBgpSettings(M1Settings()), std::nullopt);
  EXPECT_THAT(invalid([](auto& s) { s.neighbor = "10.251.1.2 soft"; }), HasSubstr("neighbor"));
  EXPECT_THAT(invalid([](auto& s) { s.neighbor = "*"; }), HasSubstr("neighbor"));
  EXPECT_THAT(invalid([](auto& s) { s.prefix = "10.251.100.0/33"; }), HasSubstr("prefix"));
  EXPECT_THAT(invalid([](auto& s) { s.prefix = "10.251.100.0"; }), HasSubstr("prefix"));
  EXPECT_THAT(invalid([](auto& s) { s.route_map = "x permit 10\nset"; }), HasSubstr("route_map"));
  EXPECT_THAT(invalid([](auto& s) { s.vtysh_pathspace = "-x"; }), HasSubstr("vtysh_pathspace"));
  EXPECT_THAT(invalid([](auto& s) { s.method = "med"; }), HasSubstr("method"));
  EXPECT_THAT(invalid([](auto& s) { s.method = "as_path_prepend"; }), HasSubstr("prepend_as"));
  EXPECT_THAT(invalid([](auto& s) { s.active_local_preference = 50; }), HasSubstr("higher"));
  EXPECT_THAT(invalid([](auto& s) { s.clear_scope = "soft"; }), HasSubstr("clear_scope"));
  EXPECT_THROW(FrrBgpDriver(FrrBgpSettings{}, std::make_unique<FakeRouter>()),
               std::invalid_argument);
}

TEST(FrrBgpDescriptorTest, DeclaresItsActionsRolesAndRequiredSettings) {
  DriverDescriptor d = FrrBgpDriverDescriptor();
  EXPECT_EQ(d.name, "frr-bgp");
  EXPECT_TRUE(d.Supports(Action::kSetRole));
  EXPECT_TRUE(d.Supports(Action::kSetPriority));
  EXPECT_TRUE(d.Supports(Action::kRun));
  EXPECT_FALSE(d.Supports(Action::kUpgrade));
  EXPECT_THAT(d.roles, ElementsAre("active", "standby", "down"));
  ASSERT_NE(d.FindKey("neighbor"), nullptr);
  EXPECT_TRUE(d.FindKey("neighbor")->required);
  EXPECT_TRUE(d.FindKey("prefix")->required);
  EXPECT_TRUE(d.needs_credentials);
}

// What a rehearsal of `request` shows; fails the test if anything reached the router.
std::vector<std::string> Described(Harness& h, const ActionRequest& request) {
  std::size_t before = h.router->calls.size();
  std::vector<std::string> lines = h.driver->Describe(request);
  EXPECT_EQ(h.router->calls.size(), before)
      << "describing " << ActionName(request.action) << " sent a command to the router";
  return lines;
}

// What Perform sent for `request`, written as a rehearsal writes commands; a refusal
// that sent nothing is written as the rehearsal's refusal line.
std::vector<std::string> Performed(Harness& h, const ActionRequest& request) {
  h.router->calls.clear();
  ActionResult result = h.driver->Perform(request);
  if (h.router->calls.empty()) return DescribeRefusal(result.error);
  EXPECT_TRUE(result.ok) << ActionName(request.action) << ": " << result.error;
  std::vector<std::string> lines;
  for (const auto& argv : h.router->calls) lines.push_back("fake-router: " + ShellLine(argv));
  return lines;
}

// Every action the descriptor declares, with the parameters a plan would give it.
std::vector<ActionRequest> EveryDeclaredAction() {
  std::vector<ActionRequest> requests;
  for (Action action : FrrBgpDriverDescriptor().actions) {
    switch (action) {
      case Action::kSetRole:
        requests.push_back({action, {{"role", "standby"}}});
        requests.push_back({action, {{"role", "active"}}});
        break;
      case Action::kSetPriority:
        requests.push_back({action, {{"priority", "150"}}});
        break;
      case Action::kRun:
        requests.push_back({action, {{"command", "show bgp summary"}}});
        break;
      default:
        ADD_FAILURE() << "no parameters chosen for " << ActionName(action);
    }
  }
  return requests;
}

TEST(FrrBgpDescribeTest, DescribeOfSetRoleNamesTheVtyshCallSetRoleRuns) {
  Harness h;
  EXPECT_THAT(Described(h, {Action::kSetRole, {{"role", "standby"}}}),
              ElementsAre("fake-router: vtysh -N frrt-r -c 'configure terminal' -c "
                          "'route-map cutover-m1-in permit 10' -c 'set local-preference 100' "
                          "-c end -c 'write memory' -c 'clear bgp 10.251.1.2 soft'"));
}

TEST(FrrBgpDescribeTest, DescribeOfEachActionNamesExactlyTheCommandsItSends) {
  for (bool prepend : {false, true}) {
    FrrBgpSettings s = M1Settings();
    if (prepend) {
      s.vtysh_pathspace.clear();
      s.method = "as_path_prepend";
      s.prepend_as = 64601;
      s.clear_scope = "all";
    }
    Harness h(s);
    for (const ActionRequest& request : EveryDeclaredAction()) {
      std::vector<std::string> described = Described(h, request);
      EXPECT_FALSE(described.empty()) << ActionName(request.action);
      EXPECT_EQ(described, Performed(h, request))
          << "the rehearsal of " << ActionName(request.action) << " (method " << s.method
          << ") differs from what it runs";
    }
  }
}

TEST(FrrBgpDescribeTest, DescribeOfARefusedActionSaysWhyNothingWouldBeSent) {
  Harness h;
  for (const ActionRequest& refused : std::vector<ActionRequest>{
           {Action::kSetRole, {{"role", "master"}}},
           {Action::kSetPriority, {{"priority", "200; reboot"}}},
           {Action::kRun, {{"command", "show bgp summary\nconfigure terminal"}}},
           {Action::kUpgrade, {}}}) {
    std::vector<std::string> described = Described(h, refused);
    ASSERT_EQ(described.size(), 1u) << ActionName(refused.action);
    EXPECT_THAT(described[0], ::testing::StartsWith("nothing would be sent: "));
    EXPECT_EQ(described, Performed(h, refused)) << ActionName(refused.action);
  }
  EXPECT_THAT(Described(h, {Action::kUpgrade, {}}),
              ElementsAre("nothing would be sent: frr-bgp does not perform 'upgrade'"));
}

}  // namespace
}  // namespace cutover
