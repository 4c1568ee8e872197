#include "actions/engine/engine.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "common/log.h"

namespace cutover {

struct Engine::GateProgress {
  GateTally tally;
  std::chrono::steady_clock::time_point next_due{};
  std::optional<Measurement> last;
  GateVerdict verdict = GateVerdict::kPending;
};

struct Engine::Run {
  RunStatus status;
  const Plan* plan = nullptr;  // null when the plan is gone or changed since the run began
  RunState paused_from = RunState::kRunning;
  // Gate progress of the current phase, keyed "<phase>|<gate>|<member>"; rebuilt by
  // measuring again after a restart, since passing samples must be fresh anyway.
  std::map<std::string, GateProgress> gates;
  bool rollback_requested = false;
  std::string rollback_by, rollback_why;
  QueryFunction query;  // the worker's own (a PrometheusClient belongs to one thread)
  // In-flight re-check after a restart: not before then.
  std::optional<std::chrono::steady_clock::time_point> recheck_from;
  std::thread worker;
};

namespace {

using Clock = std::chrono::steady_clock;

// Who triggered a step that proceeds at its deadline (journal field "by").
constexpr char kDeadlineTrigger[] = "deadline";

std::chrono::system_clock::time_point FromMillis(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

std::vector<GateSpec> GatesAt(const std::vector<GateSpec>& gates, GateStage stage) {
  std::vector<GateSpec> out;
  for (const GateSpec& g : gates)
    if (g.stage == stage) out.push_back(g);
  return out;
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

std::string ClusterOf(const AlertmanagerAlert& alert) {
  std::string cluster = alert.Label("ha_cluster");
  return cluster.empty() ? alert.Label("cluster") : cluster;
}

}  // namespace

Engine::Engine(std::vector<Plan> plans, MemberSet& members, Journal& journal,
               QueryFunctionFactory queries, EngineOptions options)
    : plans_(std::move(plans)),
      members_(members),
      journal_(journal),
      queries_(std::move(queries)),
      options_(options) {}

Engine::~Engine() { Stop(); }

const Plan* Engine::FindPlan(const std::string& name) const {
  for (const Plan& p : plans_)
    if (p.name == name) return &p;
  return nullptr;
}

Engine::Run* Engine::FindRun(const std::string& id) {
  for (auto& run : runs_)
    if (run->status.id == id) return run.get();
  return nullptr;
}

Engine::Run* Engine::ActiveRunOf(const std::string& cluster) {
  for (auto& run : runs_)
    if (run->status.cluster == cluster && !IsFinished(run->status.state)) return run.get();
  return nullptr;
}

std::vector<std::string> Engine::PlanNames() const {
  std::vector<std::string> names;
  for (const Plan& p : plans_) names.push_back(p.name);
  return names;
}

bool Engine::Record(JournalRecord record, std::string* error,
                    std::unique_lock<std::mutex>* release) {
  record.at_ms = NowMillis();
  std::string encoded = EncodeRecord(record);
  // Workers let go of the engine while the record is synced, so webhooks and other runs
  // go on and concurrent records share one fsync (group commit).
  if (release != nullptr) release->unlock();
  bool written = journal_.Append(encoded, error);
  if (release != nullptr) release->lock();
  if (!written) {
    log::Error("journal write failed: not acting on the decision",
               {{"record", RecordTypeName(record.type)}, {"err", *error}});
    return false;
  }
  Apply(record);
  return true;
}

void Engine::Apply(const JournalRecord& r) {
  if (r.type == RecordType::kAlertReceived) {
    deliveries_.insert(r.key);
    firing_[{r.cluster, r.alertname}] = r.status == "firing";
    if (r.detail.rfind("rollback", 0) == 0) {
      if (Run* run = ActiveRunOf(r.cluster); run && run->status.state != RunState::kRollingBack) {
        run->rollback_requested = true;
        run->rollback_by = "alert " + r.alertname;
        run->rollback_why = "alert " + r.alertname + " fired for ha_cluster=" + r.cluster;
        // A paused run does nothing, rollback included, until an operator acts.
        if (run->status.state == RunState::kPaused)
          run->status.reason += "; " + run->rollback_why +
                                ": it rolls back when resumed (or run cutoverctl rollback)";
      }
    }
    if (r.detail.rfind("pause", 0) == 0) {
      // The alert record itself is the journaled decision: replay pauses the same run.
      if (Run* run = ActiveRunOf(r.cluster); run && run->status.state == RunState::kRunning) {
        run->paused_from = run->status.state;
        run->status.state = RunState::kPaused;
        run->status.reason = "paused by alert " + r.alertname + " for ha_cluster=" + r.cluster +
                             ": nothing more is performed until an operator has looked "
                             "(cutoverctl resume " +
                             run->status.id + ")";
      }
    }
    return;
  }
  if (r.type == RecordType::kRunStarted) {
    auto run = std::make_unique<Run>();
    run->status.id = r.run;
    run->status.plan = r.plan;
    run->status.plan_digest = r.plan_digest;
    run->status.cluster = r.cluster;
    run->status.started_by = r.by;
    run->status.started_at = FromMillis(r.at_ms);
    const Plan* plan = FindPlan(r.plan);
    if (plan != nullptr && plan->digest == r.plan_digest) {
      run->plan = plan;
      run->status.warning = plan->warning;
      for (const StepSpec& spec : plan->steps) run->status.steps.push_back({.name = spec.name});
    } else {
      run->status.reason =
          plan == nullptr
              ? "plan '" + r.plan + "' is no longer loaded; abort this run"
              : "plan '" + r.plan + "' changed since this run began; abort it and start anew";
    }
    runs_.push_back(std::move(run));
    return;
  }
  Run* run = FindRun(r.run);
  if (run == nullptr) return;  // a record of a run we never saw start: nothing to change
  RunStatus& st = run->status;
  auto step_index = [&]() -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < st.steps.size(); ++i)
      if (st.steps[i].name == r.step) return i;
    return std::nullopt;
  };
  auto index = step_index();
  StepStatus* step = index ? &st.steps[*index] : nullptr;
  switch (r.type) {
    case RecordType::kTriggered:
      if (!step) return;
      step->waiting_for.clear();
      step->triggered_by = r.by;
      run->gates.clear();
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
    case RecordType::kStepDone:
      if (!step) return;
      step->state = StepState::kDone;
      step->finished_at = FromMillis(r.at_ms);
      step->waiting_for.clear();
      st.current_step = *index + 1;
      run->gates.clear();
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
      run->gates.clear();
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
      run->gates.clear();
      return;
    case RecordType::kPaused:
      if (st.state == RunState::kPaused) return;
      run->paused_from = st.state;
      st.state = RunState::kPaused;
      st.reason = "paused by " + r.by;
      return;
    case RecordType::kResumed:
      if (st.state != RunState::kPaused) return;
      st.state = run->paused_from;
      st.reason = "resumed by " + r.by;
      return;
    case RecordType::kRunFinished:
      ForgetUnstartedSteps(st);
      if (auto state = ParseRunState(r.state)) st.state = *state;
      st.reason = r.detail;
      st.blocked = false;
      st.finished_at = FromMillis(r.at_ms);
      return;
    case RecordType::kRunStarted:
    case RecordType::kAlertReceived:
      return;
  }
}

std::string Engine::Replay(const std::vector<std::string>& records) {
  std::lock_guard lock(mutex_);
  for (std::size_t i = 0; i < records.size(); ++i) {
    auto decoded = DecodeRecord(records[i]);
    if (!decoded.ok())
      return "journal record " + std::to_string(i + 1) + ": " + decoded.error() +
             "; the journal was written by something else or a newer cutover";
    Apply(decoded.value());
  }
  // Steps the journal shows waiting again need their in-memory state back.
  for (auto& run : runs_) {
    if (IsFinished(run->status.state)) continue;
    for (auto& step : run->status.steps)
      if (step.state == StepState::kCompensating) step.state = StepState::kDone;
  }
  return {};
}

void Engine::Start() {
  std::lock_guard lock(mutex_);
  for (auto& run : runs_) {
    if (IsFinished(run->status.state)) continue;
    if (run->plan == nullptr) {
      log::Warn("run cannot continue", {{"run", run->status.id}, {"why", run->status.reason}});
      continue;
    }
    bool in_flight = false;
    for (const auto& step : run->status.steps) in_flight |= !step.members_in_flight.empty();
    log::Info("resuming run after restart",
              {{"run", run->status.id},
               {"state", RunStateName(run->status.state)},
               {"in_flight", in_flight ? "yes: re-checked before anything else" : "no"}});
    StartWorker(*run);
  }
}

void Engine::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& run : runs_)
    if (run->worker.joinable()) run->worker.join();
}

