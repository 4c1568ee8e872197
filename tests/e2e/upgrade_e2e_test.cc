// The active/standby upgrade of the lab's pair, end to end, as an operator runs it:
// lab/run-upgrade.sh brings up the lab, live sessions, Prometheus, Alertmanager, the
// exporter and cutover-actions, runs the shipped plan with the lab's parameters only
// (examples/plans/bgp-pair-upgrade.yml, vrrp-pair-upgrade.yml) and writes summary.json. Each test
// reads that summary the way the operator reads the printed one: what happened to the run, to every
// step and to every session. The figures come from lab/summary (tested C++): the witness's sessions
// beside what the product measured.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/e2e/upgrade_run.h"

namespace cutover {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

using testing::DashboardQueriesWithoutData;
using testing::LabNamespaces;
using testing::ReadTextFile;
using testing::StepGate;
using testing::StepState;
using testing::UpgradeRun;

class UpgradeEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A lab someone brought up makes run-upgrade.sh's lab.sh up fail and say so; one
    // abandoned by a killed run gives way (lab.sh up --owner).
    ASSERT_EQ(geteuid(), 0u) << "the lab creates network namespaces: run the test as root";
  }

  // The rollback and broken-sync cases use smaller figures (300 long sessions, 10 new
  // sessions a second); the full upgrade runs with the README's defaults.
  UpgradeRun Run(const std::vector<std::string>& args, int sessions = 300, int rate = 10) {
    return testing::RunUpgrade(dir_, args, sessions, rate, 280s);
  }

  // A role move acts only on sync gates that held, measured before its action began.
  static void ExpectMovedOnlyAfterSyncHeld(const rapidjson::Document& summary,
                                           const std::string& step, const std::string& parity) {
    double seen = testing::ActionSeenAt(summary, step);
    ASSERT_GT(seen, 0) << step << ": its action was never seen";
    for (const std::string& gate : {std::string("sync-ok"), parity}) {
      const rapidjson::Value* g = StepGate(summary, step, gate);
      ASSERT_NE(g, nullptr) << step << " has no gate " << gate;
      EXPECT_STREQ((*g)["phase"].GetString(), "Successful") << step << " " << gate;
      EXPECT_LE((*g)["measured_at"].GetDouble(), seen) << step << " " << gate;
    }
    const rapidjson::Value* p = StepGate(summary, step, parity);
    ASSERT_TRUE(p && p->HasMember("value"));
    EXPECT_GE((*p)["value"].GetDouble(), 0.0) << "parity minus the threshold";
  }

  testing::TempDir dir_;
};

// The shipped plan, run with the lab's parameters only, on the pair as each selection
// steers it: BGP by the routers' local preference, BGP by AS-path prepending of the
// members' announcements, BGP with the primary taken out by forcing its interfaces down
// (BFD tells the routers), VRRP.
struct PairSelection {
  const char* name;
  std::vector<std::string> args;
  std::size_t steps;
};

class WholeUpgradeTest : public UpgradeEndToEndTest,
                         public ::testing::WithParamInterface<PairSelection> {};

