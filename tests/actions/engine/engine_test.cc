// The engine as an operator meets it: steps run only when their gates hold, alerts and
// approvals trigger them once however often they arrive, rollbacks compensate in reverse,
// and a restart neither repeats nor skips a step. Drivers and Prometheus are fakes here;
// tests/actions/api/ drives the real daemon with real Prometheus and Alertmanager.
#include "actions/engine/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "actions/plan/plan_loader.h"
#include "tests/support/fake_driver.h"
#include "tests/support/net.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

// What "Prometheus" answers, per resolved query; unknown queries have no data.
class FakePrometheus {
 public:
  void Set(const std::string& query, double value) {
    std::lock_guard lock(mutex_);
    QueryResult r;
    r.kind = QueryResult::Kind::kValue;
    r.value = value;
    results_[query] = r;
  }
  void Fail(const std::string& query, const std::string& error) {
    std::lock_guard lock(mutex_);
    QueryResult r;
    r.kind = QueryResult::Kind::kError;
    r.error = error;
    results_[query] = r;
  }
  QueryResult Query(const std::string& query) {
    std::lock_guard lock(mutex_);
    ++queries_;
    auto it = results_.find(query);
    if (it != results_.end()) return it->second;
    QueryResult none;
    none.kind = QueryResult::Kind::kNoData;
    return none;
  }
  int queries() {
    std::lock_guard lock(mutex_);
    return queries_;
  }

 private:
  std::mutex mutex_;
  std::map<std::string, QueryResult> results_;
  int queries_ = 0;
};

const char* kConfig = R"(clusters:
  - name: edge
    driver: fake
    members: [{name: fw1}, {name: fw2}]
  - name: core
    driver: fake
    members: [{name: r1}]
)";

const std::string kDrained = R"(cutover_member_connections{ha_cluster="edge",member="fw1"})";
const std::string kFw1Down = R"(cutover_member_up{ha_cluster="edge",member="fw1"})";

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    states_["fw1"] = std::make_shared<testing::FakeMemberState>();
    states_["fw2"] = std::make_shared<testing::FakeMemberState>();
    states_["r1"] = std::make_shared<testing::FakeMemberState>();
    for (auto& [name, state] : states_) state->status.up = true;
    LoadConfig({});
  }

  // The configuration on a fake driver that also declares `extra` actions.
  void LoadConfig(const std::vector<Action>& extra) {
    registry_ = DriverRegistry();
    DriverDescriptor fake = testing::FakeDriverDescriptor(
        [this](const std::string& member) { return states_.at(member); });
    fake.actions.insert(fake.actions.end(), extra.begin(), extra.end());
    registry_.Add(fake);
    auto loaded = LoadConfigString(kConfig, "cutover.yml", registry_);
    ASSERT_TRUE(loaded.ok()) << loaded.ErrorText();
    config_ = loaded.config;
    members_ = std::make_unique<MemberSet>(config_, registry_, &errors_);
  }
  void TearDown() override {
    if (engine_) engine_->Stop();
  }

  void LoadPlan(const std::string& yaml) {
    auto result = LoadPlanString(yaml, "plan.yml", config_, registry_);
    ASSERT_TRUE(result.ok()) << result.ErrorText();
    plan_ = result.plan;
  }

  // Opens the journal, replays it into a new engine and starts it: what the daemon does
  // at every start.
  void StartEngine() {
    if (engine_) engine_->Stop();
    engine_.reset();
    journal_.reset();
    JournalOpenResult opened = Journal::Open(dir_.File("journal"));
    ASSERT_NE(opened.journal, nullptr) << opened.error;
    journal_ = std::move(opened.journal);
    EngineOptions options;
    options.tick = milliseconds(20);
    options.instantiate = [this](const Plan& plan, const ParamValues& params) {
      return InstantiatePlan(plan, params, config_, registry_);
    };
    if (fake_clock_ms_ > 0)
      options.clock = [this] {
        return std::chrono::system_clock::time_point(milliseconds(fake_clock_ms_.load()));
      };
    engine_ = std::make_unique<Engine>(
        std::vector<Plan>{plan_}, *members_, *journal_,
        [this] { return [this](const std::string& q) { return prometheus_.Query(q); }; }, options);
    ASSERT_EQ(engine_->Replay(opened.records), "");
    engine_->Start();
  }

  // The journal of a daemon killed while fw1's set_priority ran: started, never finished.
  void WriteJournalOfAKillDuringTheAction() {
    JournalOpenResult opened = Journal::Open(dir_.File("journal"));
    ASSERT_NE(opened.journal, nullptr) << opened.error;
    std::string error;
    for (JournalRecord r :
         {JournalRecord{.type = RecordType::kRunStarted,
         .run = "r1",
         .plan = "in-flight",
         .plan_digest = plan_.digest,
         .cluster = "edge",
         .by = "alice"},
          JournalRecord{.type = RecordType::kTriggered, .run = "r1", .step = "move", .by = "auto"},
          JournalRecord{.type = RecordType::kActionStarted,
          .run = "r1",
          .step = "move",
          .member = "fw1",
          .detail = "set_priority"}}) {
      r.at_ms = NowMillis();
      ASSERT_TRUE(opened.journal->Append(EncodeRecord(r), &error)) << error;
    }
  }

  RunStatus Status(const std::string& run) {
    for (const RunStatus& s : engine_->Runs())
      if (s.id == run) return s;
    ADD_FAILURE() << "no run " << run;
    return {};
  }
  bool WaitForState(const std::string& run, RunState state, milliseconds timeout = seconds(10)) {
    return testing::WaitUntil([&] { return Status(run).state == state; }, timeout,
                              milliseconds(10));
  }
  std::vector<std::string> Performed(const std::string& member) {
    std::lock_guard lock(states_[member]->mutex);
    std::vector<std::string> names;
    for (const auto& request : states_[member]->performed)
      names.push_back(std::string(ActionName(request.action)));
    return names;
  }
  static AlertmanagerNotification Alert(const std::string& name, const std::string& status,
                                        const std::string& starts_at = "2026-11-21T06:00:00Z") {
    AlertmanagerNotification n;
    n.version = "4";
    n.status = status;
    AlertmanagerAlert a;
    a.status = status;
    a.labels = {{"alertname", name}, {"ha_cluster", "edge"}, {"severity", "info"}};
    a.starts_at = starts_at;
    a.fingerprint = "fp-" + name;
    n.alerts.push_back(a);
    return n;
  }

  testing::TempDir dir_;
  // When above zero, the engine's wall clock (Unix ms), moved by the test alone.
  std::atomic<std::int64_t> fake_clock_ms_{0};
  std::map<std::string, std::shared_ptr<testing::FakeMemberState>> states_;
  DriverRegistry registry_;
  CutoverConfig config_;
  std::vector<ConfigError> errors_;
  std::unique_ptr<MemberSet> members_;
  Plan plan_;
  FakePrometheus prometheus_;
  std::unique_ptr<Journal> journal_;
  std::unique_ptr<Engine> engine_;
};

