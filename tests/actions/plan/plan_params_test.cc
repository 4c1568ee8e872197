// Plan parameters and plans over several clusters: what an operator gives at a start is
// checked by type before it is used anywhere, and a bad value names the parameter and the
// fix.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "actions/plan/plan_loader.h"
#include "tests/actions/plan/plan_fixture.h"
#include "tests/support/fake_driver.h"

namespace cutover {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Firewalls and the routers that select them; every driver here can do every action but
// the routers' (connect, disconnect, set_priority only).
constexpr const char* kClusters = R"(
clusters:
  - name: edge-fw
    driver: versatile
    members: [{name: fw1}, {name: fw2}, {name: fw3}, {name: fw4}]
  - name: edge-rtr
    driver: fake
    members: [{name: r1}, {name: r2}]
  - name: edge-fw-new
    driver: versatile
    members: [{name: fw1}, {name: fw2}]
)";

// Every parameter type, each used where the issue says parameters may appear.
const std::string kPlan = R"(plan: osu
cluster: edge-fw
description: Upgrade to {{new_version}}, keep {{old}}.
params:
  new_version: {type: version, help: the version to install}
  old: {type: member, help: the OLD member}
  first_new: {type: member, default: fw2}
  others: {type: members, default: [fw3, fw4]}
  ceiling: {type: integer, default: 5000}
  ratio: {type: number, default: 0.9}
  deadline: {type: duration, default: 20m}
  samples: {type: integer, default: 3}
  policy: {type: string, values: [wait, proceed, rollback], default: wait}
  note: {type: string, default: "it's fine"}
steps:
  - name: disconnect
    action: disconnect
    members: {all_except: ["{{old}}"]}
    gates:
      - name: low-traffic
        query: 'sum(cutover_member_connections{ha_cluster="{{cluster}}"}) / {{ceiling}}'
        condition: "<= {{ratio}}"
        samples: "{{samples}}"
        interval: "{{deadline}}"
      - name: version
        query: 'cutover_member_info{ha_cluster="{{cluster}}",member="{{member}}",version="{{new_version}}",note="{{note}}"}'
        condition: "== 1"
        stage: after
  - name: connect-first
    action: connect
    members: ["{{first_new}}"]
    timeout: "{{deadline}}"
    deadline: {after: "{{deadline}}", then: "{{policy}}"}
  - name: connect-others
    action: connect
    members: ["{{others}}"]
  - name: upgrade-old
    action: run
    members: ["{{old}}"]
    params: {command: "install {{new_version}} --note {{note}}", version: "{{new_version}}"}
)";

class PlanParamsTest : public testing::PlanFixture {
 protected:
  PlanParamsTest() : PlanFixture(kClusters) {}
  PlanLoadResult Start(const std::string& yaml, const ParamValues& params) {
    PlanLoadResult loaded = Load(yaml);
    EXPECT_TRUE(loaded.ok()) << loaded.ErrorText();
    return InstantiatePlan(loaded.plan, params, config_, registry_);
  }
  std::string StartErrors(const std::string& yaml, const ParamValues& params) {
    PlanLoadResult result = Start(yaml, params);
    EXPECT_FALSE(result.ok()) << "started with bad parameters";
    return result.ErrorText();
  }
};

TEST_F(PlanParamsTest, APlanWithRequiredParametersChecksAsShippedButCannotRunWithoutThem) {
  PlanLoadResult loaded = Load(kPlan);
  ASSERT_TRUE(loaded.ok()) << loaded.ErrorText();
  EXPECT_FALSE(loaded.plan.complete) << "new_version and old have no default";
  EXPECT_EQ(loaded.plan.params.size(), 10u);
  EXPECT_EQ(loaded.plan.param_values.count("new_version"), 0u);
  EXPECT_EQ(loaded.plan.param_values.at("ceiling"), "5000");
}

