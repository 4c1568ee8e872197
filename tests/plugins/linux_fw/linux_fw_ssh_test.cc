// The production path: LinuxFwDriver over a real SshTransport to a real sshd on
// 127.0.0.1. `conntrack` and `conntrackd` are stand-ins on the session's PATH printing the
// captured fixtures; what this proves is that the probe script and action arguments
// survive the remote login shell's quoting, with awkward paths, in one round trip.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/strings.h"
#include "plugins/linux_fw/linux_fw_driver.h"
#include "plugins/transport/ssh_transport.h"
#include "tests/support/sshd_server.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;

std::string FixturePath(const std::string& name) {
  return std::string(CUTOVER_SOURCE_DIR) + "/tests/plugins/linux_fw/fixtures/" + name;
}

TEST(LinuxFwOverSshTest, ProbeAndSetPriorityThroughTheRemoteShell) {
  testing::TempDir dir;
  // A quote and a space in the paths: each must reach the member as one argument.
  std::string conntrackd_config = dir.Write("it's conntrackd.conf", "");
  dir.Write("bin/conntrack", "#!/bin/sh\ncat '" + FixturePath("conntrack_count.txt") + "'\n", 0755);
  dir.Write("bin/conntrackd",
            "#!/bin/sh\n"
            "[ -f \"$2\" ] || { echo \"no config at '$2'\"; exit 2; }\n"
            "case \"$3 $4\" in\n"
            "  '-s network') cat '" +
                FixturePath("conntrackd_network_receiver_lossy.txt") +
                "' ;;\n"
                "  '-s ') cat '" +
                FixturePath("conntrackd_stats_receiver_lossy.txt") +
                "' ;;\n"
                "  *) exit 2 ;;\n"
                "esac\n",
            0755);
  testing::SshdServer sshd({dir.File("bin")});
  ASSERT_TRUE(sshd.Start()) << sshd.error() << "\n" << sshd.Log();

  LinuxFwSettings settings;
  settings.conntrackd_config = conntrackd_config;
  settings.vrrp_state_file = dir.Write("vrrp state", "INSTANCE VI_1 BACKUP 100\n");
  settings.vrrp_track_file = dir.File("it's priority");
  settings.version_command = "echo \"6.1.0-28-amd64 ($(echo ok))\"";
  settings.config_digest_command = "cat \"$CONNTRACKD_CONFIG\"; echo 'table inet filter'";
  settings.command_timeout = std::chrono::seconds(10);
  LinuxFwDriver driver(settings, std::make_unique<SshTransport>(sshd.ClientOptions()));

  auto now = std::chrono::steady_clock::now();
  MemberStatus status = driver.Probe({now + std::chrono::seconds(10), now});
  ASSERT_TRUE(status.up) << status.error;
  EXPECT_EQ(status.connections, 406);
  EXPECT_EQ(status.role, "standby");
  EXPECT_EQ(status.version, "6.1.0-28-amd64 (ok)");
  EXPECT_EQ(status.config_digest, Fnv1aHex("table inet filter\n"));
  EXPECT_EQ(status.sync.ok, true) << status.sync.state;
  EXPECT_EQ(status.sync.values.at(SyncMetric::kExternalCacheEntries), 406);

  ActionResult demote = driver.Perform({Action::kSetPriority, {{"priority", "-100"}}});
  ASSERT_TRUE(demote.ok) << demote.error;
  EXPECT_EQ(testing::ReadFile(dir.File("it's priority")), "-100\n");

  ActionResult refused = driver.Perform({Action::kSetPriority, {{"priority", "$(touch x)"}}});
  EXPECT_FALSE(refused.ok);
  EXPECT_THAT(refused.error, HasSubstr("between -254 and 254"));
}

}  // namespace
}  // namespace cutover
