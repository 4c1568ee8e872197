// The operator's commands (start, approve, pause, resume, abort, rollback) and the checks
// before a run starts: each answers like HTTP and journals its decision before it counts.
#include <ctime>

#include "actions/engine/engine_run.h"
#include "common/strings.h"

namespace cutover {

using Clock = std::chrono::steady_clock;

std::string Engine::NewRunId(const Plan& plan) {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &utc);
  std::string base = plan.name + "-" + stamp;
  std::string id = base;
  for (int n = 2; FindRun(id) != nullptr; ++n) id = base + "-" + std::to_string(n);
  return id;
}

std::string Engine::RollbackReadiness(const Plan& plan) {
  // Every compensation's action is declared by its member's driver (the plan loader has
  // checked that); each member a compensation acts on must answer its probe now, or the
  // run could not undo what it does.
  std::vector<std::pair<std::string, std::string>> members;  // (cluster, member)
  std::map<std::pair<std::string, std::string>, std::string> used_by;
  for (const StepSpec& step : plan.steps) {
    for (const ActionSpec& compensation : step.rollback) {
      for (const std::string& member : compensation.members) {
        auto key = std::make_pair(compensation.cluster, member);
        if (used_by.count(key)) continue;
        used_by[key] = std::string(ActionName(compensation.action)) + " of step " + step.name;
        members.push_back(key);
      }
    }
  }
  std::string problems;
  for (const auto& [cluster, member] : members) {
    const MemberSet::Member* found = members_.Find(cluster, member);
    std::string what = "member " + member + " of " + cluster + " (compensation " +
                       used_by[{cluster, member}] + ")";
    if (found == nullptr) {
      problems += (problems.empty() ? "" : "; ") + what + " is not configured";
      continue;
    }
    auto now = Clock::now();
    MemberStatus probe =
        members_.Probe(members_.IndexOf(found), {now + options_.readiness_probe_timeout, now});
    if (!probe.up)
      problems += (problems.empty() ? "" : "; ") + what + " does not answer its probe: " +
                  (probe.error.empty() ? std::string("down") : probe.error);
  }
  return problems;
}

EngineReply Engine::StartRun(const std::string& plan_name, const ParamValues& params,
                             const std::string& by) {
  std::unique_lock lock(mutex_);
  const Plan* plan = FindPlan(plan_name);
  if (plan == nullptr) {
    std::string names;
    for (const Plan& p : plans_) names += (names.empty() ? "" : ", ") + p.name;
    return {404,
            "unknown plan '" + plan_name + "' (loaded: " + (names.empty() ? "none" : names) + ")"};
  }
  PlanLoadResult instance = Instantiate(*plan, params);
  if (!instance.ok())
    return {400, "plan " + plan_name + " cannot start with these parameters:\n" +
                     std::string(Trim(instance.ErrorText()))};
  auto held_by = [&]() -> std::optional<EngineReply> {
    for (const std::string& cluster : instance.plan.Clusters()) {
      if (Run* active = ActiveRunOf(cluster))
        return EngineReply{409,
                           "cluster " + cluster + " is held by run " + active->status.id + " (" +
                               std::string(RunStateName(active->status.state)) +
                               "); finish, abort or roll it back first",
                           active->status.id};
    }
    return std::nullopt;
  };
  if (auto refused = held_by()) return *refused;
  // Probing takes seconds: not under the engine's lock. The clusters are checked again
  // after it, since another start may have taken them meanwhile.
  lock.unlock();
  std::string not_ready = RollbackReadiness(instance.plan);
  lock.lock();
  if (!not_ready.empty())
    return {409, "run of plan " + plan_name + " not started: it could not roll back: " + not_ready};
  if (auto refused = held_by()) return *refused;
  std::string id = NewRunId(*plan);
  std::string error;
  if (!Record({.type = RecordType::kRunStarted,
               .run = id,
               .plan = plan->name,
               .plan_digest = plan->digest,
               .cluster = instance.plan.cluster,
               .by = by,
               .params = instance.plan.param_values},
              &error))
    return {503, "could not journal the run: " + error};
  Run* run = FindRun(id);
  if (run->plan == nullptr) return {500, "run " + id + " cannot continue: " + run->status.reason};
  StartWorker(*run);
  std::string given;
  for (const auto& [name, value] : instance.plan.param_values)
    given += (given.empty() ? " with " : ", ") + name + "=" + value;
  return {201, "run " + id + " of plan " + plan->name + " started" + given, id};
}

