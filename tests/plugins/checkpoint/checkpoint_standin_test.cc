// The driver against the stand-in gateway through a local shell: proves the probe script
// and the action commands work with real processes, without needing SSH.
#include <gtest/gtest.h>

#include "plugins/checkpoint/checkpoint_driver.h"
#include "plugins/transport/local_transport.h"
#include "tests/plugins/checkpoint/checkpoint_standin_scenarios.h"

namespace cutover::testing {
namespace {

class CheckpointStandinLocalTest : public ::testing::Test {
 protected:
  CheckpointStandinLocalTest()
      : driver_(CheckpointSettings{},
                std::make_unique<LocalTransport>(std::vector<std::string>{
                    "env", "PATH=" + gateway_.bin_dir() + ":/usr/bin:/bin"})) {}

  StandinGateway gateway_;
  CheckpointDriver driver_;
};

TEST_F(CheckpointStandinLocalTest, ProbeReadsTheStandin) {
  ExpectProbeReadsTheStandin(driver_, gateway_);
}

TEST_F(CheckpointStandinLocalTest, OlderGatewayFallsBackToFwCtlPstat) {
  ExpectOlderGatewayFallsBackToFwCtlPstat(driver_, gateway_);
}

TEST_F(CheckpointStandinLocalTest, DisconnectThenConnectReachTheGatewayInOrder) {
  ExpectDisconnectThenConnectReachTheGatewayInOrder(driver_, gateway_);
}

TEST_F(CheckpointStandinLocalTest, ConnectionCountChangesAreSeenOnTheNextProbe) {
  ExpectConnectionCountChangesAreSeenOnTheNextProbe(driver_, gateway_);
}

TEST_F(CheckpointStandinLocalTest, UpgradeModeAccelerationAndPolicySteps) {
  ExpectUpgradeModeAccelerationAndPolicySteps(driver_, gateway_);
}

TEST_F(CheckpointStandinLocalTest, FailuresAreReportedNotHidden) {
  ExpectFailuresAreReportedNotHidden(driver_, gateway_);
}

}  // namespace
}  // namespace cutover::testing