TEST_F(PlanParamsTest, EveryFieldTakesItsParameterAtStart) {
  PlanLoadResult run = Start(kPlan, {{"new_version", "R81.20"}, {"old", "fw1"}});
  ASSERT_TRUE(run.ok()) << run.ErrorText();
  const Plan& plan = run.plan;
  EXPECT_TRUE(plan.complete);
  EXPECT_EQ(plan.description, "Upgrade to R81.20, keep fw1.");
  EXPECT_THAT(plan.steps[0].action.members, ElementsAre("fw2", "fw3", "fw4"))
      << "all_except the OLD member, in the configuration's order";
  const GateSpec& low = plan.steps[0].gates[0];
  EXPECT_EQ(low.query, R"(sum(cutover_member_connections{ha_cluster="{{cluster}}"}) / 5000)");
  EXPECT_EQ(low.condition.ToString(), "<= 0.9");
  EXPECT_EQ(low.samples, 3);
  EXPECT_EQ(low.interval, std::chrono::minutes(20));
  EXPECT_EQ(
      plan.steps[0].gates[1].query,
      R"(cutover_member_info{ha_cluster="{{cluster}}",member="{{member}}",version="R81.20",note="it's fine"})")
      << "{{cluster}} and {{member}} stay for the engine; parameters are filled in";
  EXPECT_THAT(plan.steps[1].action.members, ElementsAre("fw2"));
  EXPECT_EQ(plan.steps[1].timeout, std::chrono::minutes(20));
  ASSERT_TRUE(plan.steps[1].deadline);
  EXPECT_EQ(plan.steps[1].deadline->then, DeadlinePolicy::kWait);
  EXPECT_THAT(plan.steps[2].action.members, ElementsAre("fw3", "fw4"));
  EXPECT_EQ(plan.steps[3].action.params.at("command"), "install R81.20 --note 'it'\\''s fine'")
      << "a value in a shell command is one quoted word";
  EXPECT_EQ(plan.steps[3].action.params.at("version"), "R81.20")
      << "other driver parameters get the value as written (drivers pass them as arguments)";
  EXPECT_EQ(plan.param_values.at("old"), "fw1");
  EXPECT_EQ(plan.param_values.at("others"), "fw3,fw4");
}

TEST_F(PlanParamsTest, AMissingUnknownOrIllTypedParameterIsNamedWithTheFix) {
  EXPECT_THAT(StartErrors(kPlan, {{"old", "fw1"}}),
              HasSubstr("parameter 'new_version' (version) has no default: give it, e.g. "
                        "--param new_version=2.4.1 (the version to install)"));
  EXPECT_THAT(StartErrors(kPlan, {{"new_version", "1"}, {"old", "fw1"}, {"olt", "fw1"}}),
              HasSubstr("parameter 'olt' is not a parameter of plan \"osu\" (it takes: "
                        "new_version, old, first_new, others, ceiling, ratio, deadline, samples, "
                        "policy, note)"));
  struct Bad {
    std::string param, value, message;
  };
  for (const Bad& bad : std::vector<Bad>{
           {"new_version", "2.0; rm -rf /", "is not a version"},
           {"new_version", "", "is not a version"},
           {"old", "fw9",
            "names \"fw9\", which is not a member of cluster \"edge-fw\" (its members: fw1, fw2, "
            "fw3, fw4)"},
           {"old", "fw1,fw2", "names more than one member; the parameter takes one"},
           {"others", "fw3,fw3", "names \"fw3\" twice"},
           {"others", ",", "names no member"},
           {"ceiling", "5k", "is not a whole number"},
           {"ceiling", "1.5", "is not a whole number"},
           {"ceiling", "99999999999999999999", "is not a whole number"},
           {"ratio", "NaN", "is not a finite number"},
           {"ratio", "0.9x", "is not a finite number"},
           {"deadline", "20", "is not a duration above zero"},
           {"deadline", "0s", "is not a duration above zero"},
           {"policy", "later", "is not one of wait, proceed, rollback"},
           {"note", "a\nb", "holds a control character"},
       }) {
    ParamValues params = {{"new_version", "2.0"}, {"old", "fw1"}};
    params[bad.param] = bad.value;
    std::string errors = StartErrors(kPlan, params);
    EXPECT_THAT(errors, HasSubstr("parameter '" + bad.param + "'")) << bad.value;
    EXPECT_THAT(errors, HasSubstr(bad.message)) << bad.param << "=" << bad.value;
  }
}

TEST_F(PlanParamsTest, ADefaultThatDoesNotFitItsTypeIsRefusedWhenThePlanLoads) {
  PlanLoadResult result = Load(
      "plan: p\ncluster: edge-fw\nparams:\n  n: {type: integer, default: many}\n"
      "steps:\n  - name: s\n    action: connect\n    members: [fw1]\n");
  EXPECT_EQ(
      result.ErrorText(),
      "plan.yaml:4: parameter 'n' (integer): default \"many\" is not a whole number (write e.g. "
      "10 or -1)\n");
}

TEST_F(PlanParamsTest, AParameterInAFieldOfAnotherTypeIsRefusedWhenThePlanLoads) {
  const std::string head =
      "plan: p\ncluster: edge-fw\nparams:\n  v: {type: version}\n  m: {type: members}\n"
      "steps:\n  - name: s\n    action: connect\n    members: [fw1]\n";
  EXPECT_THAT(Load(head + "    timeout: \"{{v}}\"\n").ErrorText(),
              HasSubstr("'{{v}}' is a version parameter; this field takes one duration "
                        "parameter, alone"));
  EXPECT_THAT(Load(head + "    gates:\n      - {name: g, query: 'up', condition: \"< {{v}}\"}\n")
                  .ErrorText(),
              HasSubstr("this field takes integer or number parameters"));
  EXPECT_THAT(Load(head + "    gates:\n      - {name: g, query: 'up{m=\"{{m}}\"}', condition: "
                          "\"< 1\"}\n")
                  .ErrorText(),
              HasSubstr("'{{m}}' is a members parameter"));
  EXPECT_THAT(Load(head + "    timeout: \"{{nope}}\"\n").ErrorText(),
              HasSubstr("unknown placeholder '{{nope}}' (only the plan's parameters are replaced; "
                        "its parameters: v, m)"));
  EXPECT_THAT(
      Load("plan: p\ncluster: edge-fw\nparams:\n  member: {type: member}\nsteps:\n  - name: s\n"
           "    action: connect\n    members: [fw1]\n")
          .ErrorText(),
      HasSubstr("{{cluster}} and {{member}} mean the step's cluster and member"));
}

TEST_F(PlanParamsTest, AValueInPromQlIsEscapedInsideQuotesAndRefusedOutside) {
  const std::string head =
      "plan: p\ncluster: edge-fw\nparams:\n  v: {type: string}\nsteps:\n  - name: s\n"
      "    action: connect\n    members: [fw1]\n    gates:\n";
  PlanLoadResult quoted =
      Start(head + "      - {name: g, query: 'up{job=\"{{v}}\"}', condition: \"== 1\"}\n",
            {{"v", R"(a"} or vector(1) or up{x="\)"}});
  ASSERT_TRUE(quoted.ok()) << quoted.ErrorText();
  EXPECT_EQ(quoted.plan.steps[0].gates[0].query, R"(up{job="a\"} or vector(1) or up{x=\"\\"})")
      << "the value stays inside its label value";
  EXPECT_THAT(
      Load(head + "      - {name: g, query: 'up > {{v}}', condition: \"== 1\"}\n").ErrorText(),
      HasSubstr("'{{v}}' (string) must stand inside a quoted label value"));
  EXPECT_THAT(
      Load(head + "      - {name: g, query: 'up{job=`{{v}}`}', condition: \"== 1\"}\n").ErrorText(),
      HasSubstr("must stand inside a quoted label value"))
      << "a backtick string cannot escape anything";
}