const char* kDrainThenCutover = R"(plan: drain-then-cutover
cluster: edge
rollback:
  alerts: [CutoverNewVersionUnhealthy]
steps:
  - name: take-fw1-out
    action: disconnect
    members: [fw1]
    trigger: {alert: CutoverDrainComplete}
    gates:
      - name: drained
        query: 'cutover_member_connections{ha_cluster="{{cluster}}",member="{{member}}"}'
        condition: "< 10"
        interval: 20ms
    rollback:
      - action: connect
        members: [fw1]
  - name: lower-fw2
    action: set_priority
    members: [fw2]
    params: {priority: "50"}
    trigger: manual
    rollback:
      - action: set_priority
        members: [fw2]
        params: {priority: "100"}
)";

TEST_F(EngineTest, TheCutoverWaitsForTheDrainGateAndSaysWhy) {
  LoadPlan(kDrainThenCutover);
  StartEngine();
  prometheus_.Set(kDrained, 37);
  EngineReply started = engine_->StartRun("drain-then-cutover", "alice");
  ASSERT_EQ(started.status, 201) << started.message;

  ASSERT_EQ(engine_->OnAlerts(Alert("CutoverDrainComplete", "firing")).accepted, 1);
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return Status(started.run).steps[0].waiting_for ==
               "gate drained: cutover_member_connections{ha_cluster=\"edge\",member=\"fw1\"} = "
               "37, needs < 10";
      },
      seconds(5)))
      << Status(started.run).steps[0].waiting_for;
  engine_->Settle();
  EXPECT_TRUE(Performed("fw1").empty()) << "fw1 was disconnected with 37 connections left";

  prometheus_.Set(kDrained, 3);
  ASSERT_TRUE(testing::WaitUntil([&] { return Performed("fw1").size() == 1; }, seconds(5)));
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect"));
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Status(started.run).steps[1].state == StepState::kWaitingTrigger; },
      seconds(5)));
  EXPECT_THAT(Status(started.run).steps[1].waiting_for,
              HasSubstr("cutoverctl approve " + started.run + " lower-fw2"));

  EXPECT_EQ(engine_->Approve(started.run, "lower-fw2", "bob").status, 200);
  ASSERT_TRUE(WaitForState(started.run, RunState::kCompleted));
  EXPECT_THAT(Performed("fw2"), ElementsAre("set_priority"));
  EXPECT_EQ(states_["fw2"]->performed[0].params.at("priority"), "50");
}

TEST_F(EngineTest, NoGateDataMeansNoAction) {
  LoadPlan(kDrainThenCutover);
  StartEngine();  // the fake Prometheus knows no series: every query returns no data
  EngineReply started = engine_->StartRun("drain-then-cutover", "alice");
  engine_->OnAlerts(Alert("CutoverDrainComplete", "firing"));
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return Status(started.run).steps[0].waiting_for.find("returned no data") !=
               std::string::npos;
      },
      seconds(5)))
      << Status(started.run).steps[0].waiting_for;
  engine_->Settle();
  EXPECT_TRUE(Performed("fw1").empty());
}

TEST_F(EngineTest, AnUnmeasurableGateBlocksTheRunAndItResumesWhenPrometheusReturns) {
  LoadPlan(kDrainThenCutover);
  StartEngine();
  prometheus_.Fail(kDrained, "Post \"http://127.0.0.1:9090/api/v1/query\": connection refused");
  EngineReply started = engine_->StartRun("drain-then-cutover", "alice");
  engine_->OnAlerts(Alert("CutoverDrainComplete", "firing"));
  ASSERT_TRUE(testing::WaitUntil([&] { return Status(started.run).blocked; }, seconds(5)));
  EXPECT_THAT(Status(started.run).reason, HasSubstr("blocked: gate drained"));
  EXPECT_THAT(Status(started.run).reason, HasSubstr("connection refused"));
  EXPECT_TRUE(Performed("fw1").empty());

  prometheus_.Set(kDrained, 0);
  ASSERT_TRUE(testing::WaitUntil([&] { return Performed("fw1").size() == 1; }, seconds(5)));
  EXPECT_FALSE(Status(started.run).blocked);
}

TEST_F(EngineTest, RepeatedDeliveriesOfTheSameAlertActOnce) {
  LoadPlan(kDrainThenCutover);
  StartEngine();
  prometheus_.Set(kDrained, 0);
  EngineReply started = engine_->StartRun("drain-then-cutover", "alice");
  AlertIntake first = engine_->OnAlerts(Alert("CutoverDrainComplete", "firing"));
  AlertIntake again = engine_->OnAlerts(Alert("CutoverDrainComplete", "firing"));
  EXPECT_EQ(first.accepted, 1);
  EXPECT_EQ(again.accepted, 0);
  EXPECT_EQ(again.duplicates, 1);
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Status(started.run).steps[1].state == StepState::kWaitingTrigger; },
      seconds(5)));
  engine_->OnAlerts(Alert("CutoverDrainComplete", "firing"));
  EXPECT_EQ(engine_->Approve(started.run, "lower-fw2", "bob").status, 200);
  EXPECT_EQ(engine_->Approve(started.run, "lower-fw2", "bob").status, 200);  // idempotent
  ASSERT_TRUE(WaitForState(started.run, RunState::kCompleted));
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect"));
  EXPECT_THAT(Performed("fw2"), ElementsAre("set_priority"));
}

