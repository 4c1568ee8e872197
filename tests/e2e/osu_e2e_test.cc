// Check Point's Optimal Service Upgrade of a 4-member load-sharing cluster, end to end in
// the lab (lab/run-upgrade.sh --scenario osu): fw1 keeps the service while fw2-fw4 are
// upgraded, fw2 takes the new connections while fw1 drains, and the cutover away from
// fw1 happens when Prometheus fires CutoverDrainComplete and Alertmanager delivers it.
// There is no state sync between the versions, so every session still on fw1 at the
// cutover breaks: the drain threshold is the number of sessions the operator accepts to
// cut, and the tests hold the run to it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/e2e/upgrade_run.h"

namespace cutover {
namespace {

using testing::ActionSeenAt;
using testing::DashboardQueriesWithoutData;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::LabNamespaces;
using testing::StepGate;
using testing::StepState;
using testing::UpgradeRun;
using namespace std::chrono_literals;

constexpr const char* kCutover = "cutover-old-upgrade-mode-off";

class OptimalServiceUpgradeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(geteuid(), 0u) << "the lab creates network namespaces: run the test as root";
  }

  // 200 long sessions, 10 new ones a second, through the 4-member cluster.
  UpgradeRun Run(std::vector<std::string> args) {
    args.insert(args.begin(), {"--scenario", "osu", "--timeout", "4m"});
    return testing::RunUpgrade(dir_, args, 200, 10, 330s);
  }

  // The cutover acted on a drained gate measured at or below the threshold before its
  // action began, and the alert had started it (the step waits for no one else).
  static void ExpectCutOverOnlyOnceDrained(const UpgradeRun& run) {
    const rapidjson::Value* drained = StepGate(run.summary, kCutover, "drained");
    ASSERT_NE(drained, nullptr) << run.Explain();
    ASSERT_TRUE(drained->HasMember("value")) << run.Explain();
    EXPECT_LE((*drained)["value"].GetDouble(), 0.0) << "connections minus the threshold";
    EXPECT_STREQ((*drained)["phase"].GetString(), "Successful");
    for (const auto& step : run.summary["steps"].GetArray()) {
      if (std::string(kCutover) == step["name"].GetString()) {
        EXPECT_STREQ(step["triggered_by"].GetString(), "alert CutoverDrainComplete");
      }
    }
    double seen = ActionSeenAt(run.summary, kCutover);
    ASSERT_GT(seen, 0) << "the cutover's action was never seen";
    EXPECT_LE((*drained)["measured_at"].GetDouble(), seen);
  }

  // New connections are steered to an accepting member throughout: none is lost while
  // the routers change their steering (members leaving, coming back, the cutover).
  static void ExpectNewConnectionsAlwaysFoundAMember(const UpgradeRun& run) {
    EXPECT_EQ(run.summary["connects_failed"].GetUint64(), 0u) << run.Explain();
    EXPECT_GT(run.summary["connects_ok"].GetUint64(), 1000u) << run.Explain();
  }

  testing::TempDir dir_;
};

TEST_F(OptimalServiceUpgradeTest, WithThresholdZeroTheCutoverWaitsForAnEmptyOldMember) {
  UpgradeRun run = Run({"--drain-threshold", "0", "--lifetime", "exp:8s"});
  ASSERT_TRUE(run.summary.IsObject()) << run.Explain();

  EXPECT_STREQ(run.summary["run_state"].GetString(), "completed") << run.Explain();
  for (const auto& step : run.summary["steps"].GetArray())
    EXPECT_STREQ(step["state"].GetString(), "done") << step["name"].GetString();
  EXPECT_EQ(run.summary["steps"].Size(), 12u);
  ExpectCutOverOnlyOnceDrained(run);
  EXPECT_EQ(run.summary["cutover"]["old_member_connections"].GetDouble(), 0.0);
  // Nothing breaks: not when fw1 takes over the sessions of fw2-fw4 from the synced
  // state, not at the cutover, which waited for fw1 to carry none.
  EXPECT_EQ(run.summary["sessions_broken"].GetUint64(), 0u) << run.Explain();
  ExpectNewConnectionsAlwaysFoundAMember(run);
  EXPECT_EQ(run.summary["sessions_kept"].GetUint64(), 200u);

  // The pair's dashboards show this cluster too, the drain estimate included; only the
  // standby parity has nothing to show (load sharing has no standby) and no alert fires
  // in Prometheus.
  EXPECT_THAT(DashboardQueriesWithoutData(
                  run, {"Standby parity\" target A", "annotation \"Cutover alerts\""}),
              IsEmpty());
  EXPECT_THAT(testing::ReadTextFile(run.work_dir + "/dashboard-data.tsv"),
              HasSubstr("Drain estimate"));
  EXPECT_THAT(LabNamespaces(), IsEmpty()) << "the script left the lab up";
}