TEST_F(PlanParamsTest, AMembersParameterInAQueryIsAnAlternationOfExactlyThoseMembers) {
  const std::string plan =
      "plan: p\ncluster: edge-fw\nparams:\n  paths: {type: members}\nsteps:\n  - name: s\n"
      "    action: connect\n    members: [fw1]\n    gates:\n"
      "      - {name: g, query: 'min(up{member=~\"{{paths}}\"})', condition: \"== 1\"}\n";
  PlanLoadResult run = Start(plan, {{"paths", "fw1,fw2"}});
  ASSERT_TRUE(run.ok()) << run.ErrorText();
  EXPECT_EQ(run.plan.steps[0].gates[0].query, R"(min(up{member=~"fw1|fw2"}))");
  EXPECT_THAT(Load("plan: p\ncluster: edge-fw\nparams:\n  paths: {type: members}\nsteps:\n"
                   "  - name: s\n    action: connect\n    members: [fw1]\n    gates:\n"
                   "      - {name: g, query: 'up{member=~\"x|{{paths}}\"}', condition: \"== 1\"}\n")
                  .ErrorText(),
              HasSubstr("a members parameter only as a whole regex matcher value"))
      << "only the whole matcher: a partial one could match other members";
}

// Firewalls and the routers that select them, in one plan.
const std::string kTwoClusters = R"(plan: bgp
params:
  standby: {type: member, target: firewalls, help: the member to upgrade first}