EngineReply Engine::Approve(const std::string& run_id, const std::string& step_name,
                            const std::string& by) {
  std::unique_lock lock(mutex_);
  Run* run = FindRun(run_id);
  if (run == nullptr) return {404, "no run " + run_id};
  RunStatus& st = run->status;
  // Approving a step that already ran again is a no-op, as Alertmanager's repeats are.
  for (const StepStatus& s : st.steps)
    if (!step_name.empty() && s.name == step_name && s.state == StepState::kDone)
      return {200, "step " + step_name + " was already approved and is done", run_id};
  if (IsFinished(st.state) || run->plan == nullptr)
    return {409, "run " + run_id + " is " + std::string(RunStateName(st.state)) + ": " + st.reason};
  if (st.state == RunState::kRollingBack) return {409, "run " + run_id + " is rolling back"};
  if (st.current_step >= st.steps.size())
    return {409, "run " + run_id + " has no step left to approve"};
  const StepSpec& spec = run->plan->steps[st.current_step];
  StepStatus& step = st.steps[st.current_step];
  if (!step_name.empty() && step_name != spec.name)
    return {409, "run " + run_id + " is at step " + spec.name + ", not " + step_name};
  if (spec.trigger.kind != TriggerKind::kManual)
    return {409,
            "step " + spec.name + " does not wait for approval (it starts " +
                (spec.trigger.kind == TriggerKind::kAlert ? "on alert " + spec.trigger.alertname
                                                          : std::string("by itself")) +
                ")"};
  if (step.state != StepState::kPending && step.state != StepState::kWaitingTrigger)
    return {200,
            "step " + spec.name + " was already approved (" +
                std::string(StepStateName(step.state)) + ")",
            run_id};
  std::string error;
  if (!Record({.type = RecordType::kTriggered,
               .run = run_id,
               .step = spec.name,
               .by = "approved by " + by},
              &error))
    return {503, "could not journal the approval: " + error};
  wake_.notify_all();
  return {200, "step " + spec.name + " approved; its gates are measured next", run_id};
}

EngineReply Engine::Pause(const std::string& run_id, const std::string& by) {
  std::unique_lock lock(mutex_);
  Run* run = FindRun(run_id);
  if (run == nullptr) return {404, "no run " + run_id};
  if (IsFinished(run->status.state))
    return {409, "run " + run_id + " is " + std::string(RunStateName(run->status.state))};
  if (run->status.state == RunState::kPaused)
    return {200, "run " + run_id + " is already paused", run_id};
  std::string error;
  if (!Record({.type = RecordType::kPaused, .run = run_id, .by = by}, &error))
    return {503, "could not journal the pause: " + error};
  return {200, "run " + run_id + " paused; an action under way finishes first", run_id};
}

EngineReply Engine::Resume(const std::string& run_id, const std::string& by) {
  std::unique_lock lock(mutex_);
  Run* run = FindRun(run_id);
  if (run == nullptr) return {404, "no run " + run_id};
  if (run->status.state != RunState::kPaused)
    return {
        IsFinished(run->status.state) ? 409 : 200,
        "run " + run_id + " is " + std::string(RunStateName(run->status.state)) + ", not paused",
        run_id};
  if (run->plan != nullptr) {
    AlertStates::Firing firing = FiringFor(*run, run->plan->pause_alerts);
    if (!firing.empty())
      return {409,
              "run " + run_id + " stays paused: alert " + firing.description +
                  " still fires; resume once it has resolved",
              run_id};
  }
  std::string error;
  if (!Record({.type = RecordType::kResumed, .run = run_id, .by = by}, &error))
    return {503, "could not journal the resume: " + error};
  wake_.notify_all();
  return {200, "run " + run_id + " resumed", run_id};
}

EngineReply Engine::Abort(const std::string& run_id, const std::string& by) {
  std::unique_lock lock(mutex_);
  Run* run = FindRun(run_id);
  if (run == nullptr) return {404, "no run " + run_id};
  if (run->status.state == RunState::kAborted)
    return {200, "run " + run_id + " is already aborted", run_id};
  if (IsFinished(run->status.state))
    return {409, "run " + run_id + " is already " + std::string(RunStateName(run->status.state))};
  std::string error;
  if (!Record({.type = RecordType::kRunFinished,
               .run = run_id,
               .detail = "aborted by " + by + "; nothing was compensated",
               .state = "aborted"},
              &error))
    return {503, "could not journal the abort: " + error};
  wake_.notify_all();
  return {200, "run " + run_id + " aborted; an action under way finishes first", run_id};
}

EngineReply Engine::Rollback(const std::string& run_id, const std::string& by) {
  std::unique_lock lock(mutex_);
  Run* run = FindRun(run_id);
  if (run == nullptr) return {404, "no run " + run_id};
  RunStatus& st = run->status;
  if (st.state == RunState::kRollingBack)
    return {200, "run " + run_id + " is already rolling back", run_id};
  if (IsFinished(st.state) || run->plan == nullptr)
    return {409, "run " + run_id + " is " + std::string(RunStateName(st.state)) +
                     "; only an unfinished run can be rolled back"};
  std::string error;
  if (!Record({.type = RecordType::kRollbackStarted,
               .run = run_id,
               .by = by,
               .detail = "rolling back: requested by " + by},
              &error))
    return {503, "could not journal the rollback: " + error};
  wake_.notify_all();
  return {200, "run " + run_id + " rolling back its completed steps in reverse", run_id};
}

}  // namespace cutover
