#include "actions/engine/step_decision.h"

#include "common/duration.h"

namespace cutover {

TriggerDecision DecideTrigger(const StepSpec& step, const std::string& run_id,
                              const AlertStates& alerts) {
  switch (step.trigger.kind) {
    case TriggerKind::kAuto:
      return {true, "auto", {}};
    case TriggerKind::kAlert: {
      const std::string& alert = step.trigger.alertname;
      if (alerts.TriggersStep(step.action.cluster, alert, step.action.members))
        return {true, "alert " + alert, {}};
      std::string members =
          alerts.MembersNotFiring(step.action.cluster, alert, step.action.members);
      return {false,
              {},
              "waiting for alert " + alert + " to fire for ha_cluster=" + step.action.cluster +
                  (members.empty() ? std::string() : " member " + members)};
    }
    case TriggerKind::kManual:
      return {false,
              {},
              "waiting for an operator's approval: cutoverctl approve " + run_id + " " + step.name};
  }
  return {};
}

std::optional<std::string> DeadlinePassed(const StepSpec& step, const RunStatus& run,
                                          std::size_t index,
                                          std::chrono::system_clock::time_point now) {
  if (!step.deadline) return std::nullopt;
  // Waiting for a drain to complete is waiting for its trigger, before anything
  // triggered it: counted from the moment the step became current.
  auto since = index > 0 && run.steps[index - 1].finished_at ? *run.steps[index - 1].finished_at
                                                             : run.started_at;
  if (now - since < step.deadline->after) return std::nullopt;
  return "deadline of " + FormatDuration(step.deadline->after) + " for step " + step.name +
         " passed";
}

bool TimedOut(const StepSpec& step, const StepStatus& status,
              std::chrono::system_clock::time_point now) {
  return status.triggered_at && now - *status.triggered_at > step.timeout;
}

GateRoundJudgment JudgeGateRound(const std::vector<GateStanding>& standings) {
  GateRoundJudgment judgment;
  judgment.passed = true;
  for (const GateStanding& g : standings) {
    if (g.verdict == GateVerdict::kPassed) continue;
    judgment.passed = false;
    if (g.verdict == GateVerdict::kFailed) {
      return {false, true, false, "gate " + g.gate + " failed its limits: " + g.explained};
    }
    if (g.verdict == GateVerdict::kError) judgment.blocked = true;
    if (judgment.why.empty()) {
      judgment.why = g.explained;
      if (g.verdict == GateVerdict::kPending && g.passing_samples > 0)
        judgment.why += " (" + std::to_string(g.passing_samples) + " of " +
                        std::to_string(g.samples_needed) + " passing samples)";
    }
  }
  return judgment;
}

}  // namespace cutover
