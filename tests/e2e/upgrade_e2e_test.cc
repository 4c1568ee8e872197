// The active/standby upgrade of the lab's BGP pair, end to end, as an operator runs it:
// lab/run-upgrade.sh brings up the lab, live sessions, Prometheus, Alertmanager, the
// exporter and cutover-actions, runs examples/plans/bgp-pair-upgrade.yml and writes
// summary.json. Each test reads that summary the way the operator reads the printed
// one: what happened to the run, to every step and to every session.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
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

TEST_F(UpgradeEndToEndTest, TheWholeUpgradeKeepsEveryLiveSession) {
  UpgradeRun run = Run({"--soak", "10s", "--timeout", "3m"}, 1000, 20);
  ASSERT_TRUE(run.summary.IsObject()) << run.Explain();

  EXPECT_STREQ(run.summary["run_state"].GetString(), "completed") << run.Explain();
  EXPECT_EQ(run.process.exit_status, 0) << run.Explain();
  for (const auto& step : run.summary["steps"].GetArray()) {
    EXPECT_STREQ(step["state"].GetString(), "done") << step["name"].GetString();
    EXPECT_TRUE(step["duration_seconds"].IsNumber()) << step["name"].GetString();
  }
  EXPECT_EQ(run.summary["steps"].Size(), 8u);
  EXPECT_EQ(run.summary["sessions_broken"].GetUint64(), 0u) << run.Explain();
  EXPECT_EQ(run.summary["connects_failed"].GetUint64(), 0u) << run.Explain();
  EXPECT_EQ(run.summary["sessions_kept"].GetUint64(), 1000u);
  EXPECT_GT(run.summary["connects_ok"].GetUint64(), 0u);
  ExpectMovedOnlyAfterSyncHeld(run.summary, "move-active-to-fw2", "fw2-parity");
  ExpectMovedOnlyAfterSyncHeld(run.summary, "move-active-to-fw1", "fw1-parity");

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
  EXPECT_THAT(timeline, HasSubstr("move-active-to-fw2"));
  EXPECT_THAT(LabNamespaces(), IsEmpty()) << "the script left the lab up";
}

TEST_F(UpgradeEndToEndTest, AnUnhealthyNewVersionDuringTheSoakRollsTheRoleBackStatefully) {
  UpgradeRun run =
      Run({"--soak", "2m", "--timeout", "3m", "--exec-during-soak",
           "amtool alert add CutoverNewVersionUnhealthy ha_cluster=lab-fw severity=critical "
           "signal=e2e-test --alertmanager.url=\"$ALERTMANAGER_URL\""});
  ASSERT_TRUE(run.summary.IsObject()) << run.Explain();

  EXPECT_STREQ(run.summary["run_state"].GetString(), "rolled_back") << run.Explain();
  EXPECT_THAT(run.summary["run_reason"].GetString(), HasSubstr("CutoverNewVersionUnhealthy"))
      << run.Explain();
  EXPECT_EQ(StepState(run.summary, "move-active-to-fw1"), "compensated");
  EXPECT_EQ(StepState(run.summary, "upgrade-fw1"), "compensated");
  EXPECT_EQ(StepState(run.summary, "move-active-to-fw2"), "compensated");
  EXPECT_EQ(StepState(run.summary, "upgrade-fw2"), "pending");
  EXPECT_EQ(run.summary["sessions_broken"].GetUint64(), 0u) << run.Explain();
  EXPECT_EQ(run.summary["connects_failed"].GetUint64(), 0u) << run.Explain();
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
  EXPECT_THAT(run.summary["waiting_for"].GetString(), HasSubstr("preflight-resync-fw2"));
  EXPECT_THAT(run.summary["waiting_for"].GetString(), HasSubstr("sync-ok"));
  EXPECT_EQ(StepState(run.summary, "move-active-to-fw2"), "pending");
  EXPECT_EQ(run.summary["sessions_broken"].GetUint64(), 0u) << run.Explain();
  EXPECT_EQ(run.summary["connects_failed"].GetUint64(), 0u) << run.Explain();
  EXPECT_THAT(LabNamespaces(), IsEmpty()) << "the script left the lab up";
}

}  // namespace
}  // namespace cutover
