// The frr-bgp driver against real FRR 8.4: a router and two members, each zebra + bgpd in
// its own network namespace and pathspace (frr_pair_lab.sh). The driver reaches the
// router through `ip netns exec` (LocalTransport) and runs exactly the probe script and
// vtysh argv it would send over SSH. Addresses (10.251.x.x) exist only in the namespaces.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "common/process.h"
#include "plugins/frr_bgp/frr_bgp_driver.h"
#include "plugins/transport/local_transport.h"
#include "tests/support/net.h"

namespace cutover {
namespace {

using namespace std::chrono_literals;

// Fixed names: the script tears down leftovers of a crashed run before it starts.
constexpr char kLabPrefix[] = "frrti-";
const std::string kRouter = std::string(kLabPrefix) + "r";

ProcessResult Lab(const std::string& verb) {
  ProcessOptions options;
  options.timeout = 30s;
  return RunProcess({std::string(CUTOVER_SOURCE_DIR) + "/tests/plugins/frr_bgp/frr_pair_lab.sh",
                     verb, kLabPrefix},
                    options);
}

class FrrPairTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ProcessResult up = Lab("up");
    ASSERT_EQ(up.exit_status, 0) << "frr_pair_lab.sh up failed: " << up.err;
    m1_ = Driver("10.251.1.2", "cutover-m1-in");
    m2_ = Driver("10.251.2.2", "cutover-m2-in");
  }
  void TearDown() override { Lab("down"); }

  std::unique_ptr<FrrBgpDriver> Driver(const std::string& neighbor, const std::string& route_map) {
    FrrBgpSettings s;
    s.neighbor = neighbor;
    s.prefix = "10.251.100.0/24";
    s.vtysh_pathspace = kRouter;
    s.route_map = route_map;
    return std::make_unique<FrrBgpDriver>(
        s,
        std::make_unique<LocalTransport>(std::vector<std::string>{"ip", "netns", "exec", kRouter}));
  }
  static MemberStatus Probe(FrrBgpDriver& d) {
    return d.Probe({std::chrono::steady_clock::now() + 10s, {}});
  }
  // True once m1 and m2 show these roles; the last statuses stay for messages.
  bool RolesAre(const std::string& m1, const std::string& m2) {
    last1_ = Probe(*m1_);
    last2_ = Probe(*m2_);
    return last1_.role == m1 && last2_.role == m2;
  }
  std::string Seen() const {
    return "m1 " + last1_.role + " (" + last1_.error + "), m2 " + last2_.role + " (" +
           last2_.error + ")";
  }

  std::unique_ptr<FrrBgpDriver> m1_, m2_;
  MemberStatus last1_, last2_;
};

TEST_F(FrrPairTest, SetRoleMovesTheBestPathAndTheProbeFollows) {
  ASSERT_TRUE(testing::WaitUntil([&] { return RolesAre("active", "standby"); }, 20s))
      << "after start-up the higher local preference should make m1 active: " << Seen();
  EXPECT_TRUE(last1_.up);
  EXPECT_EQ(last1_.version, "8.4.4");
  std::string m1_digest = last1_.config_digest;

  ActionResult demote = m1_->Perform({Action::kSetRole, {{"role", "standby"}}});
  ASSERT_TRUE(demote.ok) << demote.error;
  ActionResult promote = m2_->Perform({Action::kSetRole, {{"role", "active"}}});
  ASSERT_TRUE(promote.ok) << promote.error;
  auto moved_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(testing::WaitUntil([&] { return RolesAre("standby", "active"); }, 5s))
      << "set_role should move the best path to m2 within seconds: " << Seen();
  std::cout << "role move visible after "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - moved_at)
                   .count()
            << " ms\n";
  EXPECT_EQ(last1_.config_digest, m1_digest) << "a role move must not read as a config change";

  ActionResult pref = m1_->Perform({Action::kSetPriority, {{"priority", "300"}}});
  ASSERT_TRUE(pref.ok) << pref.error;
  ASSERT_TRUE(testing::WaitUntil([&] { return RolesAre("active", "standby"); }, 5s))
      << "local preference 300 should win over m2's 200: " << Seen();
}

TEST_F(FrrPairTest, AMemberWhoseBgpSessionIsGoneIsDown) {
  ASSERT_TRUE(testing::WaitUntil([&] { return RolesAre("active", "standby"); }, 20s)) << Seen();
  ProcessResult kill = RunProcess(
      {"sh", "-c", std::string("kill $(cat /var/run/frr/") + kLabPrefix + "m1/bgpd.pid)"}, {});
  ASSERT_EQ(kill.exit_status, 0) << kill.err;
  ASSERT_TRUE(testing::WaitUntil([&] { return RolesAre("down", "active"); }, 10s))
      << "with m1's bgpd stopped, m1 is down and m2 carries the prefix: " << Seen();
  EXPECT_FALSE(last1_.up);
  EXPECT_THAT(last1_.error, ::testing::HasSubstr("not Established"));
}

// The other knob: each member prepends its own announcements (side member, vtysh on the
// member); the router's local preferences are equal, so the AS-path length decides.
TEST_F(FrrPairTest, PrependingOnTheMembersAnnouncementsMovesTheBestPath) {
  ASSERT_TRUE(testing::WaitUntil([&] { return RolesAre("active", "standby"); }, 20s)) << Seen();
  ASSERT_TRUE(m1_->Perform({Action::kSetPriority, {{"priority", "100"}}}).ok);
  auto announcements = [](const std::string& member, const std::string& router_address) {
    FrrBgpSettings s;
    s.side = "member";
    s.neighbor = router_address;
    s.prefix = "10.251.100.0/24";
    s.vtysh_pathspace = std::string(kLabPrefix) + member;
    s.route_map = "cutover-announce";
    s.method = "as_path_prepend";
    s.prepend_as = 64601;
    s.clear_scope = "all";
    return std::make_unique<FrrBgpDriver>(
        s, std::make_unique<LocalTransport>(
               std::vector<std::string>{"ip", "netns", "exec", std::string(kLabPrefix) + member}));
  };
  auto a1 = announcements("m1", "10.251.1.1");
  auto a2 = announcements("m2", "10.251.2.1");
  ASSERT_TRUE(a2->Perform({Action::kSetRole, {{"role", "standby"}}}).ok);
  ASSERT_TRUE(a1->Perform({Action::kSetRole, {{"role", "active"}}}).ok);
  ASSERT_TRUE(testing::WaitUntil([&] { return Probe(*a2).role == "standby"; }, 5s))
      << Probe(*a2).error;
  EXPECT_EQ(Probe(*a1).role, "active") << Probe(*a1).error;
  ASSERT_TRUE(testing::WaitUntil([&] { return RolesAre("active", "standby"); }, 5s)) << Seen();

  // The move: m2 announces plainly, m1 prepends; the router follows the announcements.
  ASSERT_TRUE(a2->Perform({Action::kSetRole, {{"role", "active"}}}).ok);
  ASSERT_TRUE(a1->Perform({Action::kSetRole, {{"role", "standby"}}}).ok);
  ASSERT_TRUE(testing::WaitUntil([&] { return RolesAre("standby", "active"); }, 5s))
      << "m1's prepended announcement should lose to m2's: " << Seen();
  MemberStatus m1 = Probe(*a1);
  EXPECT_TRUE(m1.up) << m1.error;
  EXPECT_EQ(m1.role, "standby");
  EXPECT_EQ(Probe(*a2).role, "active");
}

}  // namespace
}  // namespace cutover