void Engine::StartWorker(Run& run) {
  run.worker = std::thread([this, &run] { Work(run); });
}

void Engine::WaitTick(std::unique_lock<std::mutex>& lock) { wake_.wait_for(lock, options_.tick); }

void Engine::Work(Run& run) {
  QueryFunction query = queries_();
  std::unique_lock lock(mutex_);
  run.query = std::move(query);
  run.gates.clear();
  while (!stopping_) {
    RunStatus& st = run.status;
    if (IsFinished(st.state)) break;
    if (st.state == RunState::kPaused) {
      WaitTick(lock);
      continue;
    }
    if (run.rollback_requested && st.state == RunState::kRunning) {
      std::string error;
      if (!Record({.type = RecordType::kRollbackStarted,
                   .run = st.id,
                   .by = run.rollback_by,
                   .detail = "rolling back: " + run.rollback_why},
                  &error, &lock))
        WaitTick(lock);
      continue;
    }
    if (st.state == RunState::kRollingBack) {
      RollBackOneStep(run, lock);
      continue;
    }
    if (st.current_step >= st.steps.size()) {
      Finish(run, RunState::kCompleted, "all " + std::to_string(st.steps.size()) + " steps done");
      break;
    }
    AdvanceStep(run, lock);
  }
}

void Engine::AdvanceStep(Run& run, std::unique_lock<std::mutex>& lock) {
  RunStatus& st = run.status;
  const std::size_t i = st.current_step;
  const StepSpec& spec = run.plan->steps[i];
  StepStatus& step = st.steps[i];
  std::string error;
  auto timed_out = [&] {
    return step.triggered_at &&
           std::chrono::system_clock::now() - *step.triggered_at > spec.timeout;
  };

  switch (step.state) {
    case StepState::kPending:
    case StepState::kWaitingTrigger:
      if (spec.trigger.kind == TriggerKind::kAuto) {
        if (!Record({.type = RecordType::kTriggered, .run = st.id, .step = spec.name, .by = "auto"},
                    &error, &lock))
          WaitTick(lock);
        return;
      }
      if (spec.trigger.kind == TriggerKind::kAlert) {
        auto it = firing_.find({st.cluster, spec.trigger.alertname});
        if (it != firing_.end() && it->second) {
          if (!Record({.type = RecordType::kTriggered,
                       .run = st.id,
                       .step = spec.name,
                       .by = "alert " + spec.trigger.alertname},
                      &error, &lock))
            WaitTick(lock);
          return;
        }
        step.waiting_for =
            "waiting for alert " + spec.trigger.alertname + " to fire for ha_cluster=" + st.cluster;
      } else {
        step.waiting_for =
            "waiting for an operator's approval: cutoverctl approve " + st.id + " " + spec.name;
      }
      step.state = StepState::kWaitingTrigger;
      if (ApplyDeadline(run, lock, &step.waiting_for)) return;
      WaitTick(lock);
      return;

    case StepState::kGating: {
      if (timed_out()) {
        FailStep(run,
                 "step " + spec.name + " timed out after " + FormatDuration(spec.timeout) +
                     " before its gates passed; last: " + step.waiting_for,
                 true);
        return;
      }
      bool passed = false, failed = false;
      std::string why;
      MeasureGates(run, i, GatesAt(spec.gates, GateStage::kBefore), spec.action.members, lock,
                   &passed, &failed, &why);
      if (st.state != RunState::kRunning || st.current_step != i) return;
      if (failed) {
        FailStep(run, why, false);
      } else if (passed) {
        step.state = StepState::kPerforming;
        step.waiting_for.clear();
      } else {
        step.waiting_for = why;
        if (ApplyDeadline(run, lock, &step.waiting_for)) return;
        WaitTick(lock);
      }
      return;
    }

    case StepState::kPerforming:
      PerformMembers(run, lock);
      return;

    case StepState::kVerifying: {
      if (timed_out()) {
        FailStep(run,
                 "step " + spec.name + " timed out after " + FormatDuration(spec.timeout) +
                     " before its after-gates passed; last: " + step.waiting_for,
                 true);
        return;
      }
      bool passed = false, failed = false;
      std::string why;
      MeasureGates(run, i, GatesAt(spec.gates, GateStage::kAfter), spec.action.members, lock,
                   &passed, &failed, &why);
      if (st.state != RunState::kRunning || st.current_step != i) return;
      if (failed) {
        FailStep(run, why, false);
      } else if (passed) {
        Record({.type = RecordType::kStepDone, .run = st.id, .step = spec.name}, &error, &lock);
      } else {
        step.waiting_for = why;
        WaitTick(lock);
      }
      return;
    }

    case StepState::kDone:
      st.current_step = i + 1;
      return;
    case StepState::kFailed:
      // Found failed after a restart or a pause, before its rollback or finish was
      // journaled: the plan's policy applies now.
      FailStep(run, step.error, false);
      return;
    case StepState::kCompensating:
    case StepState::kCompensated:
      WaitTick(lock);
      return;
  }
}

