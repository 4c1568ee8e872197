// The linux-fw descriptor as an operator meets it: the actions and roles it declares,
// a cutover.yml validated against its settings table, and the factory's refusals.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugins/core/cluster_config.h"
#include "plugins/core/registry.h"
#include "plugins/linux_fw/linux_fw_driver_config.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

class LinuxFwDescriptorTest : public ::testing::Test {
 protected:
  LinuxFwDescriptorTest() { registry_.Add(LinuxFwDriverDescriptor()); }

  ConfigLoadResult Load(const std::string& member_settings,
                        const std::string& address = "192.0.2.10:2222") {
    std::string yaml =
        "credentials:\n"
        "  fw-ssh:\n"
        "    user: root\n"
        "    identity_file: " +
        key_ +
        "\n"
        "    known_hosts_file: " +
        dir_.File("known_hosts") +
        "\n"
        "clusters:\n"
        "  - name: edge\n"
        "    driver: linux-fw\n"
        "    credentials: fw-ssh\n"
        "    members:\n"
        "      - name: fw1\n"
        "        address: \"" +
        address + "\"\n" + member_settings;
    return LoadConfigString(yaml, "cutover.yml", registry_);
  }

  testing::TempDir dir_;
  std::string key_ = dir_.Write("id_ed25519", "not a real key\n", 0600);
  DriverRegistry registry_;
  SharedResources shared_;
  DriverContext context_{shared_};
};

TEST_F(LinuxFwDescriptorTest, DeclaresExactlyTheActionsItPerforms) {
  DriverDescriptor d = LinuxFwDriverDescriptor();
  EXPECT_EQ(d.name, "linux-fw");
  EXPECT_THAT(d.actions,
              UnorderedElementsAre(
                  Action::kSetPriority, Action::kSetRole, Action::kCommitSync, Action::kResync,
                  Action::kDisconnect, Action::kConnect, Action::kStartDrain, Action::kStopDrain,
                  Action::kStartUpgradeMode, Action::kStopUpgradeMode, Action::kDisableAcceleration,
                  Action::kUpgrade, Action::kInstallPolicy, Action::kRun));
  // fault/stopped from keepalived; ready/down from a load-sharing site command.
  EXPECT_THAT(d.roles,
              UnorderedElementsAre("active", "standby", "fault", "stopped", "ready", "down"));
  EXPECT_TRUE(d.needs_credentials);
  for (const ConfigKey& key : d.config) EXPECT_FALSE(key.help.empty()) << key.name;
}

TEST_F(LinuxFwDescriptorTest, DefaultsFillEverySetting) {
  ConfigLoadResult loaded = Load("");
  ASSERT_TRUE(loaded.ok()) << loaded.ErrorText();
  const Settings& s = loaded.config.clusters[0].members[0].settings;
  EXPECT_EQ(s.String("conntrackd_config"), "/etc/conntrackd/conntrackd.conf");
  EXPECT_EQ(s.String("vrrp_state_file"), "/run/cutover/vrrp-state");
  EXPECT_EQ(s.String("version_command"), "uname -r");
  EXPECT_EQ(s.String("policy_command"), "nft -f /etc/nftables.conf");
  EXPECT_EQ(s.String("upgrade_command"), "");
  EXPECT_EQ(s.String("cluster_command"), "") << "without it the member is a keepalived pair";
  EXPECT_EQ(s.String("role_file"), "") << "without it keepalived's state file gives the role";
  EXPECT_EQ(s.String("forwarded_counter"), "") << "counters are the operator's to name";
  EXPECT_EQ(s.String("invalid_counter"), "");
  EXPECT_TRUE(s.StringList("interfaces").empty());
  EXPECT_EQ(s.DurationValue("connect_timeout"), std::chrono::seconds(5));
  EXPECT_EQ(s.DurationValue("command_timeout"), std::chrono::minutes(2));
}

TEST_F(LinuxFwDescriptorTest, FactoryBuildsAnSshDriverFromTheMember) {
  ConfigLoadResult loaded = Load(
      "        settings:\n"
      "          interfaces: [eth1, eth2]\n"
      "          command_timeout: 10m\n");
  ASSERT_TRUE(loaded.ok()) << loaded.ErrorText();
  const MemberConfig& member = loaded.config.clusters[0].members[0];
  auto driver = LinuxFwDriverDescriptor().create(member, context_);
  EXPECT_NE(driver, nullptr);
}

TEST_F(LinuxFwDescriptorTest, ALoadSharingMemberNamesItsSiteCommand) {
  ConfigLoadResult loaded = Load(
      "        settings:\n"
      "          cluster_command: /usr/local/sbin/cluster-member\n");
  ASSERT_TRUE(loaded.ok()) << loaded.ErrorText();
  EXPECT_EQ(loaded.config.clusters[0].members[0].settings.String("cluster_command"),
            "/usr/local/sbin/cluster-member");
}

TEST_F(LinuxFwDescriptorTest, ABgpSelectedMemberNamesItsCountersAndRoleFile) {
  ConfigLoadResult loaded = Load(
      "        settings:\n"
      "          role_file: /run/cutover/role\n"
      "          forwarded_counter: inet co_firewall forwarded\n"
      "          invalid_counter: inet co_firewall invalid\n");
  ASSERT_TRUE(loaded.ok()) << loaded.ErrorText();
  const MemberConfig& member = loaded.config.clusters[0].members[0];
  EXPECT_EQ(member.settings.String("forwarded_counter"), "inet co_firewall forwarded");
  EXPECT_NE(LinuxFwDriverDescriptor().create(member, context_), nullptr);
}

TEST_F(LinuxFwDescriptorTest, FactoryRefusesACounterThatIsNotFamilyTableName) {
  ConfigLoadResult loaded = Load(
      "        settings:\n"
      "          forwarded_counter: co_firewall forwarded\n");
  ASSERT_TRUE(loaded.ok()) << loaded.ErrorText();
  try {
    LinuxFwDriverDescriptor().create(loaded.config.clusters[0].members[0], context_);
    FAIL() << "a counter without its family was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("forwarded_counter 'co_firewall forwarded'"));
    EXPECT_THAT(e.what(), HasSubstr("e.g. 'inet co_firewall forwarded'"));
  }
}

TEST_F(LinuxFwDescriptorTest, WrongSettingTypesAreRefusedWithTheirHelp) {
  ConfigLoadResult loaded = Load(
      "        settings:\n"
      "          interfaces: eth1\n"
      "          command_timeout: soon\n");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(loaded.ErrorText(), HasSubstr("interfaces"));
  EXPECT_THAT(loaded.ErrorText(), HasSubstr("command_timeout"));
}

TEST_F(LinuxFwDescriptorTest, FactoryRefusesAnAddressSshCannotUse) {
  ConfigLoadResult loaded = Load("", "fw1:notaport");
  ASSERT_TRUE(loaded.ok()) << loaded.ErrorText();
  try {
    LinuxFwDriverDescriptor().create(loaded.config.clusters[0].members[0], context_);
    FAIL() << "a malformed address was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("fw1:notaport"));
  }
}

TEST_F(LinuxFwDescriptorTest, FactoryRefusesCredentialsWithoutHostKeys) {
  ConfigLoadResult loaded = Load("");
  ASSERT_TRUE(loaded.ok()) << loaded.ErrorText();
  MemberConfig member = loaded.config.clusters[0].members[0];
  member.credentials.known_hosts_file.clear();
  try {
    LinuxFwDriverDescriptor().create(member, context_);
    FAIL() << "credentials without known_hosts_file were accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("known_hosts_file"));
  }
}

}  // namespace
}  // namespace cutover
