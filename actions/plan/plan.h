// An upgrade plan: data, loaded from YAML (plan_loader.h). Plain values; thread-safe to
// read once loaded.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/duration.h"
#include "plugins/core/action.h"

namespace cutover {

enum class Comparison { kLess, kLessOrEqual, kEqual, kNotEqual, kGreaterOrEqual, kGreater };

// "< 10", "== 1", ">= 0.99".
struct Condition {
  Comparison op = Comparison::kEqual;
  double threshold = 0;

  bool Holds(double value) const;  // false for NaN
  std::string ToString() const;    // "< 10"
};

// What an empty query result means for a gate. Never "pass".
enum class NoDataPolicy {
  kFail,  // the measurement is Failed
  kWait,  // the measurement is Inconclusive: keep waiting
};

// When a gate is measured relative to its step's action.
enum class GateStage {
  kBefore,  // precondition: the action runs only once the gate has passed
  kAfter,   // verification: the step is done only once the gate has passed after the action
};

struct GateSpec {
  std::string name;
  // PromQL with placeholders {{cluster}} and {{member}} (the step's member; a gate that uses
  // {{member}} is measured once per target member). Names are restricted to
  // [A-Za-z0-9_.-] by the config loader, so substitution cannot break out of a matcher.
  std::string query;
  Condition condition;
  GateStage stage = GateStage::kBefore;
  int samples = 1;  // consecutive Successful measurements needed to pass
  Duration interval{std::chrono::seconds(5)};
  NoDataPolicy no_data = NoDataPolicy::kFail;
  // Argo Rollouts-style limits; -1 means no limit. Exceeding failure_limit or
  // inconclusive_limit makes the gate Failed (the step fails: rollback policy applies);
  // exceeding consecutive_error_limit makes it Error (nothing runs; the run is blocked and
  // says why, and resumes by itself when measurements succeed again).
  int failure_limit = -1;
  int inconclusive_limit = -1;
  int consecutive_error_limit = 4;
  std::string where;  // "plan.yaml:14"

  bool PerMember() const;  // query uses {{member}}
};

enum class TriggerKind { kAuto, kAlert, kManual };

struct Trigger {
  TriggerKind kind = TriggerKind::kAuto;
  std::string alertname;  // kAlert: the alert that starts the step, matched by ha_cluster
};

struct ActionSpec {
  Action action = Action::kRun;
  // The cluster the members belong to: one per action, so {{cluster}} in the step's gates
  // has one meaning. A plan may act on several clusters, step by step.
  std::string cluster;
  std::vector<std::string> members;  // target members, in order
  std::map<std::string, std::string> params;
  // Perform the action on every member at the same time instead of one after another:
  // a change that must land on several systems together (both routers' policy).
  bool at_once = false;
  std::string where;
};

// What happens when a step is still waiting (for its trigger or its before-gates) at its
// deadline, counted from the moment the step became current. A drain that does not
// finish is the usual case: keep waiting, cut over anyway, or roll back.
enum class DeadlinePolicy {
  kWait,      // keep waiting; the status says the deadline has passed
  kProceed,   // perform the action now; the status and journal give the gates' values
  kRollback,  // roll back the run's completed steps
};
std::string_view DeadlinePolicyName(DeadlinePolicy policy);

struct Deadline {
  Duration after{0};
  DeadlinePolicy then = DeadlinePolicy::kWait;
};

struct StepSpec {
  std::string name;  // unique in the plan; [A-Za-z0-9_.-]
  ActionSpec action;
  std::vector<GateSpec> gates;
  Trigger trigger;
  Duration timeout{std::chrono::minutes(30)};  // from the trigger to the step being done
  std::optional<Deadline> deadline;
  // Compensations run, in order, when a completed step is rolled back.
  std::vector<ActionSpec> rollback;
  // Gates a compensation must pass before it runs (measured like before-gates).
  std::vector<GateSpec> rollback_gates;
  // A rollback that reaches this step (begun or done) ends there: it and the steps before
  // it stay as they are. An upgrade the runbook does not reverse by itself: once it has
  // begun, undoing the earlier role move would send the traffic back to that member.
  bool rollback_boundary = false;
  std::string where;
};

// What makes a run roll back its completed steps (in reverse order).
struct RollbackPolicy {
  bool on_gate_failure = true;
  bool on_timeout = true;
  std::vector<std::string> alerts;  // alertnames that roll back a run of this plan
  // Said in the run's reason once it has rolled back: what the rollback leaves for an
  // operator to decide (e.g. an upgraded member it does not downgrade).
  std::string note;
};

// A plan's parameter, given when a run starts ("--param new_version=R81.20"). Values are
// checked by type before they are used anywhere in the plan.
enum class ParamType {
  kString,
  kInteger,
  kNumber,
  kDuration,
  kVersion,
  kMember,
  kMembers,
  kCluster
};
std::string_view ParamTypeName(ParamType type);
std::optional<ParamType> ParseParamType(std::string_view name);

struct ParamSpec {
  std::string name;  // [A-Za-z_][A-Za-z0-9_]*; not "cluster" or "member"
  ParamType type = ParamType::kString;
  std::optional<std::string> default_value;
  std::string help;
  // member and members: the target (see Plan::targets) whose members the value names;
  // empty when the plan has one cluster.
  std::string target;
  std::string where;
};

// A cluster the plan acts on, under the name its steps use ("routers" in
// `members: [routers/*]`). A plan written with `cluster:` has one target named "".
struct PlanTarget {
  std::string name;
  std::string cluster;
};

struct Plan {
  std::string name;  // [A-Za-z0-9_.-]
  // The first target's cluster: the plan's own (metrics and the run list name it first).
  std::string cluster;
  std::vector<PlanTarget> targets;
  std::string description;
  // Shown with every status of a run of this plan, e.g. that the cluster has no
  // redundancy until the run ends.
  std::string warning;
  std::vector<StepSpec> steps;
  RollbackPolicy rollback;
  // Alerts that pause a run of this plan (e.g. CutoverConfigChangedDuringUpgrade): nothing
  // more is performed until an operator resumes it.
  std::vector<std::string> pause_alerts;
  std::vector<ParamSpec> params;
  // The values this plan was read with (given or defaulted), by parameter name. A plan
  // loaded at start-up holds only defaults; a run's plan holds every value.
  std::map<std::string, std::string> param_values;
  // False when a parameter without a default has no value: the plan can be checked but
  // not run until a start gives the values (InstantiatePlan).
  bool complete = true;
  std::string file;
  std::string digest;  // of the file's bytes: a run keeps the plan it started with
  std::string source;  // the file's bytes, read again with a run's parameters

  const StepSpec* FindStep(const std::string& step) const;
  // Every cluster the plan acts on, each once, in the order of `targets`.
  std::vector<std::string> Clusters() const;
};

// {{cluster}} and {{member}} replaced; member may be empty for cluster-wide gates.
std::string ResolveQuery(const GateSpec& gate, const std::string& cluster,
                         const std::string& member);

}  // namespace cutover