bool Engine::ApplyDeadline(Run& run, std::unique_lock<std::mutex>& lock, std::string* waiting_for) {
  RunStatus& st = run.status;
  const std::size_t i = st.current_step;
  const StepSpec& spec = run.plan->steps[i];
  if (!spec.deadline) return false;
  // Counted from the moment the step became current: waiting for a drain to complete is
  // waiting for its trigger, before anything triggered it.
  auto since = i > 0 && st.steps[i - 1].finished_at ? *st.steps[i - 1].finished_at : st.started_at;
  auto now = std::chrono::system_clock::now();
  if (now - since < spec.deadline->after) return false;
  std::string passed =
      "deadline of " + FormatDuration(spec.deadline->after) + " for step " + spec.name + " passed";
  std::string error;
  switch (spec.deadline->then) {
    case DeadlinePolicy::kWait:
      *waiting_for = passed + " (policy wait: still waiting); " + *waiting_for;
      return false;
    case DeadlinePolicy::kRollback:
      FailStep(run, passed + " (policy rollback); last: " + *waiting_for, true, true);
      return true;
    case DeadlinePolicy::kProceed: {
      // Measure the before-gates once more so the journal and the status say what the
      // action cuts, e.g. "gate drained: ... = 7, needs <= 0": those 7 sessions break.
      bool gates_passed = false, failed = false;
      std::string why;
      MeasureGates(run, i, GatesAt(spec.gates, GateStage::kBefore), spec.action.members, lock,
                   &gates_passed, &failed, &why);
      if (st.state != RunState::kRunning || st.current_step != i) return true;
      std::string detail = passed + "; proceeding (policy proceed)";
      if (!gates_passed && !why.empty()) detail += " although " + why;
      if (!Record({.type = RecordType::kTriggered,
                   .run = st.id,
                   .step = spec.name,
                   .by = kDeadlineTrigger,
                   .detail = detail},
                  &error, &lock))
        WaitTick(lock);
      log::Warn("step proceeds at its deadline",
                {{"run", st.id}, {"step", spec.name}, {"detail", detail}});
      return true;
    }
  }
  return false;
}