const char* kThreeSteps = R"(plan: three-steps
cluster: edge
rollback:
  alerts: [CutoverNewVersionUnhealthy]
steps:
  - name: one
    action: disconnect
    members: [fw1]
    rollback: [{action: connect, members: [fw1]}]
  - name: two
    action: set_priority
    members: [fw2]
    params: {priority: "50"}
    rollback: [{action: set_priority, members: [fw2], params: {priority: "100"}}]
  - name: soak
    action: connect
    members: [fw1]
    trigger: manual
)";

TEST_F(EngineTest, ARollbackAlertDuringTheSoakUndoesCompletedStepsInReverse) {
  LoadPlan(kThreeSteps);
  StartEngine();
  EngineReply run = engine_->StartRun("three-steps", "alice");
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Status(run.run).steps[2].state == StepState::kWaitingTrigger; }, seconds(5)));
  ASSERT_EQ(engine_->OnAlerts(Alert("CutoverNewVersionUnhealthy", "firing")).accepted, 1);
  ASSERT_TRUE(WaitForState(run.run, RunState::kRolledBack));
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect", "connect"));
  EXPECT_THAT(Performed("fw2"), ElementsAre("set_priority", "set_priority"));
  EXPECT_EQ(states_["fw2"]->performed[1].params.at("priority"), "100");
  // Reverse order: fw2's compensation (step two) before fw1's (step one).
  RunStatus st = Status(run.run);
  ASSERT_TRUE(st.steps[1].finished_at && st.steps[0].finished_at);
  EXPECT_EQ(st.steps[0].state, StepState::kCompensated);
  EXPECT_EQ(st.steps[1].state, StepState::kCompensated);
  EXPECT_EQ(st.steps[2].state, StepState::kPending) << "the soak step never ran";
  EXPECT_EQ(st.steps[2].waiting_for, "");
}

// The runbook's soak rollback is the switch back to the old-version standby; the
// upgraded member keeps its version, and the run's reason says so.
const char* kUpgradeThenSoak = R"(plan: upgrade-then-soak
cluster: edge
params:
  new_version: {type: version}
rollback:
  alerts: [CutoverNewVersionUnhealthy]
  note: fw1 stays on {{new_version}}; downgrading it is an operator's decision
steps:
  - name: move-to-fw2
    action: set_priority
    members: [fw2]
    params: {priority: "150"}
    rollback: [{action: set_priority, members: [fw2], params: {priority: "50"}}]
  - name: upgrade-fw1
    action: upgrade
    members: [fw1]
    params: {version: "{{new_version}}"}
    rollback_boundary: true
  - name: move-to-fw1
    action: set_priority
    members: [fw1]
    params: {priority: "150"}
    rollback: [{action: set_priority, members: [fw1], params: {priority: "50"}}]
  - name: soak
    action: connect
    members: [fw2]
    trigger: manual
)";

TEST_F(EngineTest, ASoakRollbackMovesTheRoleBackToTheOldVersionAndStopsThere) {
  LoadConfig({Action::kUpgrade});
  LoadPlan(kUpgradeThenSoak);
  StartEngine();
  EngineReply run = engine_->StartRun("upgrade-then-soak", {{"new_version", "2.0.0"}}, "alice");
  ASSERT_EQ(run.status, 201) << run.message;
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Status(run.run).steps[3].state == StepState::kWaitingTrigger; }, seconds(5)));
  // While the soak lasts, the rules count fw1 as recently upgraded through this run.
  const std::string upgraded =
      "cutover_run_member_upgraded{ha_cluster=\"edge\",member=\"fw1\",plan=\"upgrade-then-soak\","
      "run=\"" +
      run.run + "\"} 1";
  ExpositionWriter during;
  engine_->WriteMetrics(during);
  EXPECT_THAT(during.text(), HasSubstr(upgraded));
  ASSERT_EQ(engine_->OnAlerts(Alert("CutoverNewVersionUnhealthy", "firing")).accepted, 1);
  ASSERT_TRUE(WaitForState(run.run, RunState::kRolledBack));
  ExpositionWriter after;
  engine_->WriteMetrics(after);
  EXPECT_THAT(after.text(), Not(HasSubstr("cutover_run_member_upgraded{")))
      << "a finished run leaves the version history window to the rules";
  EXPECT_THAT(Performed("fw1"), ElementsAre("upgrade", "set_priority", "set_priority"))
      << "the role moved back; nothing downgraded fw1";
  EXPECT_THAT(Performed("fw2"), ElementsAre("set_priority"))
      << "the first move is behind the boundary: undoing it would hand fw1 the traffic again";
  RunStatus st = Status(run.run);
  EXPECT_EQ(st.steps[2].state, StepState::kCompensated);
  EXPECT_EQ(st.steps[1].state, StepState::kDone) << "fw1's upgrade stays, and says so";
  EXPECT_EQ(st.steps[0].state, StepState::kDone);
  EXPECT_THAT(st.reason, HasSubstr("the rollback stops at step upgrade-fw1"));
  EXPECT_THAT(st.reason, HasSubstr("CutoverNewVersionUnhealthy"));
  EXPECT_THAT(st.reason, HasSubstr("fw1 stays on 2.0.0; downgrading it is an operator's decision"));
}

