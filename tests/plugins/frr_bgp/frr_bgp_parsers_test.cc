// The parsers on output captured from FRR 8.4.4 (fixtures/README.md says how) and on
// cut-short or foreign output, which must give an error and never a role or figure.
#include "plugins/frr_bgp/frr_bgp_parsers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/strings.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;

constexpr char kM1[] = "10.251.1.2";
constexpr char kM2[] = "10.251.2.2";
constexpr char kPrefix[] = "10.251.100.0/24";

std::string Fixture(const std::string& name) {
  std::string text = testing::ReadFile(std::string(CUTOVER_SOURCE_DIR) +
                                       "/tests/plugins/frr_bgp/fixtures/" + name);
  EXPECT_FALSE(text.empty()) << "fixture " << name << " is missing or empty";
  return text;
}

std::string RoleOf(const std::string& prefix_fixture, const std::string& neighbor_fixture,
                   const std::string& neighbor) {
  auto paths = ParseBgpPrefixPaths(Fixture(prefix_fixture));
  EXPECT_TRUE(paths.ok()) << paths.error();
  auto state = ParseBgpNeighborState(Fixture(neighbor_fixture), kM1);
  EXPECT_TRUE(state.ok()) << state.error();
  if (!paths.ok() || !state.ok()) return "unparsed";
  return DecideBgpRole(paths.value(), state.value(), neighbor, kPrefix).role;
}

TEST(BgpPrefixPathsTest, ReadsBothMembersPathsAndWhichIsBest) {
  auto paths = ParseBgpPrefixPaths(Fixture("prefix_m1_best.json"));
  ASSERT_TRUE(paths.ok()) << paths.error();
  ASSERT_EQ(paths.value().size(), 2u);
  EXPECT_EQ(paths.value()[0].peer, kM1);
  EXPECT_TRUE(paths.value()[0].best);
  EXPECT_EQ(paths.value()[0].local_preference, 200u);
  EXPECT_EQ(paths.value()[1].peer, kM2);
  EXPECT_FALSE(paths.value()[1].best);
  EXPECT_TRUE(paths.value()[1].valid);
  EXPECT_EQ(paths.value()[1].local_preference, 100u);
}

TEST(BgpPrefixPathsTest, ReadsThePrependedAsPath) {
  auto paths = ParseBgpPrefixPaths(Fixture("prefix_m1_best_m2_prepended.json"));
  ASSERT_TRUE(paths.ok()) << paths.error();
  ASSERT_EQ(paths.value().size(), 2u);
  EXPECT_EQ(paths.value()[1].as_path, "64601 64601 64601 64601");
}

TEST(BgpPrefixPathsTest, APrefixNotInTheTableHasNoPaths) {
  auto paths = ParseBgpPrefixPaths(Fixture("prefix_not_in_table.json"));
  ASSERT_TRUE(paths.ok()) << paths.error();
  EXPECT_TRUE(paths.value().empty());
}

TEST(BgpPrefixPathsTest, GarbageAndCutShortJsonAreErrors) {
  for (std::string text : {std::string("% Unknown command: show bgp ipv4 unicast"),
                           Fixture("prefix_m1_best.json").substr(0, 300), std::string("[]"),
                           std::string("{\"prefix\":\"10.251.100.0/24\"}"),
                           std::string("{\"paths\":[{\"valid\":true}]}")}) {
    auto paths = ParseBgpPrefixPaths(text);
    EXPECT_FALSE(paths.ok()) << "accepted: " << text;
  }
}

// vtysh's JSON went through a recursive parse: output nested a million deep (a broken
// or hostile vtysh) crashed the exporter. It is an error naming the limit.
TEST(BgpPrefixPathsTest, JsonNestedAMillionDeepIsAnErrorNotACrash) {
  const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
  auto paths = ParseBgpPrefixPaths("{\"paths\":" + deep + "}");
  ASSERT_FALSE(paths.ok());
  EXPECT_THAT(paths.error(), HasSubstr("JSON nested deeper than 64 levels"));
  auto state = ParseBgpNeighborState("{\"10.251.0.1\":" + deep + "}", "10.251.0.1");
  ASSERT_FALSE(state.ok());
  EXPECT_THAT(state.error(), HasSubstr("JSON nested deeper than 64 levels"));
}

TEST(BgpNeighborStateTest, ReadsTheSessionState) {
  auto up = ParseBgpNeighborState(Fixture("neighbor_m1_established.json"), kM1);
  ASSERT_TRUE(up.ok()) << up.error();
  EXPECT_EQ(up.value(), "Established");
  auto down = ParseBgpNeighborState(Fixture("neighbor_m1_down.json"), kM1);
  ASSERT_TRUE(down.ok()) << down.error();
  EXPECT_EQ(down.value(), "Active");
}