void Engine::MeasureGates(Run& run, std::size_t step_index, const std::vector<GateSpec>& gates,
                          const std::vector<std::string>& members,
                          std::unique_lock<std::mutex>& lock, bool* passed, bool* failed,
                          std::string* why) {
  RunStatus& st = run.status;
  const std::string step_name = st.steps[step_index].name;
  const std::string phase = st.state == RunState::kRollingBack ? "rollback" : "forward";
  bool all_passed = true, blocked = false;
  std::string first_reason;
  for (const GateSpec& gate : gates) {
    std::vector<std::string> targets =
        gate.PerMember() ? members : std::vector<std::string>{std::string()};
    for (const std::string& member : targets) {
      std::string key = phase + "|" + std::to_string(static_cast<int>(gate.stage)) + "|" +
                        gate.name + "|" + member;
      GateProgress& progress = run.gates[key];
      if (Clock::now() >= progress.next_due) {
        std::string resolved = ResolveQuery(gate, st.cluster, member);
        lock.unlock();
        QueryResult result = run.query(resolved);
        lock.lock();
        if (stopping_) return;
        GateProgress& p = run.gates[key];  // the map may have been cleared meanwhile
        Measurement m = Measure(gate, member, resolved, result, std::chrono::system_clock::now());
        p.tally = Count(p.tally, m.phase);
        p.verdict = Assess(gate, p.tally);
        p.next_due = Clock::now() + gate.interval;
        p.last = m;
        gate_evaluations_[st.cluster + "|" + st.plan + "|" + step_name + "|" + gate.name + "|" +
                          std::string(PhaseName(m.phase))] += 1;
        std::string error;
        Record({.type = RecordType::kGateMeasured,
                .run = st.id,
                .step = step_name,
                .measurement = m,
                .verdict = std::string(VerdictName(p.verdict))},
               &error, &lock);
      }
      GateProgress& p = run.gates[key];
      std::string explained =
          p.last ? Explain(*p.last) : "gate " + gate.name + ": not measured yet";
      if (p.verdict == GateVerdict::kPassed) continue;
      all_passed = false;
      if (p.verdict == GateVerdict::kFailed) {
        *failed = true;
        *why = "gate " + gate.name + " failed its limits: " + explained;
        run.status.blocked = false;
        return;
      }
      if (p.verdict == GateVerdict::kError) blocked = true;
      if (first_reason.empty()) {
        first_reason = explained;
        if (p.verdict == GateVerdict::kPending && p.tally.consecutive_successes > 0)
          first_reason += " (" + std::to_string(p.tally.consecutive_successes) + " of " +
                          std::to_string(gate.samples) + " passing samples)";
      }
    }
  }
  *passed = all_passed;
  *why = first_reason;
  st.blocked = blocked;
  if (blocked)
    st.reason = "blocked: " + first_reason;
  else if (st.reason.rfind("blocked: ", 0) == 0)
    st.reason.clear();
}

bool Engine::RecheckInFlight(Run& run, const std::string& member,
                             std::unique_lock<std::mutex>& lock) {
  RunStatus& st = run.status;
  const std::size_t i = st.current_step;
  const StepSpec& spec = run.plan->steps[i];
  StepStatus& step = st.steps[i];
  const MemberSet::Member* found = members_.Find(st.cluster, member);
  if (found == nullptr) {
    FailStep(run, "member " + member + " is no longer configured", false);
    return false;
  }
  std::size_t index = members_.IndexOf(found);
  lock.unlock();
  auto now = Clock::now();
  MemberStatus probe = members_.Probe(index, {now + std::chrono::seconds(10), now});
  lock.lock();
  if (!probe.up) {
    step.waiting_for = "member " + member + " was being acted on (" +
                       std::string(ActionName(spec.action.action)) +
                       ") when cutover-actions stopped; it must answer its probe before "
                       "anything else happens: " +
                       probe.error;
    WaitTick(lock);
    return false;
  }
  // Prometheus may not have scraped since the action: judge only on data that is at least
  // one after-gate interval younger than the restart.
  std::vector<GateSpec> after_gates = GatesAt(spec.gates, GateStage::kAfter);
  Duration fresh{0};
  for (const GateSpec& g : after_gates) fresh = std::max(fresh, g.interval);
  if (!run.recheck_from) run.recheck_from = Clock::now() + fresh;
  if (Clock::now() < *run.recheck_from) {
    step.waiting_for = "re-checking " + member + " after a restart: waiting " +
                       FormatDuration(fresh) + " for fresh measurements";
    WaitTick(lock);
    return false;
  }
  // Measure each gate once: a verdict on whether the action already took effect.
  auto holds = [&](const std::vector<GateSpec>& gates, std::string* why) {
    for (const GateSpec& gate : gates) {
      std::string resolved = ResolveQuery(gate, st.cluster, member);
      lock.unlock();
      QueryResult result = run.query(resolved);
      lock.lock();
      Measurement m = Measure(gate, member, resolved, result, std::chrono::system_clock::now());
      std::string error;
      Record({.type = RecordType::kGateMeasured,
              .run = st.id,
              .step = spec.name,
              .measurement = m,
              .verdict = "recheck"},
             &error, &lock);
      if (m.phase != Phase::kSuccessful) {
        *why = Explain(m);
        return false;
      }
    }
    return true;
  };
  std::string why;
  std::vector<GateSpec> after = GatesAt(spec.gates, GateStage::kAfter);
  if (!after.empty() && holds(after, &why)) {
    std::string error;
    Record({.type = RecordType::kActionFinished,
            .run = st.id,
            .step = spec.name,
            .member = member,
            .detail = "not repeated: after the restart its after-gates already hold",
            .ok = true},
           &error, &lock);
    return true;
  }
  std::string after_why = why;
  if (holds(GatesAt(spec.gates, GateStage::kBefore), &why)) {
    // The action did not visibly take effect and its preconditions still hold: do it again
    // (actions are idempotent by design).
    step.members_in_flight.erase(member);
    return true;
  }
  step.waiting_for = "re-checking " + member +
                     " after a restart: " + (after_why.empty() ? why : after_why + "; " + why);
  WaitTick(lock);
  return false;
}