// Both routers' policy turns together: with at_once each member's action starts before
// any has finished, in the step and in its compensation. Each fake action here succeeds
// only if the same action on the other member is under way too.
TEST_F(EngineTest, AnAtOnceStepAndItsCompensationActOnAllTheirMembersTogether) {
  LoadPlan(R"(plan: turn-both
cluster: edge
steps:
  - name: prefer-fw2-everywhere
    action: set_priority
    members: [fw1, fw2]
    params: {priority: "200"}
    at_once: true
    rollback:
      - {action: set_priority, members: [fw1, fw2], params: {priority: "100"}, at_once: true}
  - name: check
    action: connect
    members: [fw1]
    gates:
      - {name: never-measured, query: 'nothing_answers_this', condition: "== 1", failure_limit: 0}
)");
  std::mutex mutex;
  std::map<std::string, int> under_way;  // by priority: the step's action or the compensation's
  auto together = [&](const ActionRequest& request) {
    const std::string priority = request.params.at("priority");
    {
      std::lock_guard lock(mutex);
      ++under_way[priority];
    }
    bool both = testing::WaitUntil(
        [&] {
          std::lock_guard lock(mutex);
          return under_way[priority] == 2;
        },
        seconds(3), milliseconds(5));
    ActionResult r;
    r.ok = both;
    if (!both) r.error = "the other member's action never started meanwhile";
    return r;
  };
  states_["fw1"]->perform = together;
  states_["fw2"]->perform = together;
  StartEngine();
  EngineReply run = engine_->StartRun("turn-both", "alice");
  ASSERT_TRUE(WaitForState(run.run, RunState::kRolledBack)) << Status(run.run).reason;
  RunStatus st = Status(run.run);
  EXPECT_THAT(st.steps[0].members_done, ElementsAre("fw1", "fw2"));
  EXPECT_EQ(st.steps[0].state, StepState::kCompensated);
  EXPECT_THAT(Performed("fw1"), ElementsAre("set_priority", "set_priority"));
  EXPECT_THAT(Performed("fw2"), ElementsAre("set_priority", "set_priority"));
}

TEST_F(EngineTest, APausedRunRollsBackOnlyWhenResumed) {
  LoadPlan(kThreeSteps);
  StartEngine();
  EngineReply run = engine_->StartRun("three-steps", "alice");
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Status(run.run).steps[2].state == StepState::kWaitingTrigger; }, seconds(5)));
  ASSERT_EQ(engine_->Pause(run.run, "bob").status, 200);
  engine_->OnAlerts(Alert("CutoverNewVersionUnhealthy", "firing"));
  engine_->Settle();
  EXPECT_EQ(Status(run.run).state, RunState::kPaused);
  EXPECT_THAT(Status(run.run).reason, HasSubstr("it rolls back when resumed"));
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect"));
  // It resolves while the run is paused, and the daemon restarts: the rollback still holds.
  engine_->OnAlerts(Alert("CutoverNewVersionUnhealthy", "resolved"));
  StartEngine();
  EXPECT_THAT(Status(run.run).reason, HasSubstr("it rolls back when resumed"));
  ASSERT_EQ(engine_->Resume(run.run, "bob").status, 200);
  ASSERT_TRUE(WaitForState(run.run, RunState::kRolledBack));
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect", "connect"));
}

// fw2's set_priority (step two of kThreeSteps) is held in flight until the test lets it
// fail: what an operator's abort or pause meets when a slow action then goes wrong.
class HeldAction {
 public:
  explicit HeldAction(testing::FakeMemberState& state) : state_(state) {
    std::lock_guard lock(state.mutex);
    state.perform = [this](const ActionRequest&) {
      std::unique_lock held(mutex_);
      entered_ = true;
      changed_.notify_all();
      changed_.wait(held, [&] { return released_; });
      return ActionResult::Failure("set_priority: the platform refused the change");
    };
  }
  ~HeldAction() {
    std::lock_guard lock(state_.mutex);
    state_.perform = nullptr;
  }
  bool WaitUntilInFlight() {
    std::unique_lock held(mutex_);
    return changed_.wait_for(held, seconds(5), [&] { return entered_; });
  }
  void Fail() {
    std::lock_guard held(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  testing::FakeMemberState& state_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool entered_ = false, released_ = false;
};

TEST_F(EngineTest, AnAbortWhileAnActionIsInFlightStaysAnAbortWhenTheActionThenFails) {
  LoadPlan(kThreeSteps);
  HeldAction held(*states_["fw2"]);
  StartEngine();
  EngineReply run = engine_->StartRun("three-steps", "alice");
  ASSERT_TRUE(held.WaitUntilInFlight());
  ASSERT_EQ(engine_->Abort(run.run, "bob").status, 200);
  held.Fail();
  ASSERT_TRUE(testing::WaitUntil([&] { return Status(run.run).steps[1].members_in_flight.empty(); },
                                 seconds(5)))
      << "the failed action's outcome is journaled";
  engine_->Settle();  // what a wrong rollback would have done by now
  RunStatus st = Status(run.run);
  EXPECT_EQ(st.state, RunState::kAborted);
  EXPECT_THAT(st.reason, HasSubstr("aborted by bob"));
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect")) << "an aborted run compensates nothing";
  EXPECT_THAT(Performed("fw2"), ElementsAre("set_priority"));
}

TEST_F(EngineTest, APauseWhileAnActionIsInFlightHoldsItsFailureUntilResumed) {
  LoadPlan(kThreeSteps);
  HeldAction held(*states_["fw2"]);
  StartEngine();
  EngineReply run = engine_->StartRun("three-steps", "alice");
  ASSERT_TRUE(held.WaitUntilInFlight());
  ASSERT_EQ(engine_->Pause(run.run, "bob").status, 200);
  held.Fail();
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Status(run.run).steps[1].state == StepState::kFailed; }, seconds(5)));
  engine_->Settle();  // what a wrong rollback would have done by now
  RunStatus paused = Status(run.run);
  EXPECT_EQ(paused.state, RunState::kPaused) << paused.reason;
  EXPECT_THAT(paused.steps[1].error, HasSubstr("the platform refused the change"));
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect")) << "a paused run does nothing";

  ASSERT_EQ(engine_->Resume(run.run, "bob").status, 200);
  ASSERT_TRUE(WaitForState(run.run, RunState::kRolledBack)) << Status(run.run).reason;
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect", "connect"))
      << "resumed, the failed step's rollback policy applies";
}

TEST_F(EngineTest, AStepPastItsTimeoutRollsBack) {
  LoadPlan(R"(plan: times-out
cluster: edge
steps:
  - name: one
    action: disconnect
    members: [fw1]
    rollback: [{action: connect, members: [fw1]}]
  - name: wait-forever
    action: connect
    members: [fw2]
    timeout: 300ms
    gates:
      - {name: never, query: 'vector(0)', condition: "> 1", interval: 20ms}
)");
  StartEngine();
  prometheus_.Set("vector(0)", 0);
  EngineReply run = engine_->StartRun("times-out", "alice");
  ASSERT_TRUE(WaitForState(run.run, RunState::kRolledBack));
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect", "connect"));
  EXPECT_TRUE(Performed("fw2").empty());
  EXPECT_THAT(Status(run.run).steps[1].error, HasSubstr("timed out after 300ms"));
}