TEST(BgpNeighborStateTest, AnUnknownNeighborSaysSoAndHowToFixIt) {
  auto state = ParseBgpNeighborState(Fixture("neighbor_not_configured.json"), "10.251.9.9");
  ASSERT_FALSE(state.ok());
  EXPECT_THAT(state.error(), HasSubstr("no BGP neighbor 10.251.9.9"));
  auto other = ParseBgpNeighborState(Fixture("neighbor_m1_established.json"), kM2);
  EXPECT_FALSE(other.ok());
  EXPECT_FALSE(ParseBgpNeighborState("Exiting: failed to connect to any daemons.", kM1).ok());
}

TEST(BgpRoleTest, TheBestPathsMemberIsActiveAndThePeerStandby) {
  EXPECT_EQ(RoleOf("prefix_m1_best.json", "neighbor_m1_established.json", kM1), "active");
  EXPECT_EQ(RoleOf("prefix_m1_best.json", "neighbor_m1_established.json", kM2), "standby");
}

TEST(BgpRoleTest, ALocalPreferenceChangeSwapsTheRoles) {
  EXPECT_EQ(RoleOf("prefix_m2_best.json", "neighbor_m1_established.json", kM1), "standby");
  EXPECT_EQ(RoleOf("prefix_m2_best.json", "neighbor_m1_established.json", kM2), "active");
}

TEST(BgpRoleTest, AMemberWhoseSessionDroppedIsDown) {
  auto paths = ParseBgpPrefixPaths(Fixture("prefix_m1_session_down.json"));
  ASSERT_TRUE(paths.ok()) << paths.error();
  auto down = DecideBgpRole(paths.value(), "Active", kM1, kPrefix);
  EXPECT_FALSE(down.up);
  EXPECT_EQ(down.role, "down");
  EXPECT_THAT(down.why, HasSubstr("is Active, not Established"));
  // Session up but no path (the member stopped announcing): down too, not standby.
  auto no_path = DecideBgpRole(paths.value(), "Established", kM1, kPrefix);
  EXPECT_EQ(no_path.role, "down");
  EXPECT_THAT(no_path.why, HasSubstr("no valid path for 10.251.100.0/24 via 10.251.1.2"));
  EXPECT_EQ(DecideBgpRole(paths.value(), "Established", kM2, kPrefix).role, "active");
}

// On the member's side: what it sends the router decides its role.
TEST(AnnouncedRoleTest, AnUnprependedAnnouncementIsActiveThePrependedOneStandby) {
  auto plain = ParseAdvertisedPath(Fixture("advertised_m1_unprepended.json"), kPrefix);
  ASSERT_TRUE(plain.ok()) << plain.error();
  ASSERT_TRUE(plain.value().has_value());
  EXPECT_EQ(*plain.value(), "");
  EXPECT_EQ(DecideAnnouncedRole(plain.value(), "Established", "10.251.1.1", kPrefix, 64601, 3).role,
            "active");
  auto prepended = ParseAdvertisedPath(Fixture("advertised_m1_prepended.json"), kPrefix);
  ASSERT_TRUE(prepended.ok()) << prepended.error();
  EXPECT_EQ(prepended.value().value_or("?"), "64601 64601 64601");
  BgpRoleDecision standby =
      DecideAnnouncedRole(prepended.value(), "Established", "10.251.1.1", kPrefix, 64601, 3);
  EXPECT_TRUE(standby.up);
  EXPECT_EQ(standby.role, "standby");
}

TEST(AnnouncedRoleTest, APathThisDriverDidNotWriteIsNotARole) {
  auto prepended = ParseAdvertisedPath(Fixture("advertised_m1_prepended.json"), kPrefix);
  ASSERT_TRUE(prepended.ok()) << prepended.error();
  // Prepended twice, or by another AS: someone else's policy decides, so the role is unclear.
  for (auto [as, count] : {std::pair<std::int64_t, std::int64_t>{64601, 2}, {64999, 3}}) {
    BgpRoleDecision unclear =
        DecideAnnouncedRole(prepended.value(), "Established", "10.251.1.1", kPrefix, as, count);
    EXPECT_FALSE(unclear.up);
    EXPECT_EQ(unclear.role, "down");
    EXPECT_THAT(unclear.why, HasSubstr("role is unclear"));
  }
}

