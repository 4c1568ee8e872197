// The driver built by its descriptor, over real SSH (Debian's sshd on 127.0.0.1), against
// the stand-in gateway: what an operator's cutover.yml member gets in production.
#include <gtest/gtest.h>

#include "plugins/checkpoint/checkpoint_driver_config.h"
#include "tests/plugins/checkpoint/checkpoint_standin_scenarios.h"
#include "tests/support/sshd_server.h"

namespace cutover::testing {
namespace {

class CheckpointOverSshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(sshd_.Start()) << "sshd did not start: " << sshd_.error() << "\n" << sshd_.Log();
    SshOptions client = sshd_.ClientOptions();
    MemberConfig member;
    member.cluster = "east";
    member.name = "gw-east-a";
    member.address = "127.0.0.1:" + std::to_string(sshd_.port());
    member.driver = "checkpoint";
    member.credentials.name = "gaia";
    member.credentials.user = "root";
    member.credentials.identity_file = client.identity_file;
    member.credentials.known_hosts_file = client.known_hosts_file;
    member.where = "test";
    SharedResources shared;
    DriverContext context{shared};
    driver_ = CheckpointDriverDescriptor().create(member, context);
  }

  StandinGateway gateway_;
  SshdServer sshd_{SshdOptions{gateway_.bin_dir()}};
  std::unique_ptr<Driver> driver_;
};

TEST_F(CheckpointOverSshTest, ProbeReadsTheStandin) {
  ExpectProbeReadsTheStandin(*driver_, gateway_);
}

TEST_F(CheckpointOverSshTest, OlderGatewayFallsBackToFwCtlPstat) {
  ExpectOlderGatewayFallsBackToFwCtlPstat(*driver_, gateway_);
}

TEST_F(CheckpointOverSshTest, DisconnectThenConnectReachTheGatewayInOrder) {
  ExpectDisconnectThenConnectReachTheGatewayInOrder(*driver_, gateway_);
}

TEST_F(CheckpointOverSshTest, ConnectionCountChangesAreSeenOnTheNextProbe) {
  ExpectConnectionCountChangesAreSeenOnTheNextProbe(*driver_, gateway_);
}

TEST_F(CheckpointOverSshTest, UpgradeModeAccelerationAndPolicySteps) {
  ExpectUpgradeModeAccelerationAndPolicySteps(*driver_, gateway_);
}

TEST_F(CheckpointOverSshTest, FailuresAreReportedNotHidden) {
  ExpectFailuresAreReportedNotHidden(*driver_, gateway_);
}

TEST_F(CheckpointOverSshTest, ValuesWithQuotesAndShellCharactersArriveAsOneArgument) {
  // The run action's command and the upgrade version cross the SSH shell quoted.
  ActionResult run =
      driver_->Perform({Action::kRun, {{"command", "printf '%s|' \"it's\" '$HOME;x'"}}});
  ASSERT_TRUE(run.ok) << run.error;
  EXPECT_EQ(run.output, "it's|$HOME;x|");
}

}  // namespace
}  // namespace cutover::testing
