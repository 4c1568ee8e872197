// The figures of a lab upgrade run, as the end-to-end tests and the operator read them:
// which step a broken session or a failed connect is counted against, what the product's
// invalid-state drop counter says per step, and what the osu cutover cut. Runs are written
// out step by step, times in seconds after 2024-05-01T12:00:00Z.
#include "lab/summary/upgrade_summary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace cutover::lab_summary {
namespace {

constexpr double kT0 = 1714564800;  // 2024-05-01T12:00:00Z

StepRecord Step(const std::string& name, std::optional<double> triggered,
                std::optional<double> finished, const std::string& state = "done") {
  StepRecord step;
  step.name = name;
  step.state = state;
  step.triggered_by = "auto";
  if (triggered) step.triggered_at = kT0 + *triggered;
  if (finished) step.finished_at = kT0 + *finished;
  return step;
}

TrafficEvent Event(TrafficEventKind kind, double at, const std::string& session,
                   bool long_session = true) {
  return {kind, "t+" + std::to_string(at), kT0 + at, session, long_session, "connection reset"};
}

TrafficEvent Broken(double at, const std::string& session, bool long_session = true) {
  return Event(TrafficEventKind::kBroken, at, session, long_session);
}

// The pair's role move, as bgp-pair-upgrade.yml does it: each step starts when the one
// before it finishes, then the soak; the upgrade of fw2 is still to come.
SummaryInputs PairUpgrade() {
  SummaryInputs inputs;
  inputs.run.id = "bgp-pair-upgrade-20240501T120000Z";
  inputs.run.plan = "bgp-pair-upgrade";
  inputs.run.state = "running";
  inputs.run.started_at = kT0;
  inputs.run.steps = {Step("preflight-resync-fw2", 0, 4),
                      Step("commit-fw2", 4, 5.3),
                      Step("prefer-fw2", 5.3, 6.2),
                      Step("demote-fw1", 6.2, 6.7),
                      Step("soak", 6.7, 36.7),
                      Step("upgrade-fw1", 36.7, 45.5),
                      Step("upgrade-fw2", std::nullopt, std::nullopt, "pending")};
  inputs.traffic.sessions_target = 1000;
  inputs.traffic.sessions_open = 1000;
  return inputs;
}

SummaryOptions PairOptions() { return {"bgp-pair", "completed", 0, 5}; }

const StepSummary& StepOf(const UpgradeSummary& summary, const std::string& name) {
  for (const StepSummary& step : summary.steps)
    if (step.name == name) return step;
  ADD_FAILURE() << "no step " << name;
  return summary.steps.front();
}

TEST(StepFigures, ASessionBrokenWhileFw2TakesTheRoleIsCountedAgainstThatMove) {
  SummaryInputs inputs = PairUpgrade();
  inputs.traffic.events = {Broken(5.8, "s17")};
  UpgradeSummary summary = SummarizeUpgrade(inputs, PairOptions());

  EXPECT_EQ(StepOf(summary, "prefer-fw2").sessions_broken_during, 1u);
  for (const char* other : {"preflight-resync-fw2", "commit-fw2", "demote-fw1", "soak"})
    EXPECT_EQ(StepOf(summary, other).sessions_broken_during, 0u)
        << other << " did not break it: the session broke while prefer-fw2 moved the role";
  ASSERT_EQ(summary.broken_sessions_by_step.size(), 1u);
  const BrokenSession& broken = summary.broken_sessions_by_step[0];
  EXPECT_EQ(broken.step, "prefer-fw2");
  EXPECT_EQ(broken.session, "s17");
  EXPECT_NEAR(*broken.seconds_into_step, 0.5, 1e-6);
}

TEST(StepFigures, ASessionReportedWithinTheGraceAfterTheLastStepStillCountsForIt) {
  SummaryInputs inputs = PairUpgrade();
  // upgrade-fw1 finished at 45.5 and nothing came after it: the cut sessions are reported
  // when their next echo fails, up to 5 s later; one reported later is no step's doing.
  inputs.traffic.events = {Broken(49.0, "s3"), Broken(50.4, "s4"), Broken(51.0, "s5")};
  UpgradeSummary summary = SummarizeUpgrade(inputs, PairOptions());

  EXPECT_EQ(StepOf(summary, "upgrade-fw1").sessions_broken_during, 2u);
  ASSERT_EQ(summary.broken_sessions_by_step.size(), 3u);
  EXPECT_EQ(summary.broken_sessions_by_step[2].step, "upgrade-fw1")
      << "every broken session is placed under the step current at its time";
  EXPECT_NEAR(*summary.broken_sessions_by_step[2].seconds_into_step, 51.0 - 36.7, 1e-6);
}

TEST(StepFigures, ACutReportedAfterTheNextStepBeganCountsForTheNextStepOnce) {
  SummaryInputs inputs = PairUpgrade();
  // demote-fw1 ends at 6.7 and the soak starts at once; a session it cut is reported at 8.
  inputs.traffic.events = {Broken(8.0, "s9")};
  UpgradeSummary summary = SummarizeUpgrade(inputs, PairOptions());

  EXPECT_EQ(StepOf(summary, "demote-fw1").sessions_broken_during, 0u);
  EXPECT_EQ(StepOf(summary, "soak").sessions_broken_during, 1u);
  EXPECT_NEAR(*summary.broken_sessions_by_step[0].seconds_into_step, 8.0 - 6.7, 1e-6)
      << "how far into the soak it broke tells the reader it came just after the move";
}

TEST(StepFigures, WhatBreaksWhileTheRunWaitsForATriggerIsNoStepsDoing) {
  SummaryInputs inputs = PairUpgrade();
  // The upgrade of fw2 waits for an alert that comes at 120 s.
  inputs.run.steps.back() = Step("upgrade-fw2", 120, 130);
  inputs.traffic.events = {Broken(80, "s1"), Broken(121, "s2")};
  UpgradeSummary summary = SummarizeUpgrade(inputs, PairOptions());

  EXPECT_EQ(StepOf(summary, "upgrade-fw1").sessions_broken_during, 0u);
  EXPECT_EQ(StepOf(summary, "upgrade-fw2").sessions_broken_during, 1u);
  EXPECT_EQ(summary.broken_sessions_by_step[0].step, "upgrade-fw1")
      << "the last step triggered before it, even past its grace";
}

TEST(StepFigures, ShortSessionsCountAndBeforeTheRunIsNamed) {
  SummaryInputs inputs = PairUpgrade();
  inputs.traffic.events = {Broken(-3, "s1"), Broken(2, "s2001", false)};
  UpgradeSummary summary = SummarizeUpgrade(inputs, PairOptions());

  EXPECT_EQ(StepOf(summary, "preflight-resync-fw2").sessions_broken_during, 1u);
  ASSERT_EQ(summary.broken_sessions_by_step.size(), 2u);
  EXPECT_EQ(summary.broken_sessions_by_step[0].step, kBeforeTheRun);
  EXPECT_FALSE(summary.broken_sessions_by_step[0].seconds_into_step);
  EXPECT_FALSE(summary.broken_sessions_by_step[1].long_session);
}

TEST(StepFigures, FailedConnectsAreCountedLikeBrokenSessionsButListedOnlyAsCounts) {
  SummaryInputs inputs = PairUpgrade();
  inputs.traffic.events = {Event(TrafficEventKind::kConnectFailed, 6.5, "s2001", false),
                           Event(TrafficEventKind::kConnectFailed, 6.6, "s2002", false),
                           Event(TrafficEventKind::kStalled, 6.6, "s4")};
  UpgradeSummary summary = SummarizeUpgrade(inputs, PairOptions());

  EXPECT_EQ(StepOf(summary, "demote-fw1").connects_failed_during, 2u);
  EXPECT_EQ(StepOf(summary, "demote-fw1").sessions_broken_during, 0u) << "a stall is not a break";
  EXPECT_TRUE(summary.broken_sessions_by_step.empty());
}

TEST(StepFigures, AStepNeverTriggeredHasNoFiguresAndOneUnderWayCountsToTheEnd) {
  SummaryInputs inputs = PairUpgrade();
  inputs.run.steps[5] = Step("upgrade-fw1", 36.7, std::nullopt, "performing");
  inputs.traffic.events = {Broken(300, "s1")};
  UpgradeSummary summary = SummarizeUpgrade(inputs, PairOptions());

  const StepSummary& pending = StepOf(summary, "upgrade-fw2");
  EXPECT_FALSE(pending.sessions_broken_during);
  EXPECT_FALSE(pending.connects_failed_during);
  EXPECT_FALSE(pending.duration_seconds);
  EXPECT_EQ(StepOf(summary, "upgrade-fw1").sessions_broken_during, 1u);
}

TEST(StepFigures, WaitIsUntilTheActionWasSeenAndTotalUntilTheFinish) {
  SummaryInputs inputs = PairUpgrade();
  inputs.action_seen = {{"soak", kT0 + 7.8}};
  UpgradeSummary summary = SummarizeUpgrade(inputs, PairOptions());

  const StepSummary& soak = StepOf(summary, "soak");
  EXPECT_DOUBLE_EQ(*soak.action_seen_at, kT0 + 7.8);
  EXPECT_NEAR(*soak.wait_seconds, 1.1, 1e-6);
  EXPECT_NEAR(*soak.duration_seconds, 30, 1e-6);
  EXPECT_FALSE(StepOf(summary, "prefer-fw2").wait_seconds) << "its action was never seen";
}

TEST(RunFigures, WaitingForNamesTheFirstStepStillUnderWay) {
  SummaryInputs inputs = PairUpgrade();
  inputs.run.steps[0].state = "compensated";
  inputs.run.steps[4] = Step("soak", 6.7, std::nullopt, "verifying");
  inputs.run.steps[4].waiting_for = "gate parity: 0.2, needs >= 0.95";
  UpgradeSummary summary = SummarizeUpgrade(inputs, {"bgp-pair", "timeout", 0, 5});

  EXPECT_EQ(summary.waiting_for, "soak: gate parity: 0.2, needs >= 0.95");
  EXPECT_EQ(summary.run_state, "timeout") << "the script's word for a run it stopped watching";
  EXPECT_EQ(SummarizeUpgrade(PairUpgrade(), PairOptions()).waiting_for, "");
}

TEST(RunFigures, TheTrafficCountsAreTheReportsOwn) {
  SummaryInputs inputs = PairUpgrade();
  inputs.traffic = {1000, 998, 2, 1, 2400, 3, {}};
  UpgradeSummary summary = SummarizeUpgrade(inputs, PairOptions());
  EXPECT_EQ(summary.sessions_target, 1000u);
  EXPECT_EQ(summary.sessions_kept, 998u);
  EXPECT_EQ(summary.sessions_broken, 2u);
  EXPECT_EQ(summary.sessions_stalled, 1u);
  EXPECT_EQ(summary.connects_ok, 2400u);
  EXPECT_EQ(summary.connects_failed, 3u);
  EXPECT_FALSE(summary.cutover) << "only osu has a cutover";
}

CounterSeries Counter(const std::string& member, std::vector<std::pair<double, double>> points) {
  CounterSeries series{member, {}};
  for (auto [at, value] : points) series.samples.push_back({kT0 + at, value});
  return series;
}

TEST(InvalidDrops, ACounterResetDuringAnUpgradeCountsAsIncrease) {
  // fw1's counter: 10 drops before the upgrade, 4 more while it goes down, then the new
  // version starts from 0 and drops 3.
  std::vector<CounterSample> fw1 =
      Counter("fw1", {{36, 10}, {37, 10}, {38, 14}, {40, 1}, {41, 3}, {47, 3}}).samples;
  EXPECT_DOUBLE_EQ(CounterIncrease(fw1, kT0 + 36.7, kT0 + 45.5 + 5), 4 + 3);
  EXPECT_DOUBLE_EQ(CounterIncrease(fw1, kT0 + 40.5, kT0 + 50), 2) << "from its value at 40.5";
  EXPECT_DOUBLE_EQ(CounterIncrease(fw1, kT0 + 100, kT0 + 200), 0) << "no sample after: nothing";
  EXPECT_DOUBLE_EQ(CounterIncrease({{kT0 + 39, 5}, {kT0 + 41, 6}}, kT0 + 30, kT0 + 50), 1)
      << "a series that starts inside the window counts from its first sample";
}

TEST(InvalidDrops, EachStepGetsTheIncreaseSummedOverMembers) {
  SummaryInputs inputs = PairUpgrade();
  inputs.invalid_drops = std::vector<CounterSeries>{
      Counter("fw1", {{-5, 0}, {5, 0}, {6, 2}, {7, 2}, {40, 2}, {41, 1}, {60, 1}}),
      Counter("fw2", {{-5, 7}, {5, 7}, {6, 8}, {7, 8}, {60, 8}})};
  UpgradeSummary summary = SummarizeUpgrade(inputs, PairOptions());

  EXPECT_EQ(StepOf(summary, "prefer-fw2").invalid_drops_during, 3) << "2 on fw1, 1 on fw2";
  EXPECT_EQ(StepOf(summary, "upgrade-fw1").invalid_drops_during, 1) << "fw1 restarted at 1";
  EXPECT_EQ(StepOf(summary, "soak").invalid_drops_during, 0);
  EXPECT_FALSE(StepOf(summary, "upgrade-fw2").invalid_drops_during) << "never triggered";
  EXPECT_EQ(summary.invalid_drops_total, 4);
}

TEST(InvalidDrops, TheFiguresAreNullUntilTheDriverExportsTheCounter) {
  SummaryInputs not_fetched = PairUpgrade();
  UpgradeSummary summary = SummarizeUpgrade(not_fetched, PairOptions());
  EXPECT_FALSE(summary.invalid_drops_total);
  EXPECT_FALSE(StepOf(summary, "prefer-fw2").invalid_drops_during);

  SummaryInputs no_series = PairUpgrade();
  no_series.invalid_drops = std::vector<CounterSeries>{};
  summary = SummarizeUpgrade(no_series, PairOptions());
  EXPECT_FALSE(summary.invalid_drops_total) << "no series is no figure, not 0 drops";
  EXPECT_FALSE(StepOf(summary, "prefer-fw2").invalid_drops_during);
}

TEST(InvalidDrops, ARealCounterWithAResetOverTheUpgradeOfFw1) {
  // The captured run (fixtures/bgp-pair-rolled-back): conntrackd's received messages per
  // member, which restart when fw1 is upgraded, standing in for the drop counter.
  const std::string dir =
      std::string(CUTOVER_SOURCE_DIR) + "/tests/lab/summary/fixtures/bgp-pair-rolled-back/";
  SummaryInputs inputs;
  inputs.run = ParseRunStatus(testing::ReadFile(dir + "status.json"), "status.json").value();
  inputs.invalid_drops =
      ParseCounterRange(testing::ReadFile(dir + "member-counter-range.json"), "c.json").value();
  UpgradeSummary summary = SummarizeUpgrade(inputs, {"bgp-pair", "rolled_back", 0, 5});

  // upgrade-fw1 ran 466.473-475.288 (then resync-fw1 began): fw1 355 -> 584 -> 697, and its
  // next value, 192 at 476, is after the window; fw2 2552 -> 2559.
  EXPECT_EQ(StepOf(summary, "upgrade-fw1").invalid_drops_during, (697 - 355) + (2559 - 2552));
  // resync-fw1 (475.288-479.824) saw the restart: fw1 697 -> 192 counts 192, then 292;
  // fw2 2559 -> 2572.
  EXPECT_EQ(StepOf(summary, "resync-fw1").invalid_drops_during, 192 + 100 + (2572 - 2559));
}

SummaryInputs OptimalServiceUpgrade(double left_with_minus_threshold) {
  SummaryInputs inputs;
  inputs.run.id = "optimal-service-upgrade-20240501T120000Z";
  inputs.run.plan = "optimal-service-upgrade";
  inputs.run.started_at = kT0;
  StepRecord cutover = Step(kCutoverStep, 100, 101);
  cutover.triggered_by = "alert CutoverDrainComplete";
  cutover.gates = {{"drained", "fw1", "Successful", left_with_minus_threshold, "<= 0", kT0 + 99}};
  inputs.run.steps = {Step("new-takes-new-connections", 30, 31), cutover,
                      Step(kDisconnectOldStep, 101, 102.5), Step("connect-other-new", 102.5, 104)};
  inputs.action_seen = {{kDisconnectOldStep, kT0 + 101.4}};
  return inputs;
}

TEST(OsuCutover, TheOldMemberLeftWithTheDrainedGatesValuePlusTheThreshold) {
  UpgradeSummary summary = SummarizeUpgrade(OptimalServiceUpgrade(-4), {"osu", "completed", 30});
  ASSERT_TRUE(summary.cutover);
  EXPECT_EQ(summary.cutover->drain_threshold, 30u);
  EXPECT_EQ(summary.cutover->old_member_connections, 26) << "the gate reads connections - 30";
  EXPECT_DOUBLE_EQ(*summary.cutover->disconnected_at, kT0 + 101.4);
  EXPECT_EQ(summary.cutover->sessions_broken_before, 0u);
}

TEST(OsuCutover, SessionsBrokenBeforeTheDisconnectAreCountedToTheSecond) {
  SummaryInputs inputs = OptimalServiceUpgrade(0);
  inputs.traffic.events = {Broken(99.9, "s1"), Broken(101.2, "s2"), Broken(107, "s3")};
  UpgradeSummary summary = SummarizeUpgrade(inputs, {"osu", "completed", 0});

  EXPECT_EQ(summary.cutover->sessions_broken_before, 1u)
      << "s2 broke in the disconnect's own second (101): the disconnect's, as always counted";
  EXPECT_EQ(StepOf(summary, kDisconnectOldStep).sessions_broken_during, 1u);
  EXPECT_EQ(StepOf(summary, "connect-other-new").sessions_broken_during, 1u);
}

TEST(OsuCutover, ADeadlineCutoverKeepsItsNoteAndAnUnmeasuredGateLeavesTheFigureOpen) {
  SummaryInputs inputs = OptimalServiceUpgrade(0);
  inputs.run.steps[1].note = "proceeding (policy proceed) although gate drained failed";
  inputs.run.steps[1].gates[0].value.reset();
  inputs.action_seen.clear();
  UpgradeSummary summary = SummarizeUpgrade(inputs, {"osu", "completed", 0});

  EXPECT_EQ(summary.cutover->note, "proceeding (policy proceed) although gate drained failed");
  EXPECT_FALSE(summary.cutover->old_member_connections) << "not the threshold: unknown";
  EXPECT_FALSE(summary.cutover->disconnected_at);
  EXPECT_FALSE(summary.cutover->sessions_broken_before) << "the disconnect was never seen";
}

TEST(OsuCutover, APairRunOrAPlanWithoutTheCutoverStepHasNoCutover) {
  EXPECT_FALSE(SummarizeUpgrade(OptimalServiceUpgrade(0), {"bgp-pair", "completed", 0}).cutover);
  SummaryInputs no_step = OptimalServiceUpgrade(0);
  no_step.run.steps.erase(no_step.run.steps.begin() + 1);
  EXPECT_FALSE(SummarizeUpgrade(no_step, {"osu", "completed", 0}).cutover);
}

}  // namespace
}  // namespace cutover::lab_summary