void Engine::PerformMembers(Run& run, std::unique_lock<std::mutex>& lock) {
  RunStatus& st = run.status;
  const std::size_t i = st.current_step;
  const StepSpec& spec = run.plan->steps[i];
  std::string error;
  for (const std::string& member : spec.action.members) {
    StepStatus& step = st.steps[i];
    if (step.members_done.count(member)) continue;
    if (step.members_in_flight.count(member)) {
      if (!RecheckInFlight(run, member, lock)) return;
      if (st.steps[i].members_done.count(member)) continue;  // it had taken effect
    }
    if (st.state != RunState::kRunning || stopping_) return;
    const MemberSet::Member* found = members_.Find(st.cluster, member);
    if (found == nullptr) {
      FailStep(run, "member " + member + " is not in the configuration", false);
      return;
    }
    if (!Record({.type = RecordType::kActionStarted,
                 .run = st.id,
                 .step = spec.name,
                 .member = member,
                 .detail = std::string(ActionName(spec.action.action))},
                &error, &lock)) {
      WaitTick(lock);
      return;
    }
    if (st.state != RunState::kRunning || stopping_) return;  // re-checked on resume
    std::size_t index = members_.IndexOf(found);
    ActionRequest request{spec.action.action, spec.action.params};
    log::Info("performing", {{"run", st.id},
                             {"step", spec.name},
                             {"member", member},
                             {"action", ActionName(spec.action.action)}});
    lock.unlock();
    ActionResult result = members_.Perform(index, request, options_.member_lock_timeout);
    lock.lock();
    actions_total_[st.cluster + "|" + std::string(ActionName(spec.action.action)) + "|" +
                   (result.ok ? "ok" : "failed")] += 1;
    std::string detail = result.ok ? result.output : result.error;
    if (detail.size() > 4096) detail.resize(4096);
    if (!Record({.type = RecordType::kActionFinished,
                 .run = st.id,
                 .step = spec.name,
                 .member = member,
                 .detail = detail,
                 .ok = result.ok},
                &error, &lock)) {
      WaitTick(lock);
      return;
    }
    if (!result.ok) {
      FailStep(run,
               std::string(ActionName(spec.action.action)) + " on " + member +
                   " failed: " + result.error,
               false);
      return;
    }
  }
  if (st.state != RunState::kRunning || stopping_) return;
  StepStatus& step = st.steps[i];
  if (!GatesAt(spec.gates, GateStage::kAfter).empty()) {
    step.state = StepState::kVerifying;
    run.gates.clear();
    return;
  }
  Record({.type = RecordType::kStepDone, .run = st.id, .step = spec.name}, &error, &lock);
}

void Engine::FailStep(Run& run, const std::string& why, bool timed_out, bool force_rollback) {
  RunStatus& st = run.status;
  const Plan& plan = *run.plan;
  // An operator's abort or pause may have come while the failing action was in flight:
  // an aborted run compensates nothing, and a paused one does nothing until resumed (the
  // failed step is kept and its rollback policy applies then).
  if (IsFinished(st.state)) return;
  const std::string& step = st.steps[st.current_step].name;
  std::string error;
  if (st.steps[st.current_step].state != StepState::kFailed &&
      !Record({.type = RecordType::kStepFailed, .run = st.id, .step = step, .detail = why}, &error))
    return;
  if (st.state == RunState::kPaused) return;
  bool roll_back =
      force_rollback || (timed_out ? plan.rollback.on_timeout : plan.rollback.on_gate_failure);
  if (roll_back) {
    Record({.type = RecordType::kRollbackStarted,
            .run = st.id,
            .by = "plan",
            .detail = "rolling back: " + why},
           &error);
  } else {
    Finish(run, RunState::kFailed, why + " (the plan does not roll back on this)");
  }
}

