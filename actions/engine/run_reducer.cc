#include "actions/engine/run_reducer.h"

#include <algorithm>
#include <optional>

namespace cutover {
namespace {

std::chrono::system_clock::time_point FromMillis(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// A step that was waiting or gating but never acted goes back to pending when its run
// rolls back or ends: it will not run, and its "waiting for ..." would mislead.
void ForgetUnstartedSteps(RunStatus& st) {
  for (StepStatus& step : st.steps) {
    bool waiting = step.state == StepState::kWaitingTrigger || step.state == StepState::kGating;
    if (waiting && step.members_done.empty() && step.members_in_flight.empty()) {
      step.state = StepState::kPending;
      step.waiting_for.clear();
    }
  }
}

// The step that is current now waits for its trigger, unless it starts by itself.
void StepBecameCurrent(RunRecord& run) {
  RunStatus& st = run.status;
  if (run.plan == nullptr || st.current_step >= st.steps.size()) return;
  StepStatus& step = st.steps[st.current_step];
  if (step.state == StepState::kPending &&
      run.plan->steps[st.current_step].trigger.kind != TriggerKind::kAuto)
    step.state = StepState::kWaitingTrigger;
}

void StartRun(JournalState& state, const JournalRecord& r, const PlanResolver& resolve) {
  std::unique_ptr<RunRecord> run = state.new_run();
  RunStatus& st = run->status;
  st.id = r.run;
  st.plan = r.plan;
  st.plan_digest = r.plan_digest;
  st.cluster = r.cluster;
  st.clusters = {r.cluster};
  st.params = r.params;
  st.started_by = r.by;
  st.started_at = FromMillis(r.at_ms);
  ResolvedPlan resolved = resolve(r);
  if (resolved.plan) {
    run->plan_instance = std::move(resolved.plan);
    run->plan = run->plan_instance.get();
    st.clusters = run->plan->Clusters();
    st.warning = run->plan->warning;
    for (const StepSpec& spec : run->plan->steps) st.steps.push_back({.name = spec.name});
    StepBecameCurrent(*run);
  } else {
    st.reason = resolved.why_not;
  }
  state.runs.push_back(std::move(run));
}

}  // namespace

RunRecord* JournalState::Find(const std::string& id) {
  for (auto& run : runs)
    if (run->status.id == id) return run.get();
  return nullptr;
}

RunRecord* JournalState::Holding(const std::string& cluster) {
  for (auto& run : runs) {
    if (IsFinished(run->status.state)) continue;
    const auto& held = run->status.clusters;
    if (std::find(held.begin(), held.end(), cluster) != held.end()) return run.get();
  }
  return nullptr;
}

void Reduce(JournalState& state, const JournalRecord& r, const PlanResolver& resolve) {
  if (r.type == RecordType::kAlertReceived) {
    // Only the alert's state is kept; the runs act on it as their plans say.
    state.deliveries.insert(r.key);
    state.alerts.Set(r.cluster, r.alertname, r.member, r.status == "firing");
    return;
  }
  if (r.type == RecordType::kRunStarted) {
    StartRun(state, r, resolve);
    return;
  }
  RunRecord* run = state.Find(r.run);
  if (run == nullptr) return;  // a record of a run we never saw start: nothing to change
  RunStatus& st = run->status;
  std::optional<std::size_t> index;
  for (std::size_t i = 0; i < st.steps.size(); ++i)
    if (st.steps[i].name == r.step) index = i;
  StepStatus* step = index ? &st.steps[*index] : nullptr;
  switch (r.type) {
    case RecordType::kTriggered:
      if (!step) return;
      step->waiting_for.clear();
      step->triggered_by = r.by;
      ++run->gate_epoch;
      if (r.by == kDeadlineTrigger) {
        // Proceeding at the deadline: no gate holds it back any more.
        step->state = StepState::kPerforming;
        if (!step->triggered_at) step->triggered_at = FromMillis(r.at_ms);
        step->note = r.detail;
        return;
      }
      step->state = StepState::kGating;
      step->triggered_at = FromMillis(r.at_ms);
      return;
    case RecordType::kGateMeasured:
      if (!step || !r.measurement) return;
      std::erase_if(step->last_measurements, [&](const Measurement& m) {
        return m.gate == r.measurement->gate && m.member == r.measurement->member;
      });
      step->last_measurements.push_back(*r.measurement);
      return;
    case RecordType::kGatesPassed:
      if (!step || step->state != StepState::kGating) return;
      step->state = StepState::kPerforming;
      step->waiting_for.clear();
      return;
    case RecordType::kActionStarted:
      if (!step) return;
      step->state = StepState::kPerforming;
      step->members_in_flight.insert(r.member);
      return;
    case RecordType::kActionFinished:
      if (!step) return;
      step->members_in_flight.erase(r.member);
      if (r.ok) step->members_done.insert(r.member);
      return;
    case RecordType::kActionsDone:
      if (!step || step->state != StepState::kPerforming) return;
      step->state = StepState::kVerifying;
      ++run->gate_epoch;
      return;
    case RecordType::kStepDone:
      if (!step) return;
      step->state = StepState::kDone;
      step->finished_at = FromMillis(r.at_ms);
      step->waiting_for.clear();
      st.current_step = *index + 1;
      ++run->gate_epoch;
      StepBecameCurrent(*run);
      return;
    case RecordType::kStepFailed:
      if (!step) return;
      step->state = StepState::kFailed;
      step->error = r.detail;
      step->finished_at = FromMillis(r.at_ms);
      return;
    case RecordType::kRollbackStarted:
      if (IsFinished(st.state)) return;
      ForgetUnstartedSteps(st);
      st.state = RunState::kRollingBack;
      st.reason = r.detail;
      st.blocked = false;
      run->rollback_requested = false;
      ++run->gate_epoch;
      return;
    case RecordType::kCompensationStarted:
      if (step) step->state = StepState::kCompensating;
      return;
    case RecordType::kCompensationFinished:
      if (step && r.ok) step->members_compensated.insert(r.member);
      return;
    case RecordType::kStepCompensated:
      if (!step) return;
      step->state = StepState::kCompensated;
      step->waiting_for.clear();
      ++run->gate_epoch;
      return;
    case RecordType::kPaused:
      if (st.state == RunState::kPaused) return;
      run->paused_from = st.state;
      st.state = RunState::kPaused;
      st.reason = r.detail.empty() ? "paused by " + r.by : r.detail;
      return;
    case RecordType::kRollbackRequested:
      if (IsFinished(st.state)) return;
      run->rollback_requested = true;
      run->rollback_by = r.by;
      run->rollback_why = r.detail;
      // A paused run does nothing, rollback included, until an operator acts.
      st.reason += "; " + r.detail + ": it rolls back when resumed (or run cutoverctl rollback)";
      return;
    case RecordType::kResumed:
      if (st.state != RunState::kPaused) return;
      st.state = run->paused_from;
      st.reason = "resumed by " + r.by;
      return;
    case RecordType::kRunFinished:
      ForgetUnstartedSteps(st);
      if (auto finished = ParseRunState(r.state)) st.state = *finished;
      st.reason = r.detail;
      st.blocked = false;
      st.finished_at = FromMillis(r.at_ms);
      return;
    case RecordType::kRunStarted:
    case RecordType::kAlertReceived:
      return;
  }
}

void PrepareForRestart(JournalState& state) {
  for (auto& run : state.runs) {
    if (IsFinished(run->status.state)) continue;
    for (auto& step : run->status.steps)
      if (step.state == StepState::kCompensating) step.state = StepState::kDone;
  }
}

}  // namespace cutover