TEST_F(EngineTest, AFailedVerificationGateRollsBack) {
  LoadPlan(R"(plan: verify
cluster: edge
steps:
  - name: move
    action: set_priority
    members: [fw1]
    params: {priority: "50"}
    gates:
      - name: no-broken-sessions
        query: 'broken_sessions'
        condition: "== 0"
        stage: after
        failure_limit: 0
        interval: 20ms
    rollback: [{action: set_priority, members: [fw1], params: {priority: "150"}}]
)");
  StartEngine();
  prometheus_.Set("broken_sessions", 4);
  EngineReply run = engine_->StartRun("verify", "alice");
  ASSERT_TRUE(WaitForState(run.run, RunState::kRolledBack));
  EXPECT_THAT(Performed("fw1"), ElementsAre("set_priority", "set_priority"));
  EXPECT_THAT(Status(run.run).steps[0].error, HasSubstr("gate no-broken-sessions failed"));
}

TEST_F(EngineTest, PauseHoldsTheRunAndAbortEndsIt) {
  LoadPlan(kDrainThenCutover);
  StartEngine();
  prometheus_.Set(kDrained, 50);
  EngineReply run = engine_->StartRun("drain-then-cutover", "alice");
  EXPECT_EQ(engine_->StartRun("drain-then-cutover", "alice").status, 409)
      << "one run per cluster at a time";
  EXPECT_EQ(engine_->Pause(run.run, "bob").status, 200);
  engine_->OnAlerts(Alert("CutoverDrainComplete", "firing"));
  prometheus_.Set(kDrained, 0);
  engine_->Settle();
  EXPECT_TRUE(Performed("fw1").empty()) << "a paused run acted";
  EXPECT_EQ(Status(run.run).state, RunState::kPaused);
  EXPECT_EQ(engine_->Abort(run.run, "bob").status, 200);
  EXPECT_EQ(Status(run.run).state, RunState::kAborted);
  EXPECT_EQ(engine_->Resume(run.run, "bob").status, 409);
  EXPECT_EQ(engine_->StartRun("no-such-plan", "alice").status, 404);
}

TEST_F(EngineTest, ARestartNeitherRepeatsNorSkipsAStep) {
  LoadPlan(kThreeSteps);
  StartEngine();
  EngineReply run = engine_->StartRun("three-steps", "alice");
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Status(run.run).steps[2].state == StepState::kWaitingTrigger; }, seconds(5)));
  // The daemon stops and starts again from its journal.
  StartEngine();
  RunStatus after = Status(run.run);
  EXPECT_EQ(after.state, RunState::kRunning);
  EXPECT_EQ(after.steps[0].state, StepState::kDone);
  EXPECT_EQ(after.steps[1].state, StepState::kDone);
  EXPECT_EQ(engine_->Approve(run.run, "soak", "bob").status, 200);
  ASSERT_TRUE(WaitForState(run.run, RunState::kCompleted));
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect", "connect"));
  EXPECT_THAT(Performed("fw2"), ElementsAre("set_priority"));
}

TEST_F(EngineTest, AnActionInFlightAtACrashIsNotRepeatedWhenItsAfterGateHolds) {
  LoadPlan(R"(plan: in-flight
cluster: edge
steps:
  - name: move
    action: set_priority
    members: [fw1]
    params: {priority: "50"}
    gates:
      - {name: moved, query: 'fw1_priority', condition: "== 50", stage: after, interval: 20ms}
)");
  WriteJournalOfAKillDuringTheAction();
  prometheus_.Set("fw1_priority", 50);  // the action had taken effect before the crash
  StartEngine();
  ASSERT_TRUE(WaitForState("r1", RunState::kCompleted));
  EXPECT_TRUE(Performed("fw1").empty()) << "the action was performed a second time";
  EXPECT_THAT(Status("r1").steps[0].members_done, ElementsAre("fw1"));
}

TEST_F(EngineTest, AnActionInFlightIsRedoneWhenItDidNotTakeEffect) {
  LoadPlan(R"(plan: in-flight
cluster: edge
steps:
  - name: move
    action: set_priority
    members: [fw1]
    params: {priority: "50"}
    gates:
      - {name: moved, query: 'fw1_priority', condition: "== 50", stage: after, interval: 20ms}
)");
  WriteJournalOfAKillDuringTheAction();
  prometheus_.Set("fw1_priority", 100);
  StartEngine();
  ASSERT_TRUE(testing::WaitUntil([&] { return Performed("fw1").size() == 1; }, seconds(5)));
  prometheus_.Set("fw1_priority", 50);
  ASSERT_TRUE(WaitForState("r1", RunState::kCompleted));
  EXPECT_THAT(Performed("fw1"), ElementsAre("set_priority"));
}

TEST_F(EngineTest, ARunWhosePlanChangedDoesNotContinue) {
  LoadPlan(kThreeSteps);
  StartEngine();
  EngineReply run = engine_->StartRun("three-steps", "alice");
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Status(run.run).steps[2].state == StepState::kWaitingTrigger; }, seconds(5)));
  plan_.digest = "edited";
  StartEngine();
  EXPECT_THAT(Status(run.run).reason, HasSubstr("changed since this run began"));
  EXPECT_EQ(engine_->Approve(run.run, "soak", "bob").status, 409);
  EXPECT_EQ(engine_->Abort(run.run, "bob").status, 200);
}

