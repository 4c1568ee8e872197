// Runbook scenarios against the stand-in gateway, shared by the test that reaches it
// through a local shell and the one that reaches it over real SSH: the same driver steps
// must give the same results whichever transport carries them.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "common/strings.h"
#include "plugins/core/driver.h"
#include "tests/plugins/checkpoint/checkpoint_fixtures.h"

namespace cutover::testing {

inline ProbeContext ProbeWithin(std::chrono::seconds budget) {
  auto now = std::chrono::steady_clock::now();
  return {now + budget, now};
}

// Position of the first `line` at or after `from` in the invocation log; size() if absent.
inline std::size_t IndexOf(const std::vector<std::string>& lines, const std::string& line,
                           std::size_t from = 0) {
  for (std::size_t i = from; i < lines.size(); ++i)
    if (lines[i] == line) return i;
  return lines.size();
}

inline std::vector<std::string> InvocationsOf(const StandinGateway& gateway,
                                              const std::string& command) {
  std::vector<std::string> matching;
  for (const std::string& line : gateway.Invocations())
    if (StartsWith(line, command + " ") || line == command) matching.push_back(line);
  return matching;
}

inline void ExpectProbeReadsTheStandin(Driver& driver, StandinGateway& gateway) {
  gateway.ClearInvocations();
  MemberStatus s = driver.Probe(ProbeWithin(std::chrono::seconds(20)));
  ASSERT_TRUE(s.up) << s.error;
  EXPECT_EQ(s.role, "active");
  EXPECT_EQ(s.connections, 742);
  EXPECT_EQ(s.version, "R81.10");
  EXPECT_EQ(s.sync.ok, true);
  EXPECT_EQ(s.sync.state, "OK");
  EXPECT_EQ(s.sync.values.at(SyncMetric::kSentMessages), 88412);
  EXPECT_EQ(s.accepting_new_connections, true);
  EXPECT_EQ(s.config_digest, Fnv1aHex(CheckpointFixture("fw_stat.txt")));
  EXPECT_THAT(gateway.Invocations(),
              ::testing::ElementsAre("cphaprob state", "cphaprob syncstat",
                                     "fw tab -t connections -s", "fw ver", "fw stat"))
      << "a gateway with cphaprob syncstat is not asked for fw ctl pstat";
}

inline void ExpectOlderGatewayFallsBackToFwCtlPstat(Driver& driver, StandinGateway& gateway) {
  gateway.RemoveState("cphaprob_syncstat");
  gateway.ClearInvocations();
  MemberStatus s = driver.Probe(ProbeWithin(std::chrono::seconds(20)));
  ASSERT_TRUE(s.up) << s.error;
  EXPECT_EQ(s.sync.ok, true);
  EXPECT_EQ(s.sync.state, "Able to Send/Receive sync packets");
  EXPECT_EQ(s.sync.values.at(SyncMetric::kSentMessages), 1022771);
  std::vector<std::string> calls = gateway.Invocations();
  std::size_t pstat = IndexOf(calls, "fw ctl pstat");
  ASSERT_LT(pstat, calls.size()) << "fw ctl pstat was not run after cphaprob syncstat failed";
  EXPECT_LT(IndexOf(calls, "cphaprob syncstat"), pstat);
}

inline void ExpectDisconnectThenConnectReachTheGatewayInOrder(Driver& driver,
                                                              StandinGateway& gateway) {
  gateway.ClearInvocations();
  ActionResult down = driver.Perform({Action::kDisconnect, {}});
  ASSERT_TRUE(down.ok) << down.error;

  MemberStatus while_down = driver.Probe(ProbeWithin(std::chrono::seconds(20)));
  ASSERT_TRUE(while_down.up) << while_down.error;
  EXPECT_EQ(while_down.role, "down") << "after clusterXL_admin down the member must show DOWN";
  EXPECT_EQ(while_down.accepting_new_connections, false);

  ActionResult up = driver.Perform({Action::kConnect, {}});
  ASSERT_TRUE(up.ok) << up.error;
  MemberStatus back = driver.Probe(ProbeWithin(std::chrono::seconds(20)));
  EXPECT_EQ(back.role, "active");

  EXPECT_THAT(InvocationsOf(gateway, "clusterXL_admin"),
              ::testing::ElementsAre("clusterXL_admin down", "clusterXL_admin up"));
  std::vector<std::string> calls = gateway.Invocations();
  std::size_t down_at = IndexOf(calls, "clusterXL_admin down");
  std::size_t probe_at = IndexOf(calls, "cphaprob state", down_at);
  std::size_t up_at = IndexOf(calls, "clusterXL_admin up");
  EXPECT_LT(down_at, probe_at);
  EXPECT_LT(probe_at, up_at) << "the probe between the two actions saw the DOWN state";
}

inline void ExpectConnectionCountChangesAreSeenOnTheNextProbe(Driver& driver,
                                                              StandinGateway& gateway) {
  for (int count : {742, 120, 3, 0}) {
    gateway.SetConnections(count);
    MemberStatus s = driver.Probe(ProbeWithin(std::chrono::seconds(20)));
    ASSERT_TRUE(s.up) << s.error;
    EXPECT_EQ(s.connections, count) << "the connection table is draining";
  }
}

inline void ExpectUpgradeModeAccelerationAndPolicySteps(Driver& driver, StandinGateway& gateway) {
  gateway.ClearInvocations();
  std::string digest_before = driver.Probe(ProbeWithin(std::chrono::seconds(20))).config_digest;

  ActionResult accel = driver.Perform({Action::kDisableAcceleration, {}});
  EXPECT_TRUE(accel.ok) << accel.error;
  ActionResult cu = driver.Perform({Action::kStartUpgradeMode, {}});
  ASSERT_TRUE(cu.ok) << cu.error;
  EXPECT_THAT(cu.output,
              ::testing::StartsWith("Connectivity upgrade status: Ready for Failover\n"));
  ActionResult policy = driver.Perform({Action::kInstallPolicy, {}});
  EXPECT_TRUE(policy.ok) << policy.error;
  ActionResult stop = driver.Perform({Action::kStopUpgradeMode, {}});
  EXPECT_TRUE(stop.ok) << stop.error;

  std::string digest_after = driver.Probe(ProbeWithin(std::chrono::seconds(20))).config_digest;
  EXPECT_NE(digest_before, digest_after) << "installing a policy must change config_digest";
  std::vector<std::string> steps;
  for (const std::string& line : gateway.Invocations())
    if (line != "cphaprob state" && line != "cphaprob syncstat" && line != "fw ver" &&
        line != "fw stat" && line != "fw tab -t connections -s")
      steps.push_back(line);
  EXPECT_THAT(steps, ::testing::ElementsAre("fwaccel off -a", "cphacu start", "fw fetch local",
                                            "cphacu stop"));
}

inline void ExpectFailuresAreReportedNotHidden(Driver& driver, StandinGateway& gateway) {
  gateway.SetState("exit.clusterXL_admin_down", "3");
  ActionResult down = driver.Perform({Action::kDisconnect, {}});
  EXPECT_FALSE(down.ok);
  EXPECT_THAT(down.error, ::testing::HasSubstr("clusterXL_admin down failed: exit status 3"));
  gateway.RemoveState("exit.clusterXL_admin_down");

  gateway.SetState("cpstopped", "");
  MemberStatus s = driver.Probe(ProbeWithin(std::chrono::seconds(20)));
  EXPECT_FALSE(s.up);
  EXPECT_THAT(s.error,
              ::testing::HasSubstr("cphaprob state exited with status 1: HA module not started."));
  gateway.RemoveState("cpstopped");
}

}  // namespace cutover::testing
