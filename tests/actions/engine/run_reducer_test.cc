// The journal's meaning, record by record: what an operator would read in the status
// after each decision, with no worker, clock or Prometheus involved.
#include "actions/engine/run_reducer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cutover {
namespace {

using ::testing::HasSubstr;

// A two-step plan: an alert-triggered cutover on fw1, then a manual step on fw2.
Plan TwoSteps() {
  Plan plan;
  plan.name = "p";
  plan.cluster = "edge";
  plan.targets = {{"", "edge"}};
  StepSpec cutover;
  cutover.name = "cutover";
  cutover.action = {.action = Action::kDisconnect, .cluster = "edge", .members = {"fw1"}};
  cutover.trigger = {TriggerKind::kAlert, "CutoverDrainComplete"};
  StepSpec last;
  last.name = "last";
  last.action = {.action = Action::kConnect, .cluster = "edge", .members = {"fw2"}};
  last.trigger = {TriggerKind::kManual, ""};
  plan.steps = {cutover, last};
  return plan;
}

class RunReducerTest : public ::testing::Test {
 protected:
  void Apply(JournalRecord r) {
    r.at_ms = at_ms_ += 1000;  // each decision a second after the previous one
    if (r.run.empty() && r.type != RecordType::kAlertReceived) r.run = "r1";
    Reduce(state_, r, [](const JournalRecord&) {
      return ResolvedPlan{std::make_unique<const Plan>(TwoSteps()), {}};
    });
  }
  const RunStatus& Run() { return state_.runs.at(0)->status; }
  StepState Step(std::size_t i) { return Run().steps.at(i).state; }