TEST_F(EngineTest, MetricsShowRunStepAndGateState) {
  LoadPlan(kDrainThenCutover);
  StartEngine();
  prometheus_.Set(kDrained, 37);
  EngineReply run = engine_->StartRun("drain-then-cutover", "alice");
  engine_->OnAlerts(Alert("CutoverDrainComplete", "firing"));
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return !Status(run.run).steps[0].last_measurements.empty(); }, seconds(5)));
  ExpositionWriter out;
  engine_->WriteMetrics(out);
  const std::string& text = out.text();
  EXPECT_THAT(text,
              HasSubstr("cutover_run_state{ha_cluster=\"edge\",plan=\"drain-then-cutover\",run=\"" +
                        run.run + "\",state=\"running\"} 1"));
  EXPECT_THAT(text, HasSubstr("cutover_step_state{ha_cluster=\"edge\",plan=\"drain-then-cutover\","
                              "step=\"take-fw1-out\",state=\"gating\"} 1"));
  EXPECT_THAT(text, HasSubstr("cutover_gate_value{ha_cluster=\"edge\",plan=\"drain-then-cutover\","
                              "step=\"take-fw1-out\",gate=\"drained\",member=\"fw1\"} 37"));
  EXPECT_THAT(text,
              HasSubstr("cutover_gate_threshold{ha_cluster=\"edge\",plan=\"drain-then-cutover\","
                        "step=\"take-fw1-out\",gate=\"drained\",member=\"fw1\"} 10"));
  EXPECT_THAT(text,
              HasSubstr("cutover_gate_evaluations_total{ha_cluster=\"edge\",plan=\"drain-then-"
                        "cutover\",step=\"take-fw1-out\",gate=\"drained\",phase=\"Failed\"}"));
}

// The Optimal Service Upgrade's cutover: fw2 already took over new connections, fw1 drains,
// and the cutover waits for CutoverDrainComplete; its deadline policy decides what happens
// when the drain does not complete in time.
std::string DrainWithDeadline(const std::string& policy) {
  return R"(plan: drain-deadline
cluster: edge
warning: No redundancy until the cutover.
pause:
  alerts: [CutoverConfigChangedDuringUpgrade]
steps:
  - name: new-member-takes-new-connections
    action: set_priority
    members: [fw2]
    params: {priority: "200"}
    rollback: [{action: set_priority, members: [fw2], params: {priority: "100"}}]
  - name: cutover
    action: disconnect
    members: [fw1]
    trigger: {alert: CutoverDrainComplete}
    deadline: {after: 300ms, then: )" +
         policy + R"(}
    gates:
      - name: drained
        query: 'cutover_member_connections{ha_cluster="{{cluster}}",member="{{member}}"}'
        condition: "<= 0"
        interval: 20ms
)";
}

TEST_F(EngineTest, AtTheDrainDeadlineProceedCutsOverAndSaysHowManySessionsItCuts) {
  LoadPlan(DrainWithDeadline("proceed"));
  StartEngine();
  prometheus_.Set(kDrained, 7);
  EngineReply run = engine_->StartRun("drain-deadline", "alice");
  ASSERT_TRUE(WaitForState(run.run, RunState::kCompleted)) << Status(run.run).steps[1].waiting_for;
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect"));
  EXPECT_EQ(Status(run.run).steps[1].triggered_by, "deadline");
  EXPECT_EQ(Status(run.run).steps[0].triggered_by, "auto");
  EXPECT_THAT(Status(run.run).steps[1].note,
              HasSubstr("deadline of 300ms for step cutover passed; proceeding (policy proceed) "
                        "although gate drained: cutover_member_connections{ha_cluster=\"edge\","
                        "member=\"fw1\"} = 7, needs <= 0"));

  // The decision is in the journal: a restart shows the same note and repeats nothing.
  StartEngine();
  EXPECT_THAT(Status(run.run).steps[1].note, HasSubstr("= 7, needs <= 0"));
  engine_->Settle();
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect"));
}

TEST_F(EngineTest, AtTheDrainDeadlineRollbackUndoesTheDrain) {
  LoadPlan(DrainWithDeadline("rollback"));
  StartEngine();
  prometheus_.Set(kDrained, 7);
  EngineReply run = engine_->StartRun("drain-deadline", "alice");
  ASSERT_TRUE(WaitForState(run.run, RunState::kRolledBack));
  EXPECT_TRUE(Performed("fw1").empty());
  EXPECT_THAT(Performed("fw2"), ElementsAre("set_priority", "set_priority"));
  EXPECT_THAT(Status(run.run).reason, HasSubstr("deadline of 300ms for step cutover passed "
                                                "(policy rollback)"));
}

TEST_F(EngineTest, TheDrainDeadlineIsReachedWhenTheClockSaysSoNotBefore) {
  std::string plan = DrainWithDeadline("proceed");
  plan.replace(plan.find("after: 300ms"), 12, "after: 20m");
  LoadPlan(plan);
  fake_clock_ms_ = 1'780'000'000'000;
  StartEngine();
  prometheus_.Set(kDrained, 7);
  EngineReply run = engine_->StartRun("drain-deadline", "alice");
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Status(run.run).steps[1].state == StepState::kWaitingTrigger; }, seconds(5)));
  fake_clock_ms_ += 19 * 60'000;  // 19 minutes later: still draining
  engine_->Settle();
  EXPECT_TRUE(Performed("fw1").empty()) << "cut over before the deadline";
  EXPECT_THAT(Status(run.run).steps[1].waiting_for, HasSubstr("waiting for alert"));
  fake_clock_ms_ += 61'000;  // 20 minutes and a second
  ASSERT_TRUE(WaitForState(run.run, RunState::kCompleted)) << Status(run.run).steps[1].waiting_for;
  EXPECT_THAT(Status(run.run).steps[1].note,
              HasSubstr("deadline of 20m for step cutover passed; proceeding (policy proceed)"));
}

TEST_F(EngineTest, AtTheDrainDeadlineWaitKeepsWaitingAndSaysSo) {
  LoadPlan(DrainWithDeadline("wait"));
  StartEngine();
  prometheus_.Set(kDrained, 7);
  EngineReply run = engine_->StartRun("drain-deadline", "alice");
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return Status(run.run).steps[1].waiting_for.find("(policy wait: still waiting)") !=
               std::string::npos;
      },
      seconds(5)));
  EXPECT_THAT(Status(run.run).steps[1].waiting_for,
              HasSubstr("waiting for alert CutoverDrainComplete"));
  engine_->Settle();
  EXPECT_TRUE(Performed("fw1").empty());
  EXPECT_EQ(Status(run.run).state, RunState::kRunning);

  // The drain completes after all: the cutover happens as planned.
  prometheus_.Set(kDrained, 0);
  engine_->OnAlerts(Alert("CutoverDrainComplete", "firing"));
  ASSERT_TRUE(WaitForState(run.run, RunState::kCompleted));
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect"));
}

