#include "actions/plan/plan_loader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "tests/actions/plan/plan_fixture.h"
#include "tests/support/fake_driver.h"
#include "tests/support/temp_dir.h"

namespace cutover {
namespace {

using ::testing::ElementsAre;

// Two clusters: edge-fw on a driver that can do every action, lb-pair on the fake driver
// (connect, disconnect, set_priority only).
constexpr const char* kClusters = R"(
clusters:
  - name: edge-fw
    driver: versatile
    members:
      - name: fw1
      - name: fw2
  - name: lb-pair
    driver: fake
    members:
      - name: lb1
      - name: lb2
)";

class PlanLoaderTest : public testing::PlanFixture {
 protected:
  PlanLoaderTest() : PlanFixture(kClusters) {}

  std::vector<std::string> Errors(const std::string& yaml) {
    std::vector<std::string> errors;
    for (const ConfigError& e : Load(yaml).errors) errors.push_back(e.ToString());
    return errors;
  }

  static std::string Fixture(const std::string& name) {
    std::ifstream in(std::string(CUTOVER_SOURCE_DIR) + "/tests/actions/plan/testdata/" + name,
                     std::ios::binary);
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
  }
};

TEST_F(PlanLoaderTest, PauseAlertsAndADrainDeadlineLoad) {
  PlanLoadResult result = Load(
      "plan: p\ncluster: edge-fw\nwarning: No redundancy until the end.\n"
      "pause:\n  alerts: [CutoverConfigChangedDuringUpgrade]\n"
      "steps:\n  - name: cutover\n    action: disconnect\n    members: [fw1]\n"
      "    trigger: {alert: CutoverDrainComplete}\n"
      "    deadline: {after: 15m, then: proceed}\n"
      "  - name: after\n    action: connect\n    members: [fw2]\n");
  ASSERT_TRUE(result.ok()) << result.ErrorText();
  EXPECT_THAT(result.plan.pause_alerts, ElementsAre("CutoverConfigChangedDuringUpgrade"));
  EXPECT_EQ(result.plan.warning, "No redundancy until the end.");
  ASSERT_TRUE(result.plan.steps[0].deadline.has_value());
  EXPECT_EQ(result.plan.steps[0].deadline->after, std::chrono::minutes(15));
  EXPECT_EQ(result.plan.steps[0].deadline->then, DeadlinePolicy::kProceed);
  EXPECT_FALSE(result.plan.steps[1].deadline.has_value()) << "no deadline unless written";
}

TEST_F(PlanLoaderTest, CompletePlanLoadsWithEveryField) {
  const std::string path =
      std::string(CUTOVER_SOURCE_DIR) + "/tests/actions/plan/testdata/bgp_pair_upgrade.yaml";
  PlanLoadResult result = LoadPlanFile(path, config_, registry_);
  ASSERT_TRUE(result.ok()) << result.ErrorText();
  const Plan& plan = result.plan;
  EXPECT_EQ(plan.name, "bgp-pair-upgrade");
  EXPECT_EQ(plan.cluster, "edge-fw");
  EXPECT_EQ(plan.description, "Upgrade fw2 to 2.4.1 while fw1 carries the traffic.");
  EXPECT_EQ(plan.file, path);
  EXPECT_EQ(plan.digest, Fnv1aHex(Fixture("bgp_pair_upgrade.yaml")));
  EXPECT_TRUE(plan.rollback.on_gate_failure);
  EXPECT_FALSE(plan.rollback.on_timeout);
  EXPECT_THAT(plan.rollback.alerts, ElementsAre("CutoverNewVersionUnhealthy"));
  ASSERT_EQ(plan.steps.size(), 4u);

  const StepSpec& drain = plan.steps[0];
  EXPECT_EQ(drain.name, "drain-fw2");
  EXPECT_EQ(drain.where, path + ":15");
  EXPECT_EQ(drain.action.action, Action::kStartDrain);
  EXPECT_THAT(drain.action.members, ElementsAre("fw2"));
  EXPECT_TRUE(drain.action.params.empty());
  EXPECT_EQ(drain.action.where, path + ":16");
  EXPECT_EQ(drain.trigger.kind, TriggerKind::kManual);
  EXPECT_EQ(drain.timeout, std::chrono::minutes(20)) << "defaults.timeout applies";
  ASSERT_EQ(drain.gates.size(), 2u);

  const GateSpec& healthy = drain.gates[0];
  EXPECT_EQ(healthy.name, "pair-healthy");
  EXPECT_EQ(healthy.query, R"(min(cutover_member_up{ha_cluster="{{cluster}}"}))");
  EXPECT_EQ(healthy.condition.ToString(), "== 1");
  EXPECT_EQ(healthy.stage, GateStage::kBefore);
  EXPECT_EQ(healthy.samples, 2) << "defaults.gate_samples applies";
  EXPECT_EQ(healthy.interval, std::chrono::seconds(10)) << "defaults.gate_interval applies";
  EXPECT_EQ(healthy.no_data, NoDataPolicy::kFail);
  EXPECT_EQ(healthy.failure_limit, -1);
  EXPECT_EQ(healthy.inconclusive_limit, -1);
  EXPECT_EQ(healthy.consecutive_error_limit, 4);
  EXPECT_FALSE(healthy.PerMember());
  EXPECT_EQ(healthy.where, path + ":20");

  const GateSpec& drained = drain.gates[1];
  EXPECT_EQ(drained.name, "drained");
  EXPECT_TRUE(drained.PerMember());
  EXPECT_EQ(drained.condition.op, Comparison::kLess);
  EXPECT_EQ(drained.condition.threshold, 10);
  EXPECT_EQ(drained.stage, GateStage::kAfter);
  EXPECT_EQ(drained.samples, 3);
  EXPECT_EQ(drained.interval, std::chrono::seconds(15));
  EXPECT_EQ(drained.no_data, NoDataPolicy::kWait);
  EXPECT_EQ(drained.failure_limit, -1);
  EXPECT_EQ(drained.inconclusive_limit, 20);
  EXPECT_EQ(drained.consecutive_error_limit, 6);

  ASSERT_EQ(drain.rollback.size(), 1u);
  EXPECT_EQ(drain.rollback[0].action, Action::kStopDrain);
  EXPECT_THAT(drain.rollback[0].members, ElementsAre("fw2")) << "defaults to the step's members";
  EXPECT_EQ(drain.rollback[0].where, path + ":34");
  EXPECT_TRUE(drain.rollback_gates.empty());

  const StepSpec& upgrade = plan.steps[1];
  EXPECT_EQ(upgrade.action.action, Action::kUpgrade);
  EXPECT_EQ(upgrade.action.params, (std::map<std::string, std::string>{{"version", "2.4.1"}}));
  EXPECT_EQ(upgrade.trigger.kind, TriggerKind::kAlert);
  EXPECT_EQ(upgrade.trigger.alertname, "CutoverDrainComplete");
  EXPECT_EQ(upgrade.timeout, std::chrono::minutes(45));
  ASSERT_EQ(upgrade.gates.size(), 1u);
  EXPECT_EQ(upgrade.gates[0].failure_limit, 0);
  EXPECT_EQ(upgrade.gates[0].no_data, NoDataPolicy::kFail);
  ASSERT_EQ(upgrade.rollback.size(), 2u);
  EXPECT_EQ(upgrade.rollback[0].action, Action::kRun);
  EXPECT_EQ(upgrade.rollback[0].params,
            (std::map<std::string, std::string>{{"command", "apt-get install -y fw=2.3.9"},
                                                {"timeout", "600"}}));
  EXPECT_EQ(upgrade.rollback[1].action, Action::kStopDrain);
  ASSERT_EQ(upgrade.rollback_gates.size(), 1u);
  EXPECT_EQ(upgrade.rollback_gates[0].name, "fw1-still-active");
  EXPECT_EQ(upgrade.rollback_gates[0].condition.ToString(), ">= 1");

  const StepSpec& prefer = plan.steps[2];
  EXPECT_EQ(prefer.action.action, Action::kSetPriority);
  EXPECT_THAT(prefer.action.members, ElementsAre("fw2", "fw1")) << "members keep their order";
  EXPECT_EQ(prefer.action.params.at("priority"), "050") << "numbers are kept as written";
  EXPECT_EQ(prefer.trigger.kind, TriggerKind::kAuto);

  EXPECT_EQ(plan.steps[3].action.action, Action::kSetRole);
  EXPECT_EQ(plan.steps[3].action.params.at("role"), "active");
  EXPECT_EQ(plan.FindStep("prefer-fw2"), &plan.steps[2]);
}

TEST_F(PlanLoaderTest, BuiltInDefaultsApplyWhenThePlanSaysNothing) {
  PlanLoadResult result = Load(R"(plan: minimal
cluster: lb-pair
steps:
  - name: take-lb1-out
    action: disconnect
    members: [lb1]
    gates:
      - name: lb2-up
        query: 'cutover_member_up{ha_cluster="{{cluster}}",member="lb2"}'
        condition: == 1
    rollback_gates:
      - name: lb1-reachable
        query: 'cutover_member_up{ha_cluster="{{cluster}}",member="{{member}}"}'
        condition: == 1
    rollback:
      - action: connect
)");
  ASSERT_TRUE(result.ok()) << result.ErrorText();
  const Plan& plan = result.plan;
  EXPECT_EQ(plan.description, "");
  EXPECT_TRUE(plan.rollback.on_gate_failure);
  EXPECT_TRUE(plan.rollback.on_timeout);
  EXPECT_TRUE(plan.rollback.alerts.empty());
  ASSERT_EQ(plan.steps.size(), 1u);
  const StepSpec& step = plan.steps[0];
  EXPECT_EQ(step.trigger.kind, TriggerKind::kAuto);
  EXPECT_EQ(step.timeout, std::chrono::minutes(30));
  EXPECT_TRUE(step.action.params.empty());
  ASSERT_EQ(step.gates.size(), 1u);
  const GateSpec& gate = step.gates[0];
  EXPECT_EQ(gate.stage, GateStage::kBefore);
  EXPECT_EQ(gate.samples, 1);
  EXPECT_EQ(gate.interval, std::chrono::seconds(5));
  EXPECT_EQ(gate.no_data, NoDataPolicy::kFail);
  EXPECT_EQ(gate.failure_limit, -1);
  EXPECT_EQ(gate.inconclusive_limit, -1);
  EXPECT_EQ(gate.consecutive_error_limit, 4);
  ASSERT_EQ(step.rollback.size(), 1u);
  EXPECT_THAT(step.rollback[0].members, ElementsAre("lb1"));
  ASSERT_EQ(step.rollback_gates.size(), 1u);
  EXPECT_TRUE(step.rollback_gates[0].PerMember());
}

TEST_F(PlanLoaderTest, DigestFollowsTheBytesOfTheFile) {
  const std::string plan = Fixture("bgp_pair_upgrade.yaml");
  PlanLoadResult a = Load(plan);
  PlanLoadResult b = Load(plan + "# reviewed by ops\n");
  ASSERT_TRUE(a.ok()) << a.ErrorText();
  ASSERT_TRUE(b.ok()) << b.ErrorText();
  EXPECT_EQ(a.plan.digest, Fnv1aHex(plan));
  EXPECT_EQ(a.plan.digest.size(), 16u);
  EXPECT_NE(a.plan.digest, b.plan.digest) << "a run must see that its plan file changed";
}

TEST_F(PlanLoaderTest, YamlSyntaxErrorGivesTheLine) {
  EXPECT_THAT(Errors("plan: p\ncluster: edge-fw\nsteps:\n  - name: s\n    action: upgrade: now\n"
                     "    members: [fw1]\n"),
              ElementsAre("plan.yaml:5: not valid YAML: illegal map value (check indentation and "
                          "quoting)"));
}

TEST_F(PlanLoaderTest, UnquotedGreaterThanConditionExplainsTheQuoting) {
  EXPECT_THAT(Errors(R"(plan: p
cluster: edge-fw
steps:
  - name: s
    action: upgrade
    members: [fw1]
    gates:
      - name: g
        query: up
        condition: > 0
)"),
              ElementsAre("plan.yaml:10: not valid YAML: unexpected character in block scalar "
                          "(quote values that start with > or |, e.g. condition: \"> 10\")"));
}

TEST_F(PlanLoaderTest, UnreadableFileSaysSo) {
  PlanLoadResult result = LoadPlanFile("/nonexistent/plan.yaml", config_, registry_);
  EXPECT_EQ(result.ErrorText(),
            "/nonexistent/plan.yaml: cannot read the plan; check the path and permissions\n");
}

TEST_F(PlanLoaderTest, AllErrorsAreReportedAtOnceAndNoStepIsKept) {
  PlanLoadResult result = Load(R"(plan: p
cluster: edge-fw
steps:
  - name: good
    action: upgrade
    members: [fw1]
  - name: bad-member
    action: upgrade
    members: [fw9]
  - name: bad-timeout
    action: upgrade
    members: [fw1]
    timeout: soon
)");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.errors.size(), 2u) << result.ErrorText();
  EXPECT_EQ(result.errors[0].line, 9);
  EXPECT_EQ(result.errors[1].line, 13);
  EXPECT_TRUE(result.plan.steps.empty()) << "a plan with errors is never used";
}

struct BadPlan {
  std::string name;
  std::string yaml;
  std::vector<std::string> errors;
};

void PrintTo(const BadPlan& plan, std::ostream* out) { *out << plan.name; }

// Plan lines 1-3; steps start at line 4.
const std::string kHead = "plan: p\ncluster: edge-fw\nsteps:\n";
// A valid step at lines 4-6, to which cases append lines from 7 on.
const std::string kStep = kHead + "  - name: s\n    action: upgrade\n    members: [fw1]\n";
// kStep with one gate whose first line is 8; cases append gate keys from line 11 on.
const std::string kGate =
    kStep + "    gates:\n      - name: g\n        query: up\n        condition: \"< 1\"\n";

std::vector<BadPlan> BadPlans() {
  return {
      {"UnknownTopLevelKey",
       "plan: p\ncluster: edge-fw\nowner: ops\nsteps:\n  - name: s\n    action: upgrade\n"
       "    members: [fw1]\n",
       {"plan.yaml:3: plan: unknown key 'owner' (known keys: plan, params, cluster, clusters, "
        "description, warning, defaults, rollback, pause, steps)"}},
      {"UnknownStepKey",
       kStep + "    retries: 3\n",
       {"plan.yaml:7: step \"s\": unknown key 'retries' (known keys: name, when, action, "
        "members, params, trigger, timeout, deadline, gates, rollback, rollback_gates, "
        "rollback_boundary, at_once)"}},
      {"UnknownGateKey",
       kGate + "        threshold: 3\n",
       {"plan.yaml:11: gate \"g\": unknown key 'threshold' (known keys: name, query, condition, "
        "stage, samples, interval, no_data, failure_limit, inconclusive_limit, "
        "consecutive_error_limit)"}},
      {"UnknownCompensationKey",
       kStep + "    rollback:\n      - action: downgrade_later\n"
               "        after: now\n",
       {"plan.yaml:9: step \"s\": rollback #1: unknown key 'after' (known keys: when, "
        "action, members, params, at_once)",
        "plan.yaml:8: step \"s\": rollback #1: unknown action 'downgrade_later' (known: "
        "disconnect, connect, set_priority, set_role, start_drain, stop_drain, commit_sync, "
        "resync, upgrade, install_policy, disable_acceleration, start_upgrade_mode, "
        "stop_upgrade_mode, run)"}},
      {"UnknownDefaultsKey",
       "defaults:\n  retries: 2\n" + kStep,
       {"plan.yaml:2: defaults: unknown key 'retries' (known keys: timeout, gate_interval, "
        "gate_samples)"}},
      {"UnknownRollbackKey",
       "rollback:\n  on_error: true\n" + kStep,
       {"plan.yaml:2: rollback: unknown key 'on_error' (known keys: on_gate_failure, "
        "on_timeout, alerts, note)"}},
      {"UnknownTriggerKey",
       kStep + "    trigger: {alert: Go, severity: page}\n",
       {"plan.yaml:7: step \"s\".trigger: unknown key 'severity' (known keys: alert)"}},
      {"KeyGivenTwice",
       kStep + "    members: [fw2]\n",
       {"plan.yaml:7: key 'members' is given twice (first on line 6); keep one (YAML readers "
        "disagree on which one counts)"}},
      {"MissingPlanName",
       "cluster: edge-fw\nsteps:\n  - name: s\n    action: upgrade\n"
       "    members: [fw1]\n",
       {"plan.yaml:1: missing 'plan:'; name the plan, e.g. plan: bgp-pair-upgrade"}},
      {"MissingCluster",
       "plan: p\nsteps:\n  - name: s\n    action: upgrade\n    members: [fw1]\n",
       {"plan.yaml:1: missing 'cluster:'; name the cluster of cutover.yml this plan upgrades (or "
        "'clusters:' with a name for each cluster it acts on, e.g. clusters: {firewalls: "
        "edge-fw, routers: edge-rtr})"}},
      {"MissingSteps",
       "plan: p\ncluster: edge-fw\n",
       {"plan.yaml:1: missing 'steps:'; list the steps of the upgrade in order"}},
      {"EmptySteps",
       "plan: p\ncluster: edge-fw\nsteps: []\n",
       {"plan.yaml:3: 'steps' must be a non-empty list of steps (name, action, members, ...)"}},
      {"NotAMapping",
       "- just\n- a list\n",
       {"plan.yaml: the plan must be a YAML mapping with 'plan:', 'cluster:' and 'steps:' (see "
        "actions/plan/README.md)"}},
      {"MissingStepName",
       kHead + "  - action: upgrade\n    members: [fw1]\n",
       {"plan.yaml:4: step #1: missing 'name:'; name the step, e.g. name: drain-fw1"}},
      {"MissingAction",
       kHead + "  - name: s\n    members: [fw1]\n",
       {"plan.yaml:4: step \"s\": missing 'action:' (one of disconnect, connect, set_priority, "
        "set_role, start_drain, stop_drain, commit_sync, resync, upgrade, install_policy, "
        "disable_acceleration, start_upgrade_mode, stop_upgrade_mode, run)"}},
      {"MissingMembers",
       kHead + "  - name: s\n    action: upgrade\n",
       {"plan.yaml:4: step \"s\": missing 'members:'; list the members to act on (members of "
        "\"edge-fw\": fw1, fw2)"}},
      {"EmptyMembers",
       kHead + "  - name: s\n    action: upgrade\n    members: []\n",
       {"plan.yaml:6: step \"s\": 'members' must be a non-empty list (e.g. members: [fw1], "
        "[\"*\"] for all, or [\"{{param}}\"]) or {all_except: [...]}"}},
      {"MissingGateName",
       kStep + "    gates:\n      - query: up\n        condition: \"< 1\"\n",
       {"plan.yaml:8: step \"s\": gate #1: missing 'name:'; name the gate, e.g. name: drained"}},
      {"MissingGateQuery",
       kStep + "    gates:\n      - name: g\n        condition: \"< 1\"\n",
       {"plan.yaml:8: gate \"g\": missing 'query:' (the PromQL to measure, e.g. "
        "cutover_member_connections{ha_cluster=\"{{cluster}}\",member=\"{{member}}\"})"}},
      {"MissingGateCondition",
       kStep + "    gates:\n      - name: g\n        query: up\n",
       {"plan.yaml:8: gate \"g\": missing 'condition:' (e.g. condition: \"< 10\"; operators <, "
        "<=, ==, !=, >=, >)"}},
      {"InvalidPlanName",
       "plan: bgp pair\ncluster: edge-fw\nsteps:\n  - name: s\n"
       "    action: upgrade\n    members: [fw1]\n",
       {"plan.yaml:1: plan name 'bgp pair' is not valid; use 1 to 64 characters from A-Z a-z "
        "0-9 _ . -"}},
      {"InvalidStepName",
       kHead + "  - name: drain/fw1\n    action: upgrade\n    members: [fw1]\n",
       {"plan.yaml:4: step #1: name 'drain/fw1' is not valid; use 1 to 64 characters from A-Z "
        "a-z 0-9 _ . -"}},
      {"InvalidGateName",
       kStep + "    gates:\n      - name: \"is drained?\"\n        query: up\n"
               "        condition: \"< 1\"\n",
       {"plan.yaml:8: step \"s\": gate #1: name 'is drained?' is not valid; use 1 to 64 "
        "characters from A-Z a-z 0-9 _ . -"}},
      {"DuplicateStep",
       kStep + "  - name: s\n    action: upgrade\n    members: [fw2]\n",
       {"plan.yaml:7: step \"s\" is defined twice; give each step its own name"}},
      {"DuplicateOfAStepWithErrors",
       kHead + "  - name: s\n    action: reboot\n    members: [fw1]\n  - name: s\n"
               "    action: upgrade\n    members: [fw2]\n",
       {"plan.yaml:5: step \"s\": unknown action 'reboot' (known: disconnect, connect, "
        "set_priority, set_role, start_drain, stop_drain, commit_sync, resync, upgrade, "
        "install_policy, disable_acceleration, start_upgrade_mode, stop_upgrade_mode, run)",
        "plan.yaml:7: step \"s\" is defined twice; give each step its own name"}},
      {"DuplicateGate",
       kGate + "      - name: g\n        query: up\n        condition: \"< 2\"\n",
       {"plan.yaml:11: step \"s\": gate \"g\" is defined twice in this step; give each gate its "
        "own name"}},
      {"RollbackGateNamedLikeAGate",
       kGate + "    rollback_gates:\n      - name: g\n        query: up\n"
               "        condition: \"< 2\"\n",
       {"plan.yaml:12: step \"s\": gate \"g\" is defined twice in this step; give each gate its "
        "own name"}},
      {"UnknownCluster",
       "plan: p\ncluster: edge\nsteps:\n  - name: s\n    action: upgrade\n"
       "    members: [fw1]\n",
       {"plan.yaml:2: cluster \"edge\" is not in cutover.yml (known clusters: edge-fw, "
        "lb-pair)"}},
      {"UnknownMember",
       kHead + "  - name: s\n    action: upgrade\n    members: [fw1, fw3]\n",
       {"plan.yaml:6: step \"s\": member \"fw3\" is not in cluster \"edge-fw\" (its members: "
        "fw1, fw2)"}},
      {"MemberListedTwice",
       kHead + "  - name: s\n    action: upgrade\n    members: [fw1, fw1]\n",
       {"plan.yaml:6: step \"s\": member \"fw1\" is listed twice"}},
      {"DriverLacksAction",
       "plan: p\ncluster: lb-pair\nsteps:\n  - name: s\n"
       "    action: start_drain\n    members: [lb1]\n",
       {"plan.yaml:6: step \"s\": member \"lb1\" (driver 'fake') cannot start_drain; its driver "
        "supports connect, disconnect, set_priority"}},
      {"CompensationDriverLacksAction",
       "plan: p\ncluster: lb-pair\nsteps:\n  - name: s\n    action: disconnect\n"
       "    members: [lb1]\n    rollback:\n      - action: stop_drain\n        members: [lb2]\n",
       {"plan.yaml:9: step \"s\": rollback #1: member \"lb2\" (driver 'fake') cannot stop_drain; "
        "its driver supports connect, disconnect, set_priority"}},
      {"UnknownAction",
       kHead + "  - name: s\n    action: reboot\n    members: [fw1]\n",
       {"plan.yaml:5: step \"s\": unknown action 'reboot' (known: disconnect, connect, "
        "set_priority, set_role, start_drain, stop_drain, commit_sync, resync, upgrade, "
        "install_policy, disable_acceleration, start_upgrade_mode, stop_upgrade_mode, run)"}},
      {"SetPriorityWithoutPriority",
       kHead +
           "  - name: s\n    action: set_priority\n    members: [fw1]\n    params: {weight: 5}\n",
       {"plan.yaml:7: step \"s\": action set_priority needs parameter 'priority' (write params: "
        "{priority: \"50\"})"}},
      {"RunWithoutCommand",
       kHead + "  - name: s\n    action: run\n    members: [fw1]\n",
       {"plan.yaml:4: step \"s\": action run needs parameter 'command' (write params: {command: "
        "\"systemctl restart keepalived\"})"}},
      {"SetRoleWithoutRole",
       kHead + "  - name: s\n    action: set_role\n    members: [fw1]\n",
       {"plan.yaml:4: step \"s\": action set_role needs parameter 'role' (write params: {role: "
        "standby})"}},
      {"SetRoleToUnknownRole",
       kHead + "  - name: s\n    action: set_role\n    members: [fw1]\n    params:\n"
               "      role: master\n",
       {"plan.yaml:8: step \"s\": role 'master' is not a role set_role can set (use active or "
        "standby)"}},
      {"ParamIsAList",
       kStep + "    params:\n      version: [1, 2]\n",
       {"plan.yaml:8: step \"s\": parameter 'version' must be a single value (a string or a "
        "number), not a list or mapping"}},
      {"ParamIsEmpty",
       kStep + "    params:\n      version:\n",
       {"plan.yaml:8: step \"s\": parameter 'version' must be a single value (a string or a "
        "number), not empty"}},
      {"UnknownOperator",
       kStep + "    gates:\n      - name: drained\n        query: up\n"
               "        condition: \"=< 10\"\n",
       {"plan.yaml:10: gate \"drained\": unknown operator '=<' (use <, <=, ==, !=, >=, >)"}},
      {"ConditionWithoutNumber",
       kStep + "    gates:\n      - name: drained\n        query: up\n"
               "        condition: \"<\"\n",
       {"plan.yaml:10: gate \"drained\": condition '<' has no number after '<' (write e.g. \"< "
        "10\")"}},
      {"StepTimeoutWithoutUnit",
       kStep + "    timeout: 30\n",
       {"plan.yaml:7: step \"s\".timeout: '30' is not a duration above zero (it has no unit: "
        "30s is 30 seconds); write it like Prometheus, largest unit first: 30s, 10m, 1h30m, 500ms "
        "or 7d"}},
      {"StepTimeoutZero",
       kStep + "    timeout: 0s\n",
       {"plan.yaml:7: step \"s\".timeout: '0s' is not a duration above zero; write it like "
        "Prometheus, largest unit first: 30s, 10m, 1h30m, 500ms or 7d"}},
      {"DefaultTimeoutBad",
       "defaults:\n  timeout: 10 minutes\n" + kStep,
       {"plan.yaml:2: defaults.timeout: '10 minutes' is not a duration above zero (spaces are "
        "refused); write it like Prometheus, largest unit first: 30s, 10m, 1h30m, 500ms or 7d"}},
      {"GateIntervalBad",
       kGate + "        interval: 5 s\n",
       {"plan.yaml:11: gate \"g\".interval: '5 s' is not a duration above zero (spaces are "
        "refused); write it like Prometheus, largest unit first: 30s, 10m, 1h30m, 500ms or 7d"}},
      {"SamplesZero",
       kGate + "        samples: 0\n",
       {"plan.yaml:11: gate \"g\".samples: '0' is out of range; write a whole number of 1 or "
        "more (consecutive passing measurements)"}},
      {"DefaultSamplesZero",
       "defaults:\n  gate_samples: 0\n" + kStep,
       {"plan.yaml:2: defaults.gate_samples: '0' is out of range; write a whole number of 1 or "
        "more (consecutive passing measurements)"}},
      {"FailureLimitBelowMinusOne",
       kGate + "        failure_limit: -2\n",
       {"plan.yaml:11: gate \"g\".failure_limit: '-2' is out of range; write a whole number of "
        "-1 or more (-1 for no limit)"}},
      {"InconclusiveLimitNotANumber",
       kGate + "        inconclusive_limit: 2.5\n",
       {"plan.yaml:11: gate \"g\".inconclusive_limit: '2.5' is not a whole number (decimals and "
        "exponents are refused); write a whole number of -1 or more (-1 for no limit)"}},
      {"ErrorLimitNotANumber",
       kGate + "        consecutive_error_limit: many\n",
       {"plan.yaml:11: gate \"g\".consecutive_error_limit: 'many' is not a whole number; write a "
        "whole number of -1 or more (-1 for no limit)"}},
      {"EmptyQuery",
       kStep + "    gates:\n      - name: g\n        query: \" \"\n"
               "        condition: \"< 1\"\n",
       {"plan.yaml:9: gate \"g\": query is empty; write the PromQL to measure"}},
      {"UnknownPlaceholder",
       kStep + "    gates:\n      - name: g\n        query: 'up{job=\"{{job}}\"}'\n"
               "        condition: \"< 1\"\n",
       {"plan.yaml:9: gate \"g\": unknown placeholder '{{job}}' in query (only {{cluster}}, "
        "{{member}} and the plan's parameters are replaced; its parameters: none)"}},
      {"UnclosedPlaceholder",
       kStep + "    gates:\n      - name: g\n        query: 'up{member=\"{{member\"}'\n"
               "        condition: \"< 1\"\n",
       {"plan.yaml:9: gate \"g\": query has '{{' without '}}'; close the placeholder, e.g. "
        "{{member}}"}},
      {"MemberPlaceholderOnStepWithoutMembers",
       kHead + "  - name: s\n    action: upgrade\n    gates:\n      - name: g\n"
               "        query: 'up{member=\"{{member}}\"}'\n        condition: \"< 1\"\n",
       {"plan.yaml:4: step \"s\": missing 'members:'; list the members to act on (members of "
        "\"edge-fw\": fw1, fw2)",
        "plan.yaml:8: gate \"g\": query uses {{member}} but its step has no members to "
        "measure; list the step's members or measure the cluster with {{cluster}}"}},
      {"TriggerAlertNameInvalid",
       kStep + "    trigger: {alert: 2fast}\n",
       {"plan.yaml:7: step \"s\": trigger alert '2fast' is not an alertname (letters, digits and "
        "_, not starting with a digit)"}},
      {"TriggerAlertNameWithDash",
       kStep + "    trigger:\n      alert: drain-complete\n",
       {"plan.yaml:8: step \"s\": trigger alert 'drain-complete' is not an alertname (letters, "
        "digits and _, not starting with a digit)"}},
      {"TriggerUnknownWord",
       kStep + "    trigger: sometimes\n",
       {"plan.yaml:7: step \"s\": unknown trigger 'sometimes' (write trigger: auto, trigger: "
        "manual or trigger: {alert: AlertName})"}},
      {"TriggerAlertAlsoRollsBack",
       "rollback:\n  alerts: [CutoverGo]\n" + kStep + "    trigger: {alert: CutoverGo}\n",
       {"plan.yaml:9: step \"s\": alert 'CutoverGo' both starts this step and rolls back or "
        "pauses the plan (line 2); use different alerts"}},
      {"TriggerAlertAlsoPauses",
       "pause:\n  alerts: [CutoverGo]\n" + kStep + "    trigger: {alert: CutoverGo}\n",
       {"plan.yaml:9: step \"s\": alert 'CutoverGo' both starts this step and rolls back or "
        "pauses the plan (line 2); use different alerts"}},
      {"PauseAlertAlsoRollsBack",
       "rollback:\n  alerts: [CutoverX]\npause:\n  alerts: [CutoverX]\n" + kStep,
       {"plan.yaml:4: pause.alerts: 'CutoverX' is already listed (line 2); an alert either "
        "rolls back or pauses a run, once"}},
      {"PauseNotAMapping",
       "pause: [CutoverX]\n" + kStep,
       {"plan.yaml:1: 'pause' must be a mapping with alerts, e.g. pause: {alerts: "
        "[CutoverConfigChangedDuringUpgrade]}"}},
      {"PauseAlertsNotAList",
       "pause:\n  alerts: CutoverX\n" + kStep,
       {"plan.yaml:2: pause.alerts must be a list of alertnames, e.g. "
        "[CutoverConfigChangedDuringUpgrade]"}},
      {"DeadlineWithoutAfter",
       kStep + "    deadline: {then: proceed}\n",
       {"plan.yaml:7: step \"s\": deadline has no 'after', e.g. deadline: {after: 20m, then: "
        "proceed}"}},
      {"DeadlineUnknownPolicy",
       kStep + "    deadline:\n      after: 20m\n      then: skip\n",
       {"plan.yaml:9: step \"s\": deadline.then 'skip' is not a policy; use wait (keep waiting), "
        "proceed (perform the action anyway) or rollback"}},
      {"DeadlineNotAMapping",
       kStep + "    deadline: 20m\n",
       {"plan.yaml:7: step \"s\": 'deadline' must be a mapping with after and then, e.g. "
        "deadline: {after: 20m, then: proceed}"}},
      {"DeadlineZero",
       kStep + "    deadline: {after: 0s, then: wait}\n",
       {"plan.yaml:7: step \"s\".deadline.after: '0s' is not a duration above zero; write it like "
        "Prometheus, largest unit first: 30s, 10m, 1h30m, 500ms or 7d"}},
      {"NoDataPass",
       kGate + "        no_data: pass\n",
       {"plan.yaml:11: gate \"g\": no_data: pass is refused: an empty result means nothing was "
        "measured (a member not scraped, a typo in the query), and cutover acts only on "
        "evidence (use fail or wait)"}},
      {"NoDataUnknown",
       kGate + "        no_data: skip\n",
       {"plan.yaml:11: gate \"g\": unknown no_data policy 'skip' (use fail or wait)"}},
      {"StageUnknown",
       kGate + "        stage: during\n",
       {"plan.yaml:11: gate \"g\": unknown stage 'during' (use before or after)"}},
      {"RollbackGateAfter",
       kStep + "    rollback_gates:\n      - name: g\n        query: up\n"
               "        condition: \"< 1\"\n        stage: after\n",
       {"plan.yaml:11: gate \"g\": rollback gates are measured before the compensations run; "
        "remove 'stage: after'"}},
      {"RollbackPolicyNotBoolean",
       "rollback:\n  on_timeout: yes\n" + kStep,
       {"plan.yaml:2: rollback.on_timeout: 'yes' is not true or false; write true or false "
        "(yes/no, on/off and y/n are refused: YAML 1.1 readers take them as booleans, YAML 1.2 "
        "readers as text)"}},
      {"RollbackAlertInvalid",
       "rollback:\n  alerts: [CutoverNewVersionUnhealthy, new-version]\n" + kStep,
       {"plan.yaml:2: rollback.alerts: 'new-version' is not an alertname (letters, digits and "
        "_, not starting with a digit)"}},
  };
}

class BadPlanTest : public PlanLoaderTest, public ::testing::WithParamInterface<BadPlan> {};

TEST_P(BadPlanTest, IsRefusedWithLineAndFix) {
  PlanLoadResult result = Load(GetParam().yaml);
  std::vector<std::string> errors;
  for (const ConfigError& e : result.errors) errors.push_back(e.ToString());
  EXPECT_EQ(errors, GetParam().errors) << "plan:\n" << GetParam().yaml;
  EXPECT_FALSE(result.ok());
  EXPECT_TRUE(result.plan.steps.empty());
}

std::string CaseName(const ::testing::TestParamInfo<BadPlan>& param) { return param.param.name; }

INSTANTIATE_TEST_SUITE_P(Validation, BadPlanTest, ::testing::ValuesIn(BadPlans()), CaseName);

}  // namespace
}  // namespace cutover