TEST_P(WholeUpgradeTest, TheWholeUpgradeKeepsEveryLiveSession) {
  std::vector<std::string> args = GetParam().args;
  args.insert(args.end(), {"--soak", "10s", "--timeout", "4m"});
  UpgradeRun run = Run(args, 1000, 20);
  ASSERT_TRUE(run.summary.IsObject()) << run.Explain();

  EXPECT_STREQ(run.summary["run_state"].GetString(), "completed") << run.Explain();
  EXPECT_EQ(run.process.exit_status, 0) << run.Explain();
  for (const auto& step : run.summary["steps"].GetArray()) {
    EXPECT_STREQ(step["state"].GetString(), "done") << step["name"].GetString();
    EXPECT_TRUE(step["duration_seconds"].IsNumber()) << step["name"].GetString();
  }
  EXPECT_EQ(run.summary["steps"].Size(), GetParam().steps);
  // The witness: every long session kept, no new one refused.
  EXPECT_EQ(run.summary["sessions_broken"].GetUint64(), 0u) << run.Explain();
  EXPECT_EQ(run.summary["connects_failed"].GetUint64(), 0u) << run.Explain();
  EXPECT_EQ(run.summary["sessions_kept"].GetUint64(), 1000u);
  EXPECT_GT(run.summary["connects_ok"].GetUint64(), 0u);
  // The product agrees: the members dropped only the few packets of sessions opened just
  // before a move, retransmitted once committed, well below the rules' threshold (100
  // in 5 minutes, :cutover_invalid_state_drops:threshold); a move without the state
  // drops thousands (AForcedMoveWithoutStateSyncIsCaughtByTheInvalidDropGate).
  ASSERT_TRUE(run.summary["invalid_drops_total"].IsNumber()) << run.Explain();
  const double drops = run.summary["invalid_drops_total"].GetDouble();
  std::cout << GetParam().name << ": the product counted " << drops
            << " invalid-state drops over the run\n";
  EXPECT_LT(drops, 100.0) << run.Explain();

  const std::string to_secondary =
      std::string(GetParam().name) == "vrrp" ? "raise-secondary" : "commit-on-secondary";
  const std::string to_primary =
      std::string(GetParam().name) == "vrrp" ? "lower-secondary" : "commit-on-primary";
  ExpectMovedOnlyAfterSyncHeld(run.summary, to_secondary, "secondary-parity");
  ExpectMovedOnlyAfterSyncHeld(run.summary, to_primary, "primary-parity");
  // The old-version standby was upgraded only once an operator approved it.
  for (const auto& step : run.summary["steps"].GetArray()) {
    if (std::string(step["name"].GetString()) == "upgrade-secondary") {
      EXPECT_THAT(step["triggered_by"].GetString(), HasSubstr("approved by"));
    }
  }

  // What an operator follows on Grafana had data all along: every panel target, variable
  // and step annotation of dashboards/ returned series over the run. Not expected here:
  // the drain estimate (only a draining member has one) and the alert annotation (it reads
  // Prometheus' ALERTS, and no alert fires in Prometheus during a clean upgrade).
  EXPECT_THAT(DashboardQueriesWithoutData(run, {"Drain estimate", "annotation \"Cutover alerts\""}),
              IsEmpty());
  EXPECT_THAT(ReadTextFile(run.work_dir + "/dashboard-data.tsv"), HasSubstr("panel 1 "));

  std::string timeline = ReadTextFile(run.work_dir + "/timeline.svg");
  EXPECT_THAT(timeline, HasSubstr("<svg"));
  EXPECT_THAT(timeline, HasSubstr(">fw1</text>"));
  EXPECT_THAT(timeline, HasSubstr(">fw2</text>"));
  EXPECT_THAT(timeline, HasSubstr(to_secondary));
  EXPECT_THAT(LabNamespaces(), IsEmpty()) << "the script left the lab up";
}

INSTANTIATE_TEST_SUITE_P(
    Pairs, WholeUpgradeTest,
    ::testing::Values(PairSelection{"bgp_local_preference", {}, 22},
                      PairSelection{"bgp_as_path_prepend", {"--steering", "as-path-prepend"}, 22},
                      PairSelection{"bgp_interface_down", {"--primary-move", "interfaces"}, 24},
                      PairSelection{"vrrp", {"--scenario", "vrrp-pair"}, 12}),
    [](const ::testing::TestParamInfo<PairSelection>& selection) {
      return std::string(selection.param.name);
    });

TEST_F(UpgradeEndToEndTest, AnUnhealthyNewVersionDuringTheSoakMovesTheTrafficToTheOldVersion) {
  UpgradeRun run =
      Run({"--soak", "2m", "--timeout", "3m", "--exec-during-soak",
           "amtool alert add CutoverNewVersionUnhealthy ha_cluster=lab-fw severity=critical "
           "signal=e2e-test --alertmanager.url=\"$ALERTMANAGER_URL\""});
  ASSERT_TRUE(run.summary.IsObject()) << run.Explain();

  EXPECT_STREQ(run.summary["run_state"].GetString(), "rolled_back") << run.Explain();
  EXPECT_THAT(run.summary["run_reason"].GetString(), HasSubstr("CutoverNewVersionUnhealthy"))
      << run.Explain();
  // The runbook's rollback: the instant stateful switch back to the standby that still
  // runs the old version. The upgraded primary is not downgraded, and the reason says so.
  EXPECT_THAT(run.summary["run_reason"].GetString(),
              HasSubstr("fw1 is not downgraded (it may already run 2.0.0)"));
  EXPECT_EQ(StepState(run.summary, "commit-on-primary"), "compensated");
  EXPECT_EQ(StepState(run.summary, "upgrade-primary"), "done");
  EXPECT_EQ(StepState(run.summary, "commit-on-secondary"), "done");
  EXPECT_EQ(StepState(run.summary, "upgrade-secondary"), "pending");
  EXPECT_EQ(run.summary["sessions_broken"].GetUint64(), 0u) << run.Explain();
  EXPECT_EQ(run.summary["connects_failed"].GetUint64(), 0u) << run.Explain();
  EXPECT_LT(run.summary["invalid_drops_total"].GetDouble(), 100.0) << run.Explain();
  EXPECT_THAT(LabNamespaces(), IsEmpty()) << "the script left the lab up";
}

