// Engine::DryRun: a plan rehearsed against the live members and Prometheus, performing
// and journaling nothing.
#include "actions/engine/engine_run.h"
#include "common/strings.h"

namespace cutover {

namespace {

// A line of a driver's description for the terminal: an operator's command may hold a
// newline or an escape character, which must not garble the report.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      AppendEscaped(out, std::string_view(&c, 1));
    else
      out += c;
  }
  return out;
}

std::string TriggerText(const Trigger& trigger) {
  switch (trigger.kind) {
    case TriggerKind::kAuto:
      return "starts by itself";
    case TriggerKind::kManual:
      return "waits for an operator's approval";
    case TriggerKind::kAlert:
      return "waits for alert " + trigger.alertname;
  }
  return "";
}

}  // namespace

EngineReply Engine::DryRun(const std::string& plan_name, const ParamValues& params) {
  const Plan* plan = FindPlan(plan_name);  // plans_ never changes after construction
  if (plan == nullptr) return {404, "unknown plan '" + plan_name + "'"};
  PlanLoadResult instance = Instantiate(*plan, params);
  if (!instance.ok())
    return {400, "plan " + plan_name + " cannot start with these parameters:\n" +
                     std::string(Trim(instance.ErrorText()))};
  const Plan& p = instance.plan;
  QueryFunction query = queries_();
  std::string out = "dry run of plan " + p.name + " (nothing is performed or journaled)\n";
  if (!p.param_values.empty()) {
    out += "parameters:";
    for (const auto& [name, value] : p.param_values) out += " " + name + "=" + value;
    out += "\n";
  }
  {
    std::lock_guard lock(mutex_);
    for (const std::string& cluster : p.Clusters()) {
      Run* holder = ActiveRunOf(cluster);
      out += "cluster " + cluster + ": " +
             (holder ? "HELD by run " + holder->status.id + ": a start is refused now"
                     : std::string("free")) +
             "\n";
    }
  }
  std::string not_ready = RollbackReadiness(p);
  out += not_ready.empty() ? "rollback: ready (every member a compensation acts on answers)\n"
                           : "rollback: NOT READY, a start is refused: " + not_ready + "\n";
  auto describe = [&](const ActionSpec& action, const std::string& indent) {
    for (const std::string& member : action.members) {
      const MemberSet::Member* found = members_.Find(action.cluster, member);
      if (found == nullptr) {
        out += indent + member + ": not configured\n";
        continue;
      }
      for (const std::string& line :
           members_.Describe(members_.IndexOf(found), {action.action, action.params}))
        out += indent + member + ": " + OneLine(line) + "\n";
    }
  };
  auto measure = [&](const std::vector<GateSpec>& gates, const ActionSpec& action,
                     const std::string& indent) {
    for (const GateSpec& gate : gates) {
      std::vector<std::string> targets =
          gate.PerMember() ? action.members : std::vector<std::string>{std::string()};
      for (const std::string& member : targets) {
        std::string resolved = ResolveQuery(gate, action.cluster, member);
        Measurement m = Measure(gate, member, resolved, query(resolved), Now());
        out += indent + (gate.stage == GateStage::kBefore ? "before " : "after ") + gate.name +
               (member.empty() ? "" : " [" + member + "]") + ": " +
               std::string(PhaseName(m.phase)) + ": " + OneLine(Explain(m)) + "\n";
      }
    }
  };
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    const StepSpec& step = p.steps[i];
    std::string members;
    for (const std::string& m : step.action.members) members += (members.empty() ? "" : ", ") + m;
    out += "\n" + std::to_string(i + 1) + ". " + step.name + ": " +
           std::string(ActionName(step.action.action)) + " on " + members + " of " +
           step.action.cluster + "; " + TriggerText(step.trigger) + "; timeout " +
           FormatDuration(step.timeout);
    if (step.deadline)
      out += "; deadline " + FormatDuration(step.deadline->after) + " then " +
             std::string(DeadlinePolicyName(step.deadline->then));
    out += "\n";
    measure(step.gates, step.action, "   gate ");
    describe(step.action, "   runs on ");
    for (const ActionSpec& compensation : step.rollback) {
      out += "   rollback: " + std::string(ActionName(compensation.action)) + "\n";
      describe(compensation, "     runs on ");
    }
    measure(step.rollback_gates, step.action, "   rollback gate ");
  }
  return {200, out};
}

}  // namespace cutover