void Engine::RollBackOneStep(Run& run, std::unique_lock<std::mutex>& lock) {
  RunStatus& st = run.status;
  // The latest step that changed something and is not compensated yet.
  std::optional<std::size_t> k;
  for (std::size_t j = std::min(st.current_step + 1, st.steps.size()); j-- > 0;) {
    const StepStatus& s = st.steps[j];
    if (s.state == StepState::kCompensated) continue;
    if (s.state == StepState::kDone || !s.members_done.empty() || !s.members_in_flight.empty()) {
      k = j;
      break;
    }
  }
  std::string error;
  if (!k) {
    Finish(run, RunState::kRolledBack, st.reason.empty() ? "rolled back" : st.reason);
    return;
  }
  const StepSpec& spec = run.plan->steps[*k];
  StepStatus& step = st.steps[*k];
  if (spec.rollback.empty()) {
    Record({.type = RecordType::kStepCompensated,
            .run = st.id,
            .step = spec.name,
            .detail = "nothing to undo"},
           &error, &lock);
    return;
  }
  if (!spec.rollback_gates.empty()) {
    bool passed = false, failed = false;
    std::string why;
    MeasureGates(run, *k, spec.rollback_gates, spec.action.members, lock, &passed, &failed, &why);
    if (st.state != RunState::kRollingBack) return;
    if (failed) {
      Finish(
          run, RunState::kFailed,
          "rollback of step " + spec.name + " stopped: " + why + "; the cluster needs an operator");
      return;
    }
    if (!passed) {
      step.waiting_for = "rollback waits: " + why;
      WaitTick(lock);
      return;
    }
  }
  for (std::size_t c = 0; c < spec.rollback.size(); ++c) {
    const ActionSpec& compensation = spec.rollback[c];
    for (const std::string& member : compensation.members) {
      std::string key = std::to_string(c) + "/" + member;
      if (st.steps[*k].members_compensated.count(key)) continue;
      if (st.state != RunState::kRollingBack || stopping_) return;
      const MemberSet::Member* found = members_.Find(st.cluster, member);
      if (found == nullptr) {
        Finish(run, RunState::kFailed,
               "compensation of step " + spec.name + ": member " + member +
                   " is not in the configuration");
        return;
      }
      if (!Record({.type = RecordType::kCompensationStarted,
                   .run = st.id,
                   .step = spec.name,
                   .member = key,
                   .detail = std::string(ActionName(compensation.action))},
                  &error, &lock)) {
        WaitTick(lock);
        return;
      }
      std::size_t index = members_.IndexOf(found);
      log::Info("compensating", {{"run", st.id},
                                 {"step", spec.name},
                                 {"member", member},
                                 {"action", ActionName(compensation.action)}});
      lock.unlock();
      ActionResult result = members_.Perform(index, {compensation.action, compensation.params},
                                             options_.member_lock_timeout);
      lock.lock();
      actions_total_[st.cluster + "|" + std::string(ActionName(compensation.action)) + "|" +
                     (result.ok ? "ok" : "failed")] += 1;
      Record({.type = RecordType::kCompensationFinished,
              .run = st.id,
              .step = spec.name,
              .member = key,
              .detail = result.ok ? result.output : result.error,
              .ok = result.ok},
             &error, &lock);
      if (!result.ok) {
        Finish(run, RunState::kFailed,
               "compensation " + std::string(ActionName(compensation.action)) + " of step " +
                   spec.name + " on " + member + " failed: " + result.error +
                   "; the cluster needs an operator");
        return;
      }
    }
  }
  if (st.state != RunState::kRollingBack) return;  // aborted while compensating
  Record({.type = RecordType::kStepCompensated, .run = st.id, .step = spec.name}, &error, &lock);
}

void Engine::Finish(Run& run, RunState state, const std::string& why) {
  // A compensation that failed after an operator's abort does not turn the abort into a
  // failure: the run ended when the operator said so.
  if (IsFinished(run.status.state)) return;
  std::string error;
  if (Record({.type = RecordType::kRunFinished,
              .run = run.status.id,
              .detail = why,
              .state = std::string(RunStateName(state))},
             &error))
    log::Info("run finished",
              {{"run", run.status.id}, {"state", RunStateName(state)}, {"why", why}});
  wake_.notify_all();
}

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

