// The decisions about a waiting step, at times the test chooses: no worker, no sleep.
#include "actions/engine/step_decision.h"

#include <gtest/gtest.h>

namespace cutover {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const std::chrono::system_clock::time_point kStart{std::chrono::hours(24 * 20000)};

StepSpec Cutover() {
  StepSpec step;
  step.name = "cutover";
  step.action = {.action = Action::kDisconnect, .cluster = "edge", .members = {"fw1"}};
  step.trigger = {TriggerKind::kAlert, "CutoverDrainComplete"};
  step.deadline = Deadline{minutes(20), DeadlinePolicy::kProceed};
  step.timeout = minutes(5);
  return step;
}

RunStatus TwoStepRun() {
  RunStatus run;
  run.id = "r1";
  run.started_at = kStart;
  run.steps = {{.name = "prepare"}, {.name = "cutover"}};
  run.steps[0].state = StepState::kDone;
  run.steps[0].finished_at = kStart + minutes(3);
  run.current_step = 1;
  return run;
}

TEST(StepDecisionTest, TheCutoverWaitsForTheOldMembersDrainAlertOnly) {
  AlertStates alerts;
  alerts.Set("edge", "CutoverDrainComplete", "fw2", true);
  TriggerDecision waiting = DecideTrigger(Cutover(), "r1", alerts);
  EXPECT_FALSE(waiting.triggered) << "fw2's drain does not cut fw1 over";
  EXPECT_EQ(waiting.waiting_for,
            "waiting for alert CutoverDrainComplete to fire for ha_cluster=edge member fw1");
  alerts.Set("edge", "CutoverDrainComplete", "fw1", true);
  TriggerDecision triggered = DecideTrigger(Cutover(), "r1", alerts);
  EXPECT_TRUE(triggered.triggered);
  EXPECT_EQ(triggered.by, "alert CutoverDrainComplete");
}

TEST(StepDecisionTest, AManualStepSaysHowToApproveIt) {
  StepSpec step = Cutover();
  step.trigger = {TriggerKind::kManual, ""};
  EXPECT_EQ(DecideTrigger(step, "r1", {}).waiting_for,
            "waiting for an operator's approval: cutoverctl approve r1 cutover");
  step.trigger = {TriggerKind::kAuto, ""};
  EXPECT_EQ(DecideTrigger(step, "r1", {}).by, "auto");
}

TEST(StepDecisionTest, TheDeadlineCountsFromWhenTheStepBecameCurrent) {
  RunStatus run = TwoStepRun();
  // The previous step finished 3 minutes into the run: the deadline is at 23 minutes.
  EXPECT_FALSE(DeadlinePassed(Cutover(), run, 1, kStart + minutes(22) + seconds(59)));
  EXPECT_EQ(DeadlinePassed(Cutover(), run, 1, kStart + minutes(23)),
            "deadline of 20m for step cutover passed");
  StepSpec without = Cutover();
  without.deadline.reset();
  EXPECT_FALSE(DeadlinePassed(without, run, 1, kStart + std::chrono::hours(100)));
  // The first step counts from the run's start.
  EXPECT_TRUE(DeadlinePassed(Cutover(), run, 0, kStart + minutes(20)));
}

TEST(StepDecisionTest, ATimeoutCountsFromTheTriggerOnly) {
  StepStatus status{.name = "cutover"};
  EXPECT_FALSE(TimedOut(Cutover(), status, kStart + std::chrono::hours(100)))
      << "a step not triggered yet cannot time out (its deadline applies)";
  status.triggered_at = kStart;
  EXPECT_FALSE(TimedOut(Cutover(), status, kStart + minutes(5)));
  EXPECT_TRUE(TimedOut(Cutover(), status, kStart + minutes(5) + seconds(1)));
}

TEST(StepDecisionTest, AGateRoundPassesOnlyWhenEveryGatePassedAndSaysWhatHoldsItBack) {
  GateStanding up{"both-up", GateVerdict::kPassed, 2, 2, "gate both-up: min(up) = 1, needs == 1"};
  GateStanding drained{"drained", GateVerdict::kPending, 1, 3,
                       "gate drained: connections = 4, needs < 10"};
  GateRoundJudgment waiting = JudgeGateRound({up, drained});
  EXPECT_FALSE(waiting.passed);
  EXPECT_FALSE(waiting.failed);
  EXPECT_EQ(waiting.why, "gate drained: connections = 4, needs < 10 (1 of 3 passing samples)");
  drained.verdict = GateVerdict::kPassed;
  EXPECT_TRUE(JudgeGateRound({up, drained}).passed);
  EXPECT_FALSE(JudgeGateRound({}).failed);

  GateStanding unreachable{"sync", GateVerdict::kError, 0, 1, "gate sync: Prometheus unreachable"};
  GateRoundJudgment blocked = JudgeGateRound({up, unreachable, drained});
  EXPECT_TRUE(blocked.blocked) << "nothing runs while a gate cannot be measured";
  EXPECT_EQ(blocked.why, "gate sync: Prometheus unreachable");

  GateStanding broken{"no-broken-sessions", GateVerdict::kFailed, 0, 1,
                      "gate no-broken-sessions: broken = 4, needs == 0"};
  GateRoundJudgment failed = JudgeGateRound({unreachable, broken});
  EXPECT_TRUE(failed.failed);
  EXPECT_FALSE(failed.blocked) << "a failed gate fails the step, whatever else is unmeasured";
  EXPECT_EQ(failed.why,
            "gate no-broken-sessions failed its limits: gate no-broken-sessions: broken = 4, "
            "needs == 0");
}

}  // namespace
}  // namespace cutover