  JournalState state_;
  std::int64_t at_ms_ = 1'780'000'000'000;
};

TEST_F(RunReducerTest, ARunGoesThroughItsStepsOneJournaledDecisionAtATime) {
  Apply({.type = RecordType::kRunStarted,
         .plan = "p",
         .cluster = "edge",
         .by = "alice",
         .params = {{"old", "fw1"}}});
  EXPECT_EQ(Run().state, RunState::kRunning);
  EXPECT_EQ(Run().clusters, std::vector<std::string>{"edge"});
  EXPECT_EQ(Run().params.at("old"), "fw1");
  EXPECT_EQ(Step(0), StepState::kWaitingTrigger) << "an alert step waits as soon as it is current";
  EXPECT_EQ(Step(1), StepState::kPending);

  std::uint64_t epoch = state_.runs[0]->gate_epoch;
  Apply({.type = RecordType::kTriggered, .step = "cutover", .by = "alert CutoverDrainComplete"});
  EXPECT_EQ(Step(0), StepState::kGating);
  EXPECT_GT(state_.runs[0]->gate_epoch, epoch) << "the before-gates start from fresh samples";
  Apply({.type = RecordType::kGatesPassed, .step = "cutover"});
  EXPECT_EQ(Step(0), StepState::kPerforming);
  Apply({.type = RecordType::kActionStarted, .step = "cutover", .member = "fw1"});
  EXPECT_EQ(Run().steps[0].members_in_flight.count("fw1"), 1u);
  Apply({.type = RecordType::kActionFinished, .step = "cutover", .member = "fw1", .ok = true});
  EXPECT_EQ(Run().steps[0].members_done.count("fw1"), 1u);
  Apply({.type = RecordType::kActionsDone, .step = "cutover"});
  EXPECT_EQ(Step(0), StepState::kVerifying);
  Apply({.type = RecordType::kStepDone, .step = "cutover"});
  EXPECT_EQ(Step(0), StepState::kDone);
  EXPECT_EQ(Run().current_step, 1u);
  EXPECT_EQ(Step(1), StepState::kWaitingTrigger) << "the manual step now waits for approval";
  ASSERT_TRUE(Run().steps[0].triggered_at && Run().steps[0].finished_at);
  EXPECT_EQ(*Run().steps[0].finished_at - *Run().steps[0].triggered_at, std::chrono::seconds(5));
}

TEST_F(RunReducerTest, ARollbackAlertWhilePausedWaitsForTheResumeAndSaysSo) {
  Apply({.type = RecordType::kRunStarted, .plan = "p", .cluster = "edge"});
  Apply({.type = RecordType::kPaused, .by = "bob"});
  EXPECT_EQ(Run().state, RunState::kPaused);
  EXPECT_EQ(Run().reason, "paused by bob");
  Apply({.type = RecordType::kRollbackRequested,
         .by = "alert CutoverNewVersionUnhealthy",
         .detail = "alert CutoverNewVersionUnhealthy for ha_cluster=edge fires"});
  EXPECT_EQ(Run().state, RunState::kPaused) << "a paused run does nothing, rollback included";
  EXPECT_THAT(Run().reason, HasSubstr("it rolls back when resumed"));
  EXPECT_TRUE(state_.runs[0]->rollback_requested);
  Apply({.type = RecordType::kResumed, .by = "bob"});
  EXPECT_EQ(Run().state, RunState::kRunning);
  EXPECT_TRUE(state_.runs[0]->rollback_requested) << "the worker rolls it back next";
  Apply({.type = RecordType::kRollbackStarted, .by = "alert CutoverNewVersionUnhealthy"});
  EXPECT_EQ(Run().state, RunState::kRollingBack);
  EXPECT_FALSE(state_.runs[0]->rollback_requested);
  EXPECT_EQ(Step(0), StepState::kPending) << "a step that never acted is not left waiting";
}

TEST_F(RunReducerTest, AnAbortEndsTheRunAndNothingAfterItChangesIt) {
  Apply({.type = RecordType::kRunStarted, .plan = "p", .cluster = "edge"});
  Apply({.type = RecordType::kRunFinished, .detail = "aborted by bob", .state = "aborted"});
  Apply({.type = RecordType::kRollbackStarted, .by = "plan"});
  Apply({.type = RecordType::kRollbackRequested, .by = "alert X"});
  EXPECT_EQ(Run().state, RunState::kAborted);
  EXPECT_EQ(Run().reason, "aborted by bob");
  EXPECT_EQ(state_.Holding("edge"), nullptr) << "a finished run holds no cluster";
}

TEST_F(RunReducerTest, RecordsOfUnknownRunsOrStepsChangeNothing) {
  Apply({.type = RecordType::kRunStarted, .plan = "p", .cluster = "edge"});
  Apply({.type = RecordType::kStepDone, .run = "r9", .step = "cutover"});
  Apply({.type = RecordType::kStepDone, .step = "no-such-step"});
  EXPECT_EQ(Step(0), StepState::kWaitingTrigger);
  EXPECT_EQ(Run().current_step, 0u);
}

TEST_F(RunReducerTest, APlanThatCannotBeReadAgainLeavesTheRunSayingWhy) {
  JournalRecord started{
      .type = RecordType::kRunStarted, .run = "r1", .plan = "p", .cluster = "edge"};
  Reduce(state_, started, [](const JournalRecord&) {
    return ResolvedPlan{nullptr, "plan 'p' changed since this run began; abort it and start anew"};
  });
  EXPECT_EQ(state_.runs[0]->plan, nullptr);
  EXPECT_THAT(Run().reason, HasSubstr("changed since this run began"));
  EXPECT_EQ(state_.Holding("edge"), state_.runs[0].get()) << "it still holds its cluster";
}

TEST_F(RunReducerTest, AlertsAreKeptPerMemberAndAnotherMembersResolveClearsNothing) {
  Apply({.type = RecordType::kAlertReceived,
         .member = "fw1",
         .cluster = "edge",
         .key = "k1",
         .alertname = "CutoverDrainComplete",
         .status = "firing"});
  Apply({.type = RecordType::kAlertReceived,
         .member = "fw2",
         .cluster = "edge",
         .key = "k2",
         .alertname = "CutoverDrainComplete",
         .status = "resolved"});
  EXPECT_TRUE(state_.alerts.Fires("edge", "CutoverDrainComplete", "fw1"));
  EXPECT_FALSE(state_.alerts.Fires("edge", "CutoverDrainComplete", "fw2"));
  EXPECT_EQ(state_.deliveries.size(), 2u);
}

TEST_F(RunReducerTest, ACompensationFoundUnderWayAfterARestartIsDoneAgain) {
  Apply({.type = RecordType::kRunStarted, .plan = "p", .cluster = "edge"});
  Apply({.type = RecordType::kRollbackStarted, .by = "bob"});
  Apply({.type = RecordType::kCompensationStarted, .step = "cutover", .member = "0/fw1"});
  EXPECT_EQ(Step(0), StepState::kCompensating);
  PrepareForRestart(state_);
  EXPECT_EQ(Step(0), StepState::kDone) << "its rollback gates are measured again first";
}

TEST(JournalRecordParams, ARunsParametersSurviveTheJournalAndBadOnesAreRefused) {
  JournalRecord started{.type = RecordType::kRunStarted,
                        .run = "r1",
                        .plan = "p",
                        .params = {{"old", "fw1"}, {"note", "it's \"fine\"\n"}}};
  auto decoded = DecodeRecord(EncodeRecord(started));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value().params, started.params);
  auto bad = DecodeRecord(R"({"type":"run_started","run":"r1","params":{"old":1}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error(), "journal record's parameter 'old' is not a string");
  for (const char* type : {"gates_passed", "actions_done", "rollback_requested"}) {
    auto typed = DecodeRecord(std::string(R"({"type":")") + type + R"(","run":"r1"})");
    EXPECT_TRUE(typed.ok()) << type;
  }
}

TEST(AlertStatesTest, AStepIsTriggeredByItsMembersInstancesOrTheWholeClusters) {
  AlertStates alerts;
  const std::vector<std::string> both = {"fw1", "fw2"};
  alerts.Set("edge", "Drained", "fw1", true);
  EXPECT_TRUE(alerts.TriggersStep("edge", "Drained", {"fw1"}));
  EXPECT_FALSE(alerts.TriggersStep("edge", "Drained", {"fw2"}));
  EXPECT_FALSE(alerts.TriggersStep("edge", "Drained", both)) << "each member's instance";
  EXPECT_EQ(alerts.MembersNotFiring("edge", "Drained", both), "fw2");
  alerts.Set("edge", "Drained", "fw2", true);
  EXPECT_TRUE(alerts.TriggersStep("edge", "Drained", both));
  EXPECT_FALSE(alerts.TriggersStep("core", "Drained", {"fw1"})) << "another cluster's";
  alerts.Set("core", "Drained", "", true);
  EXPECT_TRUE(alerts.TriggersStep("core", "Drained", {"fw1"}))
      << "an instance without a member label speaks for the whole cluster";
}

TEST(AlertStatesTest, PauseAndRollbackAlertsCountEveryInstanceOfTheRunsClusters) {
  AlertStates alerts;
  EXPECT_EQ(alerts.FirstFiring({"edge", "rtr"}, {"Unhealthy"}).description, "");
  alerts.Set("rtr", "Unhealthy", "r2", true);
  EXPECT_EQ(alerts.FirstFiring({"edge", "rtr"}, {"Unhealthy"}).description,
            "Unhealthy for ha_cluster=rtr member=r2");
  EXPECT_EQ(alerts.FirstFiring({"edge"}, {"Unhealthy"}).description, "");
  alerts.Set("rtr", "Unhealthy", "r2", false);
  EXPECT_EQ(alerts.FirstFiring({"edge", "rtr"}, {"Unhealthy"}).description, "");
}

}  // namespace
}  // namespace cutover