EngineReply Engine::StartRun(const std::string& plan_name, const std::string& by) {
  std::unique_lock lock(mutex_);
  const Plan* plan = FindPlan(plan_name);
  if (plan == nullptr) {
    std::string names;
    for (const Plan& p : plans_) names += (names.empty() ? "" : ", ") + p.name;
    return {404,
            "unknown plan '" + plan_name + "' (loaded: " + (names.empty() ? "none" : names) + ")"};
  }
  if (Run* active = ActiveRunOf(plan->cluster))
    return {409,
            "cluster " + plan->cluster + " already has run " + active->status.id + " (" +
                std::string(RunStateName(active->status.state)) +
                "); finish, abort or roll it back first",
            active->status.id};
  std::string id = NewRunId(*plan);
  std::string error;
  if (!Record({.type = RecordType::kRunStarted,
               .run = id,
               .plan = plan->name,
               .plan_digest = plan->digest,
               .cluster = plan->cluster,
               .by = by},
              &error))
    return {503, "could not journal the run: " + error};
  StartWorker(*FindRun(id));
  return {201, "run " + id + " of plan " + plan->name + " started", id};
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

AlertIntake Engine::OnAlerts(const AlertmanagerNotification& notification) {
  AlertIntake intake;
  std::unique_lock lock(mutex_);
  // Decide under the lock, journal without it (concurrent deliveries share fsyncs), then
  // apply. A key being journaled by another request counts as a duplicate here.
  std::vector<JournalRecord> decided;
  for (const AlertmanagerAlert& alert : notification.alerts) {
    std::string key = DeliveryKey(alert);
    if (deliveries_.count(key) || pending_deliveries_.count(key)) {
      ++intake.duplicates;
      continue;
    }
    std::string cluster = ClusterOf(alert);
    std::string alertname = alert.Label("alertname");
    std::string decision;
    Run* run = cluster.empty() ? nullptr : ActiveRunOf(cluster);
    if (cluster.empty()) {
      decision = "ignored: the alert has no ha_cluster label";
    } else if (alert.status == "resolved") {
      decision = "resolved: " + alertname + " no longer fires for ha_cluster=" + cluster;
    } else if (run == nullptr) {
      decision = "remembered: no run of ha_cluster=" + cluster + " is active";
    } else if (run->plan != nullptr &&
               std::count(run->plan->rollback.alerts.begin(), run->plan->rollback.alerts.end(),
                          alertname) > 0 &&
               run->status.state != RunState::kRollingBack) {
      decision = "rollback: run " + run->status.id;
    } else if (run->plan != nullptr &&
               std::count(run->plan->pause_alerts.begin(), run->plan->pause_alerts.end(),
                          alertname) > 0 &&
               run->status.state == RunState::kRunning) {
      decision = "pause: run " + run->status.id;
    } else {
      decision = "remembered: run " + run->status.id + " has no step waiting for " + alertname;
      if (run->plan != nullptr) {
        for (std::size_t i = run->status.current_step; i < run->plan->steps.size(); ++i) {
          const StepSpec& spec = run->plan->steps[i];
          if (spec.trigger.kind == TriggerKind::kAlert && spec.trigger.alertname == alertname) {
            decision = "trigger: step " + spec.name + " of run " + run->status.id;
            break;
          }
        }
      }
    }
    pending_deliveries_.insert(key);
    decided.push_back({.type = RecordType::kAlertReceived,
                       .at_ms = NowMillis(),
                       .cluster = cluster,
                       .detail = decision,
                       .key = key,
                       .alertname = alertname,
                       .status = alert.status,
                       .group_key = notification.group_key});
  }
  lock.unlock();
  std::size_t written = 0;
  std::string error;
  for (const JournalRecord& record : decided) {
    if (!journal_.Append(EncodeRecord(record), &error)) break;
    ++written;
  }
  lock.lock();
  for (std::size_t n = 0; n < decided.size(); ++n) {
    pending_deliveries_.erase(decided[n].key);
    if (n >= written) continue;
    Apply(decided[n]);
    log::Info("alert", {{"alertname", decided[n].alertname},
                        {"ha_cluster", decided[n].cluster},
                        {"status", decided[n].status},
                        {"decision", decided[n].detail}});
    ++intake.accepted;
  }
  wake_.notify_all();
  if (written < decided.size()) {
    log::Error("journal write failed: alerts not accepted", {{"err", error}});
    intake.status = 503;
    intake.message = "could not journal the alert, retry later: " + error;
    return intake;
  }
  intake.message = std::to_string(intake.accepted) + " accepted, " +
                   std::to_string(intake.duplicates) + " already seen";
  return intake;
}

std::vector<RunStatus> Engine::Runs() const {
  std::lock_guard lock(mutex_);
  std::vector<RunStatus> out;
  for (const auto& run : runs_) out.push_back(run->status);
  return out;
}

void Engine::WriteMetrics(ExpositionWriter& out) const {
  std::lock_guard lock(mutex_);
  // The latest run of each cluster.
  std::map<std::string, const Run*> latest;
  for (const auto& run : runs_) latest[run->status.cluster] = run.get();

  auto family = [&](const char* name, const char* help, const char* type, auto&& each) {
    bool started = false;
    auto sample = [&](std::initializer_list<ExpositionLabel> labels, double value) {
      if (!started) out.Family(name, help, type);
      started = true;
      out.Sample(name, labels, value);
    };
    each(sample);
  };

  family("cutover_run_state", "1 for the state of the cluster's latest run, 0 for the others.",
         "gauge", [&](auto& sample) {
           for (const auto& [cluster, run] : latest)
             for (RunState s : {RunState::kRunning, RunState::kPaused, RunState::kRollingBack,
                                RunState::kCompleted, RunState::kRolledBack, RunState::kAborted,
                                RunState::kFailed})
               sample({{"ha_cluster", cluster},
                       {"plan", run->status.plan},
                       {"run", run->status.id},
                       {"state", RunStateName(s)}},
                      run->status.state == s ? 1 : 0);
         });
  family("cutover_run_step",
         "Number of the step the cluster's latest run is at (1-based; steps + 1 when done).",
         "gauge", [&](auto& sample) {
           for (const auto& [cluster, run] : latest)
             sample({{"ha_cluster", cluster}, {"plan", run->status.plan}, {"run", run->status.id}},
                    static_cast<double>(run->status.current_step + 1));
         });
  family("cutover_run_blocked",
         "1 while the latest run cannot measure a gate: nothing runs until it can.", "gauge",
         [&](auto& sample) {
           for (const auto& [cluster, run] : latest)
             sample({{"ha_cluster", cluster}, {"plan", run->status.plan}, {"run", run->status.id}},
                    run->status.blocked ? 1 : 0);
         });
  family("cutover_step_state", "1 for each step's state in the cluster's latest run.", "gauge",
         [&](auto& sample) {
           for (const auto& [cluster, run] : latest)
             for (const StepStatus& step : run->status.steps)
               for (StepState s :
                    {StepState::kPending, StepState::kWaitingTrigger, StepState::kGating,
                     StepState::kPerforming, StepState::kVerifying, StepState::kDone,
                     StepState::kFailed, StepState::kCompensating, StepState::kCompensated})
                 sample({{"ha_cluster", cluster},
                         {"plan", run->status.plan},
                         {"step", step.name},
                         {"state", StepStateName(s)}},
                        step.state == s ? 1 : 0);
         });
  family("cutover_step_duration_seconds",
         "From trigger to done or failed, for finished steps of the latest run.", "gauge",
         [&](auto& sample) {
           for (const auto& [cluster, run] : latest)
             for (const StepStatus& step : run->status.steps)
               if (step.triggered_at && step.finished_at)
                 sample(
                     {{"ha_cluster", cluster}, {"plan", run->status.plan}, {"step", step.name}},
                     std::chrono::duration<double>(*step.finished_at - *step.triggered_at).count());
         });
  auto each_measurement = [&](auto&& emit) {
    for (const auto& [cluster, run] : latest) {
      if (run->plan == nullptr) continue;
      for (std::size_t i = 0; i < run->status.steps.size(); ++i) {
        const StepStatus& step = run->status.steps[i];
        for (const Measurement& m : step.last_measurements) {
          const GateSpec* spec = nullptr;
          for (const GateSpec& g : run->plan->steps[i].gates)
            if (g.name == m.gate) spec = &g;
          for (const GateSpec& g : run->plan->steps[i].rollback_gates)
            if (g.name == m.gate) spec = &g;
          emit(cluster, *run, step, m, spec);
        }
      }
    }
  };
  family("cutover_gate_value", "The latest value a gate measured.", "gauge", [&](auto& sample) {
    each_measurement([&](const std::string& cluster, const Run& run, const StepStatus& step,
                         const Measurement& m, const GateSpec*) {
      if (m.value)
        sample({{"ha_cluster", cluster},
                {"plan", run.status.plan},
                {"step", step.name},
                {"gate", m.gate},
                {"member", m.member}},
               *m.value);
    });
  });
  family("cutover_gate_threshold", "The number a gate's condition compares its value with.",
         "gauge", [&](auto& sample) {
           each_measurement([&](const std::string& cluster, const Run& run, const StepStatus& step,
                                const Measurement& m, const GateSpec* spec) {
             if (spec)
               sample({{"ha_cluster", cluster},
                       {"plan", run.status.plan},
                       {"step", step.name},
                       {"gate", m.gate},
                       {"member", m.member}},
                      spec->condition.threshold);
           });
         });
  family("cutover_gate_passing", "1 if the gate's latest measurement was Successful.", "gauge",
         [&](auto& sample) {
           each_measurement([&](const std::string& cluster, const Run& run, const StepStatus& step,
                                const Measurement& m, const GateSpec*) {
             sample({{"ha_cluster", cluster},
                     {"plan", run.status.plan},
                     {"step", step.name},
                     {"gate", m.gate},
                     {"member", m.member}},
                    m.phase == Phase::kSuccessful ? 1 : 0);
           });
         });
  family("cutover_gate_evaluations_total", "Gate measurements by phase.", "counter",
         [&](auto& sample) {
           for (const auto& [key, count] : gate_evaluations_) {
             std::vector<std::string> parts;
             std::size_t start = 0;
             for (int n = 0; n < 4; ++n) {
               std::size_t bar = key.find('|', start);
               parts.push_back(key.substr(start, bar - start));
               start = bar + 1;
             }
             parts.push_back(key.substr(start));
             sample({{"ha_cluster", parts[0]},
                     {"plan", parts[1]},
                     {"step", parts[2]},
                     {"gate", parts[3]},
                     {"phase", parts[4]}},
                    count);
           }
         });
  family("cutover_actions_total", "Driver actions performed, by result.", "counter",
         [&](auto& sample) {
           for (const auto& [key, count] : actions_total_) {
             std::size_t a = key.find('|'), b = key.find('|', a + 1);
             sample({{"ha_cluster", key.substr(0, a)},
                     {"action", key.substr(a + 1, b - a - 1)},
                     {"result", key.substr(b + 1)}},
                    count);
           }
         });
}

}  // namespace cutover