TEST_F(EngineTest, AConfigurationChangeAlertPausesTheRunBeforeTheNextStep) {
  LoadPlan(DrainWithDeadline("wait"));
  StartEngine();
  prometheus_.Set(kDrained, 7);
  EngineReply run = engine_->StartRun("drain-deadline", "alice");
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Status(run.run).steps[1].state == StepState::kWaitingTrigger; }, seconds(5)));
  ASSERT_EQ(engine_->OnAlerts(Alert("CutoverConfigChangedDuringUpgrade", "firing")).accepted, 1);
  ASSERT_TRUE(WaitForState(run.run, RunState::kPaused));
  EXPECT_THAT(Status(run.run).reason,
              HasSubstr("paused by alert CutoverConfigChangedDuringUpgrade for ha_cluster=edge"));
  EXPECT_EQ(Status(run.run).warning, "No redundancy until the cutover.") << "the plan's warning";
  EXPECT_THAT(Status(run.run).reason, HasSubstr("cutoverctl resume " + run.run));

  // Paused means paused: the drain completing does not cut over, nor does a restart.
  prometheus_.Set(kDrained, 0);
  engine_->OnAlerts(Alert("CutoverDrainComplete", "firing"));
  StartEngine();
  EXPECT_EQ(Status(run.run).state, RunState::kPaused) << "the pause survives a restart";
  engine_->Settle();
  EXPECT_TRUE(Performed("fw1").empty());

  // While the configuration still changes, the run stays paused.
  EngineReply early = engine_->Resume(run.run, "bob");
  EXPECT_EQ(early.status, 409);
  EXPECT_THAT(early.message,
              HasSubstr("alert CutoverConfigChangedDuringUpgrade for ha_cluster=edge still fires"));
  engine_->OnAlerts(Alert("CutoverConfigChangedDuringUpgrade", "resolved"));
  EXPECT_EQ(engine_->Resume(run.run, "bob").status, 200);
  ASSERT_TRUE(WaitForState(run.run, RunState::kCompleted));
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect"));
}

AlertmanagerNotification ForMember(AlertmanagerNotification n, const std::string& member) {
  for (AlertmanagerAlert& a : n.alerts) {
    a.labels["member"] = member;
    a.fingerprint += "-" + member;
  }
  return n;
}

TEST_F(EngineTest, TheCutoverWaitsForTheOldMembersDrainNotAnotherMembers) {
  LoadPlan(kDrainThenCutover);
  StartEngine();
  prometheus_.Set(kDrained, 3);
  EngineReply run = engine_->StartRun("drain-then-cutover", "alice");
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Status(run.run).steps[0].state == StepState::kWaitingTrigger; }, seconds(5)));
  // fw2 drained, not fw1: the step acts on fw1 and waits on.
  ASSERT_EQ(engine_->OnAlerts(ForMember(Alert("CutoverDrainComplete", "firing"), "fw2")).accepted,
            1);
  engine_->Settle();
  EXPECT_EQ(Status(run.run).steps[0].state, StepState::kWaitingTrigger);
  EXPECT_THAT(Status(run.run).steps[0].waiting_for,
              HasSubstr("waiting for alert CutoverDrainComplete to fire for ha_cluster=edge member "
                        "fw1"));
  // fw1's instance fires, then fw2's resolves: fw2's resolution does not clear fw1's.
  engine_->OnAlerts(ForMember(Alert("CutoverDrainComplete", "firing"), "fw1"));
  engine_->OnAlerts(ForMember(Alert("CutoverDrainComplete", "resolved"), "fw2"));
  ASSERT_TRUE(testing::WaitUntil([&] { return Status(run.run).steps[0].state == StepState::kDone; },
                                 seconds(5)));
  EXPECT_EQ(Status(run.run).steps[0].triggered_by, "alert CutoverDrainComplete");
  EXPECT_THAT(Performed("fw1"), ElementsAre("disconnect"));
}

TEST_F(EngineTest, ARollbackAlertAlreadyFiringWhenTheRunStartsRollsItBack) {
  LoadPlan(kThreeSteps);
  StartEngine();
  engine_->OnAlerts(Alert("CutoverNewVersionUnhealthy", "firing"));
  EngineReply run = engine_->StartRun("three-steps", "alice");
  ASSERT_EQ(run.status, 201) << run.message;
  ASSERT_TRUE(WaitForState(run.run, RunState::kRolledBack));
  EXPECT_THAT(Status(run.run).reason,
              HasSubstr("alert CutoverNewVersionUnhealthy for ha_cluster=edge fires"));
}

TEST_F(EngineTest, APauseAlertAlreadyFiringWhenTheRunStartsPausesIt) {
  LoadPlan(DrainWithDeadline("wait"));
  StartEngine();
  engine_->OnAlerts(Alert("CutoverConfigChangedDuringUpgrade", "firing"));
  EngineReply run = engine_->StartRun("drain-deadline", "alice");
  ASSERT_EQ(run.status, 201) << run.message;
  ASSERT_TRUE(WaitForState(run.run, RunState::kPaused));
  EXPECT_TRUE(Performed("fw1").empty());
  EXPECT_TRUE(Performed("fw2").empty());
}

TEST_F(EngineTest, ASecondRunOnAHeldClusterIsRefusedNamingTheHolder) {
  LoadPlan(kDrainThenCutover);
  StartEngine();
  EngineReply first = engine_->StartRun("drain-then-cutover", "alice");
  ASSERT_EQ(first.status, 201);
  EngineReply second = engine_->StartRun("drain-then-cutover", "bob");
  EXPECT_EQ(second.status, 409);
  EXPECT_THAT(second.message, HasSubstr("cluster edge is held by run " + first.run));
}

// The firewalls and the router that selects them, in one plan.
const char* kFirewallsAndRouter = R"(plan: firewalls-and-router
clusters: {firewalls: edge, routers: core}
steps:
  - name: prefer-fw2
    action: set_priority
    members: [routers/r1]
    params: {priority: "50"}
    rollback: [{action: set_priority, params: {priority: "100"}}]
  - name: take-fw1-out
    action: disconnect
    members: [firewalls/fw1]
    trigger: manual
)";