TEST_F(OptimalServiceUpgradeTest, WithThresholdNAtMostNSessionsBreakAllAtTheCutover) {
  constexpr int kThreshold = 30;
  UpgradeRun run = Run({"--drain-threshold", std::to_string(kThreshold), "--lifetime", "exp:30s"});
  ASSERT_TRUE(run.summary.IsObject()) << run.Explain();

  EXPECT_STREQ(run.summary["run_state"].GetString(), "completed") << run.Explain();
  ExpectCutOverOnlyOnceDrained(run);
  const auto& cutover = run.summary["cutover"];
  double left_with = cutover["old_member_connections"].GetDouble();
  EXPECT_LE(left_with, kThreshold);
  std::uint64_t broken = run.summary["sessions_broken"].GetUint64();
  EXPECT_LE(broken, static_cast<std::uint64_t>(left_with))
      << "more sessions broke than the OLD member carried when it left";
  EXPECT_GT(broken, 0u) << "long sessions were still on fw1: cutting them must show";
  EXPECT_EQ(cutover["sessions_broken_before"].GetUint64(), 0u)
      << "every broken session is one the cutover cut";
  ExpectNewConnectionsAlwaysFoundAMember(run);
  EXPECT_THAT(LabNamespaces(), IsEmpty()) << "the script left the lab up";
}

TEST_F(OptimalServiceUpgradeTest, ADrainPastItsDeadlineCutsOverAnywayAndSaysWhatItCuts) {
  // Sessions that live a minute on average cannot drain from fw1 within the cutover's
  // 20 s deadline; the plan's policy `proceed` cuts over anyway. The step says how many
  // connections fw1 still carried, and at most those sessions break, all at the cutover.
  UpgradeRun run = Run({"--drain-threshold", "0", "--lifetime", "exp:60s", "--drain-deadline",
                        "20s", "--drain-policy", "proceed"});
  ASSERT_TRUE(run.summary.IsObject()) << run.Explain();

  EXPECT_STREQ(run.summary["run_state"].GetString(), "completed") << run.Explain();
  const auto& cutover = run.summary["cutover"];
  for (const auto& step : run.summary["steps"].GetArray()) {
    if (std::string(kCutover) == step["name"].GetString()) {
      EXPECT_STREQ(step["triggered_by"].GetString(), "deadline") << run.Explain();
    }
  }
  ASSERT_TRUE(cutover["note"].IsString()) << run.Explain();
  EXPECT_THAT(cutover["note"].GetString(),
              HasSubstr("proceeding (policy proceed) although gate drained"));
  double left_with = cutover["old_member_connections"].GetDouble();
  EXPECT_GT(left_with, 0) << "fw1 drained within the deadline: nothing tested";
  std::uint64_t broken = run.summary["sessions_broken"].GetUint64();
  EXPECT_GT(broken, 0u) << "long sessions were still on fw1: cutting them must show";
  EXPECT_LE(broken, static_cast<std::uint64_t>(left_with))
      << "more sessions broke than the step said it would cut";
  EXPECT_EQ(cutover["sessions_broken_before"].GetUint64(), 0u)
      << "every broken session is one the cutover cut";
  ExpectNewConnectionsAlwaysFoundAMember(run);
  EXPECT_THAT(LabNamespaces(), IsEmpty()) << "the script left the lab up";
}

TEST_F(OptimalServiceUpgradeTest, AConfigurationChangeMidRunPausesItBeforeTheCutover) {
  // While fw1 drains, someone adds a table to its ruleset: its configuration digest
  // changes without an upgrade, CutoverConfigChangedDuringUpgrade fires, and the plan's
  // pause policy stops the run before anything else is performed.
  UpgradeRun run =
      Run({"--drain-threshold", "0", "--lifetime", "exp:60s", "--stop-at-pause", "--exec-at",
           kCutover, "ip netns exec \"$LAB_FW1_NS\" nft add table inet co_change_by_hand"});
  ASSERT_TRUE(run.summary.IsObject()) << run.Explain();

  EXPECT_STREQ(run.summary["run_state"].GetString(), "paused") << run.Explain();
  EXPECT_THAT(run.summary["run_reason"].GetString(),
              HasSubstr("paused by alert CutoverConfigChangedDuringUpgrade for ha_cluster=lab-ls"));
  EXPECT_NE(StepState(run.summary, kCutover), "done");
  EXPECT_EQ(StepState(run.summary, "cutover-disconnect-old"), "pending");
  EXPECT_EQ(StepState(run.summary, "new-takes-new-connections"), "done");
  EXPECT_EQ(run.summary["sessions_broken"].GetUint64(), 0u) << run.Explain();
  EXPECT_THAT(LabNamespaces(), IsEmpty()) << "the script left the lab up";
}

}  // namespace
}  // namespace cutover