TEST(AnnouncedRoleTest, NothingAnnouncedOrNoSessionIsDown) {
  auto nothing = ParseAdvertisedPath(Fixture("advertised_m1_nothing.json"), kPrefix);
  ASSERT_TRUE(nothing.ok()) << nothing.error();
  EXPECT_FALSE(nothing.value().has_value());
  BgpRoleDecision silent =
      DecideAnnouncedRole(nothing.value(), "Established", "10.251.1.1", kPrefix, 64601, 3);
  EXPECT_EQ(silent.role, "down");
  EXPECT_THAT(silent.why, HasSubstr("announces nothing for 10.251.100.0/24"));
  EXPECT_EQ(DecideAnnouncedRole(std::string(), "Idle", "10.251.1.1", kPrefix, 64601, 3).role,
            "down");
}

TEST(AnnouncedRoleTest, AnUnknownNeighborOrGarbageIsAnError) {
  auto unknown = ParseAdvertisedPath(Fixture("advertised_unknown_neighbor.json"), kPrefix);
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error(), HasSubstr("No such neighbor"));
  EXPECT_FALSE(
      ParseAdvertisedPath("{\"advertisedRoutes\":{\"10.251.100.0/24\":{}}}", kPrefix).ok());
  EXPECT_FALSE(ParseAdvertisedPath("Exiting: failed to connect to any daemons.", kPrefix).ok());
}

TEST(FrrVersionTest, ReadsTheVersionFromTheFirstLine) {
  auto version = ParseFrrVersion(Fixture("show_version.txt"));
  ASSERT_TRUE(version.ok()) << version.error();
  EXPECT_EQ(version.value(), "8.4.4");
  EXPECT_FALSE(ParseFrrVersion(Fixture("vtysh_no_daemons.txt")).ok());
  EXPECT_FALSE(ParseFrrVersion("").ok());
}

TEST(MemberPolicyConfigTest, ARoleMoveDoesNotChangeTheDigestedPolicy) {
  const std::vector<std::string> maps = {"cutover-m1-in"};
  auto before = MemberPolicyConfig(Fixture("running_config_m1_active.txt"), maps, kM1);
  auto after = MemberPolicyConfig(Fixture("running_config_m2_active.txt"), maps, kM1);
  ASSERT_TRUE(before.ok()) << before.error();
  ASSERT_TRUE(after.ok()) << after.error();
  EXPECT_EQ(before.value(), after.value());
  EXPECT_THAT(before.value(), HasSubstr("neighbor 10.251.1.2 route-map cutover-m1-in in"));
  EXPECT_THAT(before.value(),
              HasSubstr("route-map cutover-m1-in permit 10\n set local-preference\n"));
  EXPECT_THAT(before.value(), ::testing::Not(HasSubstr("cutover-m2-in")));

  auto prepended =
      MemberPolicyConfig(Fixture("running_config_m2_prepended.txt"), {"cutover-m2-in"}, kM2);
  auto plain = MemberPolicyConfig(Fixture("running_config_m1_active.txt"), {"cutover-m2-in"}, kM2);
  ASSERT_TRUE(prepended.ok() && plain.ok());
  EXPECT_EQ(prepended.value(), plain.value());
}

TEST(MemberPolicyConfigTest, AnyOtherPolicyEditChangesIt) {
  const std::vector<std::string> maps = {"cutover-m1-in"};
  std::string config = Fixture("running_config_m1_active.txt");
  auto base = MemberPolicyConfig(config, maps, kM1);
  std::string with_match = config;
  with_match.replace(with_match.find(" set local-preference 200"), 0,
                     " match ip address prefix-list protected\n");
  auto edited = MemberPolicyConfig(with_match, maps, kM1);
  ASSERT_TRUE(base.ok() && edited.ok());
  EXPECT_NE(base.value(), edited.value());
  std::string without_binding = config;
  without_binding.erase(without_binding.find("  neighbor 10.251.1.2 route-map"),
                        sizeof("  neighbor 10.251.1.2 route-map cutover-m1-in in"));
  auto unbound = MemberPolicyConfig(without_binding, maps, kM1);
  ASSERT_TRUE(unbound.ok());
  EXPECT_NE(base.value(), unbound.value());
}

TEST(MemberPolicyConfigTest, ACutShortConfigIsAnError) {
  std::string config = Fixture("running_config_m1_active.txt");
  EXPECT_FALSE(
      MemberPolicyConfig(config.substr(0, config.size() / 2), {"cutover-m1-in"}, kM1).ok());
}

TEST(VtyshErrorTest, FindsTheRefusalVtyshExitsZeroWith) {
  EXPECT_EQ(FirstVtyshError("% [BGP] Argument form is unsupported or malformed.\n"),
            "% [BGP] Argument form is unsupported or malformed.");
  EXPECT_EQ(FirstVtyshError(""), "");
}

}  // namespace
}  // namespace cutover
