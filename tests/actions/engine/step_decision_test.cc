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

}  // namespace
}  // namespace cutover