TEST_F(UpgradeEndToEndTest, BrokenSyncOnTheStandbyKeepsTheRoleWhereItIs) {
  // Stop fw2's conntrackd, then wait until Prometheus has seen it: the plan's gates read
  // Prometheus, and a run started on the last scrape before the stop would see sync ok.
  UpgradeRun run = Run({"--soak", "10s", "--timeout", "40s", "--exec-before-run",
                        "ip netns exec \"$LAB_FW2_NS\" conntrackd -C "
                        "\"$LAB_FW2_DIR/conntrackd.conf\" -k; "
                        "for i in $(seq 60); do "
                        "v=$(curl -s \"$PROMETHEUS_URL/api/v1/query\" --data-urlencode "
                        "'query=cutover_member_sync_ok{member=\"fw2\"}' | "
                        "jq -r '.data.result[0].value[1] // empty'); "
                        "[ \"$v\" = 0 ] && break; sleep 0.5; done"});
  ASSERT_TRUE(run.summary.IsObject()) << run.Explain();

  EXPECT_STREQ(run.summary["run_state"].GetString(), "timeout") << run.Explain();
  EXPECT_THAT(run.summary["waiting_for"].GetString(), HasSubstr("preflight-resync-secondary"));
  EXPECT_THAT(run.summary["waiting_for"].GetString(), HasSubstr("sync-ok"));
  EXPECT_EQ(StepState(run.summary, "commit-on-secondary"), "pending");
  EXPECT_EQ(run.summary["sessions_broken"].GetUint64(), 0u) << run.Explain();
  EXPECT_EQ(run.summary["connects_failed"].GetUint64(), 0u) << run.Explain();
  EXPECT_THAT(LabNamespaces(), IsEmpty()) << "the script left the lab up";
}

// The control experiment through the product: the role is forced to fw2 while its state
// sync is down (tests/e2e/plans/forced-move-without-sync.yml: no sync gate, no commit).
// The product's own invalid-state drop gate fails and the move is rolled back. The
// witness agrees: the sessions whose packets fw2 dropped stalled (no echo for 3 s) or
// broke, and each of them lost packets to that drop, so the product counted at least
// as many drops as the witness saw sessions hurt. (The rollback comes within seconds,
// so most long sessions recover by retransmission and count as stalled, not broken.)
TEST_F(UpgradeEndToEndTest, AForcedMoveWithoutStateSyncIsCaughtByTheInvalidDropGate) {
  UpgradeRun run =
      Run({"--timeout", "2m", "--plan",
           std::string(CUTOVER_SOURCE_DIR) + "/tests/e2e/plans/forced-move-without-sync.yml",
           "--exec-before-run",
           "ip netns exec \"$LAB_FW2_NS\" conntrackd -C "
           "\"$LAB_FW2_DIR/conntrackd.conf\" -k"});
  ASSERT_TRUE(run.summary.IsObject()) << run.Explain();

  EXPECT_STREQ(run.summary["run_state"].GetString(), "rolled_back") << run.Explain();
  EXPECT_THAT(run.summary["run_reason"].GetString(), HasSubstr("no-invalid-state-drops"))
      << run.Explain();
  EXPECT_EQ(StepState(run.summary, "prefer-secondary"), "compensated");
  const std::uint64_t broken = run.summary["sessions_broken"].GetUint64();
  const std::uint64_t stalled = run.summary["sessions_stalled"].GetUint64();
  ASSERT_TRUE(run.summary["invalid_drops_total"].IsNumber()) << run.Explain();
  const double drops = run.summary["invalid_drops_total"].GetDouble();
  std::cout << "forced move without sync: the product counted " << drops
            << " invalid-state drops; the witness saw " << stalled << " sessions stall and "
            << broken << " break\n";
  EXPECT_GT(broken + stalled, 0u)
      << "the witness saw no session hurt: the experiment did not happen";
  EXPECT_GE(drops, static_cast<double>(broken + stalled))
      << "the product counted fewer invalid drops than the witness saw sessions hurt";
  EXPECT_THAT(LabNamespaces(), IsEmpty()) << "the script left the lab up";
}

}  // namespace
}  // namespace cutover