clusters:
  firewalls: edge-fw
  routers: edge-rtr
steps:
  - name: prefer-peer
    action: set_priority
    members: [routers/*]
    params: {priority: "50"}
    gates:
      - {name: routers-up, query: 'min(up{ha_cluster="{{cluster}}"})', condition: "== 1"}
  - name: upgrade
    action: upgrade
    members: ["{{standby}}"]
    params: {version: "2.0"}
    rollback:
      - action: set_priority
        members: [routers/r1]
        params: {priority: "100"}
)";

TEST_F(PlanParamsTest, APlanActsOnFirewallsAndTheRoutersThatSelectThem) {
  PlanLoadResult run = Start(kTwoClusters, {{"standby", "fw2"}});
  ASSERT_TRUE(run.ok()) << run.ErrorText();
  EXPECT_THAT(run.plan.Clusters(), ElementsAre("edge-fw", "edge-rtr"));
  EXPECT_EQ(run.plan.cluster, "edge-fw") << "the first target is the plan's own";
  EXPECT_EQ(run.plan.steps[0].action.cluster, "edge-rtr");
  EXPECT_THAT(run.plan.steps[0].action.members, ElementsAre("r1", "r2"));
  EXPECT_EQ(run.plan.steps[1].action.cluster, "edge-fw");
  EXPECT_THAT(run.plan.steps[1].action.members, ElementsAre("fw2"));
  EXPECT_EQ(run.plan.steps[1].rollback[0].cluster, "edge-rtr")
      << "a compensation may act on another cluster than its step";
}

TEST_F(PlanParamsTest, MultiClusterMistakesAreNamed) {
  auto errors = [&](const std::string& yaml) { return Load(yaml).ErrorText(); };
  const std::string head = "plan: p\nclusters:\n  firewalls: edge-fw\n  routers: edge-rtr\n";
  EXPECT_THAT(errors(head + "steps:\n  - {name: s, action: connect, members: [fw1]}\n"),
              HasSubstr("member \"fw1\" needs its cluster: the plan acts on several, write e.g. "
                        "firewalls/fw1"));
  EXPECT_THAT(
      errors(head +
             "steps:\n  - {name: s, action: connect, members: [firewalls/fw1, routers/r1]}\n"),
      HasSubstr("a step acts on the members of one cluster; \"edge-fw\" and \"edge-rtr\" are two "
                "(split the step)"));
  EXPECT_THAT(errors(head + "steps:\n  - {name: s, action: upgrade, members: [routers/r1]}\n"),
              HasSubstr("member \"r1\" (driver 'fake') cannot upgrade"));
  EXPECT_THAT(errors(head + "steps:\n  - {name: s, action: connect, members: [switches/s1]}\n"),
              HasSubstr("'switches' in \"switches/s1\" is not one of the plan's clusters "
                        "(clusters: firewalls, routers)"));
  EXPECT_THAT(errors("plan: p\ncluster: edge-fw\nclusters: {a: edge-fw}\nsteps: []\n"),
              HasSubstr("give either 'cluster:' (one cluster) or 'clusters:'"));
  EXPECT_THAT(errors("plan: p\nclusters: {a: edge-fw, b: edge-fw}\n"
                     "steps:\n  - {name: s, action: connect, members: [a/fw1]}\n"),
              HasSubstr("cluster \"edge-fw\" is already the target \"a\"; name each cluster once"));
  EXPECT_THAT(errors("plan: p\nparams:\n  m: {type: member}\n" + head.substr(8) +
                     "steps:\n  - {name: s, action: connect, members: [\"{{m}}\"]}\n"),
              HasSubstr("parameter 'm' needs 'target:' naming one of the plan's clusters"));
}

TEST_F(PlanParamsTest, AnUnknownClusterIsReportedOnceNotAgainAtEachMemberParameter) {
  EXPECT_EQ(Load("plan: p\ncluster: edge-db\nparams:\n  old: {type: member}\nsteps:\n"
                 "  - {name: s, action: connect, members: [\"{{old}}\"]}\n")
                .ErrorText(),
            "plan.yaml:2: cluster \"edge-db\" is not in cutover.yml (known clusters: edge-fw, "
            "edge-rtr, edge-fw-new)\n");
}

TEST_F(PlanParamsTest, AClusterParameterChoosesTheClusterAtStart) {
  const std::string plan =
      "plan: blue-green\nparams:\n  new: {type: cluster}\n"
      "clusters:\n  old: edge-fw\n  new: \"{{new}}\"\n"
      "steps:\n  - {name: s, action: connect, members: [new/*]}\n";
  PlanLoadResult run = Start(plan, {{"new", "edge-fw-new"}});
  ASSERT_TRUE(run.ok()) << run.ErrorText();
  EXPECT_EQ(run.plan.steps[0].action.cluster, "edge-fw-new");
  EXPECT_THAT(run.plan.steps[0].action.members, ElementsAre("fw1", "fw2"));
  EXPECT_THAT(StartErrors(plan, {{"new", "edge-db"}}),
              HasSubstr("parameter 'new' (cluster): \"edge-db\" is not a cluster of cutover.yml"));
  EXPECT_THAT(StartErrors(plan, {{"new", "edge-fw"}}),
              HasSubstr("cluster \"edge-fw\" is already the target \"old\""));
}

// The two-cluster example of actions/plan/README.md is a plan that loads and starts.
TEST_F(PlanParamsTest, TheReadmesTwoClusterExampleStartsAsDocumented) {
  std::ifstream in(std::string(CUTOVER_SOURCE_DIR) + "/actions/plan/README.md");
  std::stringstream text;
  text << in.rdbuf();
  const std::string readme = text.str();
  std::size_t section = readme.find("### Two clusters and parameters");
  ASSERT_NE(section, std::string::npos);
  std::size_t begin = readme.find("```yaml\n", section);
  std::size_t end = readme.find("```\n", begin + 8);
  ASSERT_NE(begin, std::string::npos);
  const std::string plan = readme.substr(begin + 8, end - begin - 8);
  PlanLoadResult run =
      Start(plan, {{"standby", "fw2"}, {"active", "fw1"}, {"new_version", "2.4.1"}});
  ASSERT_TRUE(run.ok()) << run.ErrorText();
  EXPECT_THAT(run.plan.Clusters(), ElementsAre("edge-fw", "edge-rtr"));
  EXPECT_EQ(run.plan.steps[0].gates[0].query,
            R"(cutover_member_sync_ok{ha_cluster="edge-fw",member="fw1"})");
  EXPECT_EQ(run.plan.steps[1].timeout, std::chrono::hours(1));
}

// One plan, two ways of the runbook: how the traffic leaves fw1 is a parameter, and a
// start keeps only the steps and compensations of the way it names.
const std::string kVariantsPlan = R"(plan: leave-fw1
cluster: edge-fw
params:
  leave_by: {type: string, values: [policy, interfaces], default: policy, help: how the traffic leaves fw1}
steps:
  - name: demote-fw1
    when: {leave_by: policy}
    action: set_priority
    members: [fw1]
    params: {priority: "10"}
  - name: disconnect-fw1
    when: {leave_by: interfaces}
    action: disconnect
    members: [fw1]
  - name: upgrade-fw1
    action: upgrade
    members: [fw1]
    params: {version: "2.0"}
    rollback:
      - action: set_priority
        when: {leave_by: policy}
        params: {priority: "100"}
      - action: connect
        when: {leave_by: interfaces}
)";

std::vector<std::string> StepNames(const Plan& plan) {
  std::vector<std::string> names;
  for (const StepSpec& step : plan.steps) names.push_back(step.name);
  return names;
}

TEST_F(PlanParamsTest, AParameterWithValuesChoosesTheStepsOfOneVariant) {
  PlanLoadResult checked = Load(kVariantsPlan);
  ASSERT_TRUE(checked.ok()) << checked.ErrorText();
  EXPECT_THAT(StepNames(checked.plan), ElementsAre("demote-fw1", "disconnect-fw1", "upgrade-fw1"))
      << "read as shipped, every variant is checked, the default's and the others";
  EXPECT_THAT(StepNames(Start(kVariantsPlan, {}).plan), ElementsAre("demote-fw1", "upgrade-fw1"))
      << "a start without the value takes the default's variant";

  PlanLoadResult by_policy = Start(kVariantsPlan, {{"leave_by", "policy"}});
  ASSERT_TRUE(by_policy.ok()) << by_policy.ErrorText();
  EXPECT_THAT(StepNames(by_policy.plan), ElementsAre("demote-fw1", "upgrade-fw1"));
  ASSERT_EQ(by_policy.plan.steps[1].rollback.size(), 1u);
  EXPECT_EQ(by_policy.plan.steps[1].rollback[0].action, Action::kSetPriority);

  PlanLoadResult by_interfaces = Start(kVariantsPlan, {{"leave_by", "interfaces"}});
  ASSERT_TRUE(by_interfaces.ok()) << by_interfaces.ErrorText();
  EXPECT_THAT(StepNames(by_interfaces.plan), ElementsAre("disconnect-fw1", "upgrade-fw1"));
  ASSERT_EQ(by_interfaces.plan.steps[1].rollback.size(), 1u);
  EXPECT_EQ(by_interfaces.plan.steps[1].rollback[0].action, Action::kConnect);

  EXPECT_THAT(StartErrors(kVariantsPlan, {{"leave_by", "interface"}}),
              HasSubstr("parameter 'leave_by' (string): \"interface\" is not one of policy, "
                        "interfaces"));
}

TEST_F(PlanParamsTest, AWhenThatCouldDropAStepSilentlyIsRefused) {
  auto errors = [&](const std::string& from, const std::string& to) {
    std::string yaml = kVariantsPlan;
    yaml.replace(yaml.find(from), from.size(), to);
    PlanLoadResult loaded = Load(yaml);
    EXPECT_FALSE(loaded.ok()) << "accepted " << to;
    return loaded.ErrorText();
  };
  EXPECT_THAT(errors("when: {leave_by: interfaces}\n    action: disconnect",
                     "when: {leave_by: interface}\n    action: disconnect"),
              HasSubstr("'when' gives \"interface\" for parameter 'leave_by', which takes one "
                        "of policy, interfaces"));
  EXPECT_THAT(errors("when: {leave_by: policy}\n    action: set_priority",
                     "when: {leave: policy}\n    action: set_priority"),
              HasSubstr("'when' names \"leave\", which is not a string parameter with values "
                        "(it takes: leave_by)"));
  EXPECT_THAT(
      errors("leave_by: {type: string, values: [policy, interfaces],", "leave_by: {type: string,"),
      HasSubstr("(add values: [...] to it)"));
  EXPECT_THAT(errors("when: {leave_by: policy}\n    action: set_priority",
                     "when: leave_by\n    action: set_priority"),
              HasSubstr("e.g. when: {primary_move: interfaces}"));
}

}  // namespace
}  // namespace cutover