TEST_F(EngineTest, ARunHoldsEveryClusterItNamesAndItsMetricsCarryEach) {
  LoadPlan(kFirewallsAndRouter);
  StartEngine();
  EngineReply run = engine_->StartRun("firewalls-and-router", "alice");
  ASSERT_EQ(run.status, 201) << run.message;
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return Status(run.run).steps[1].state == StepState::kWaitingTrigger; }, seconds(5)));
  EXPECT_THAT(Performed("r1"), ElementsAre("set_priority")) << "the router's step ran on r1";
  EXPECT_TRUE(Performed("fw1").empty());
  EXPECT_EQ(Status(run.run).clusters, (std::vector<std::string>{"edge", "core"}));

  EngineReply second = engine_->StartRun("firewalls-and-router", "bob");
  EXPECT_EQ(second.status, 409);
  EXPECT_THAT(second.message, HasSubstr("is held by run " + run.run));

  ExpositionWriter out;
  engine_->WriteMetrics(out);
  for (const char* cluster : {"edge", "core"})
    EXPECT_THAT(out.text(), HasSubstr("cutover_run_state{ha_cluster=\"" + std::string(cluster) +
                                      "\",plan=\"firewalls-and-router\",run=\"" + run.run +
                                      "\",state=\"running\"} 1"));
  EXPECT_THAT(
      out.text(),
      HasSubstr(
          "cutover_actions_total{ha_cluster=\"core\",action=\"set_priority\",result=\"ok\"} 1"));

  ASSERT_EQ(engine_->Rollback(run.run, "bob").status, 200);
  ASSERT_TRUE(WaitForState(run.run, RunState::kRolledBack));
  EXPECT_THAT(Performed("r1"), ElementsAre("set_priority", "set_priority"));
}

TEST_F(EngineTest, ARunThatCouldNotRollBackDoesNotStart) {
  LoadPlan(kDrainThenCutover);
  StartEngine();
  {
    std::lock_guard lock(states_["fw2"]->mutex);
    states_["fw2"]->status.up = false;
    states_["fw2"]->status.error = "ssh: connection refused";
  }
  EngineReply run = engine_->StartRun("drain-then-cutover", "alice");
  EXPECT_EQ(run.status, 409);
  EXPECT_THAT(run.message,
              HasSubstr("it could not roll back: member fw2 of edge (compensation set_priority of "
                        "step lower-fw2) does not answer its probe: ssh: connection refused"));
  EXPECT_TRUE(engine_->Runs().empty()) << "nothing journaled";
}

const char* kWithParameters = R"(plan: with-parameters
cluster: edge
params:
  old: {type: member, help: the member taken out}
  priority: {type: integer, default: 50}
steps:
  - name: lower
    action: set_priority
    members: ["{{old}}"]
    params: {priority: "{{priority}}"}
    trigger: manual
)";

TEST_F(EngineTest, AStartGivesTheParametersTheRunKeepsThemAcrossARestart) {
  LoadPlan(kWithParameters);
  StartEngine();
  EngineReply missing = engine_->StartRun("with-parameters", {}, "alice");
  EXPECT_EQ(missing.status, 400);
  EXPECT_THAT(missing.message, HasSubstr("parameter 'old' (member) has no default"));
  EngineReply wrong = engine_->StartRun("with-parameters", {{"old", "fw7"}}, "alice");
  EXPECT_EQ(wrong.status, 400);
  EXPECT_THAT(wrong.message, HasSubstr("\"fw7\", which is not a member of cluster \"edge\""));
  EXPECT_TRUE(engine_->Runs().empty()) << "a refused start journals nothing";

  EngineReply run = engine_->StartRun("with-parameters", {{"old", "fw2"}}, "alice");
  ASSERT_EQ(run.status, 201) << run.message;
  EXPECT_THAT(run.message, HasSubstr("with old=fw2, priority=50"));
  StartEngine();  // the run's plan is read again with the journaled values
  ASSERT_EQ(Status(run.run).params,
            (std::map<std::string, std::string>{{"old", "fw2"}, {"priority", "50"}}));
  ASSERT_EQ(engine_->Approve(run.run, "lower", "bob").status, 200);
  ASSERT_TRUE(WaitForState(run.run, RunState::kCompleted));
  EXPECT_THAT(Performed("fw2"), ElementsAre("set_priority"));
  std::lock_guard lock(states_["fw2"]->mutex);
  EXPECT_EQ(states_["fw2"]->performed[0].params.at("priority"), "50");
}

TEST_F(EngineTest, ADryRunSaysWhatWouldRunWhereAndWhatEachGateReadsAndDoesNothing) {
  LoadPlan(kDrainThenCutover);
  StartEngine();
  prometheus_.Set(kDrained, 3);
  EngineReply rehearsal = engine_->DryRun("drain-then-cutover", {});
  ASSERT_EQ(rehearsal.status, 200) << rehearsal.message;
  const std::string& out = rehearsal.message;
  EXPECT_THAT(out, HasSubstr("cluster edge: free"));
  EXPECT_THAT(out, HasSubstr("rollback: ready"));
  EXPECT_THAT(out, HasSubstr("1. take-fw1-out: disconnect on fw1 of edge; waits for alert "
                             "CutoverDrainComplete"));
  EXPECT_THAT(out, HasSubstr("gate before drained [fw1]: Successful: gate drained: "
                             "cutover_member_connections{ha_cluster=\"edge\",member=\"fw1\"} = 3"));
  EXPECT_THAT(out, HasSubstr("runs on fw1: fake fw1: disconnect"));
  EXPECT_THAT(out, HasSubstr("rollback: set_priority\n     runs on fw2: fake fw2: set_priority "
                             "priority=100"));
  EXPECT_TRUE(Performed("fw1").empty());
  EXPECT_TRUE(Performed("fw2").empty());
  EXPECT_TRUE(engine_->Runs().empty()) << "a rehearsal journals nothing";

  EngineReply unknown = engine_->DryRun("drain-then-cutover", {{"version", "2"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(unknown.message, HasSubstr("parameter 'version' is not a parameter of plan"));
}

}  // namespace
}  // namespace cutover
