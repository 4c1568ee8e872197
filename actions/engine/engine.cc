#include "actions/engine/engine.h"

#include <algorithm>
#include <cstdio>
#include <ctime>

#include "actions/engine/step_decision.h"
#include "common/log.h"
#include "common/strings.h"

namespace cutover {

struct Engine::GateProgress {
  GateTally tally;
  std::chrono::steady_clock::time_point next_due{};
  std::optional<Measurement> last;
  GateVerdict verdict = GateVerdict::kPending;
};

// A run's journaled state (RunRecord) and what its worker keeps beside it.
struct Engine::Run : RunRecord {
  // Gate progress of the current phase, keyed "<phase>|<gate>|<member>"; rebuilt by
  // measuring again after a restart, since passing samples must be fresh anyway.
  std::map<std::string, GateProgress> gates;
  std::uint64_t gates_epoch = 0;  // the RunRecord::gate_epoch `gates` belongs to
  QueryFunction query;            // the worker's own (a PrometheusClient belongs to one thread)
  // In-flight re-check after a restart: not before then.
  std::optional<std::chrono::steady_clock::time_point> recheck_from;
  std::thread worker;
};

namespace {

using Clock = std::chrono::steady_clock;

std::vector<GateSpec> GatesAt(const std::vector<GateSpec>& gates, GateStage stage) {
  std::vector<GateSpec> out;
  for (const GateSpec& g : gates)
    if (g.stage == stage) out.push_back(g);
  return out;
}

}  // namespace

Engine::Engine(std::vector<Plan> plans, MemberSet& members, Journal& journal,
               QueryFunctionFactory queries, EngineOptions options)
    : plans_(std::move(plans)),
      members_(members),
      journal_(journal),
      queries_(std::move(queries)),
      options_(options) {
  state_.new_run = [] { return std::make_unique<Run>(); };
}

Engine::~Engine() { Stop(); }

const Plan* Engine::FindPlan(const std::string& name) const {
  for (const Plan& p : plans_)
    if (p.name == name) return &p;
  return nullptr;
}

// Every RunRecord in state_ is made by state_.new_run, which makes Runs.
Engine::Run* Engine::FindRun(const std::string& id) { return static_cast<Run*>(state_.Find(id)); }

Engine::Run* Engine::ActiveRunOf(const std::string& cluster) {
  return static_cast<Run*>(state_.Holding(cluster));
}

std::map<std::string, Engine::GateProgress>& Engine::GatesOf(Run& run) {
  if (run.gates_epoch != run.gate_epoch) {
    run.gates.clear();
    run.gates_epoch = run.gate_epoch;
  }
  return run.gates;
}

PlanLoadResult Engine::Instantiate(const Plan& plan, const ParamValues& params) const {
  if (options_.instantiate) return options_.instantiate(plan, params);
  PlanLoadResult result;
  result.plan = plan;
  if (!params.empty() || !plan.complete)
    result.errors.push_back({plan.file, 0, "this engine cannot read plans with parameters"});
  return result;
}

std::string Engine::FiringFor(const Run& run, const std::vector<std::string>& alertnames) const {
  return state_.alerts.FirstFiring(run.status.clusters, alertnames);
}

bool Engine::ActOnFiringAlerts(Run& run, std::unique_lock<std::mutex>& lock) {
  if (run.plan == nullptr) return false;
  RunStatus& st = run.status;
  std::string error;
  // A rollback alert fires, whether it began before the run, while it was paused or was
  // delivered again: the run rolls back as the plan says (a paused run once resumed).
  if (st.state == RunState::kRunning || st.state == RunState::kPaused) {
    std::string firing = FiringFor(run, run.plan->rollback.alerts);
    if (!firing.empty() && st.state == RunState::kRunning) {
      if (!Record({.type = RecordType::kRollbackStarted,
                   .run = st.id,
                   .by = "alert " + firing.substr(0, firing.find(' ')),
                   .detail = "rolling back: alert " + firing + " fires"},
                  &error, &lock))
        WaitTick(lock);
      return true;
    }
    if (!firing.empty() && !run.rollback_requested) {
      if (!Record({.type = RecordType::kRollbackRequested,
                   .run = st.id,
                   .by = "alert " + firing.substr(0, firing.find(' ')),
                   .detail = "alert " + firing + " fires"},
                  &error, &lock))
        WaitTick(lock);
      return true;
    }
  }
  if (st.state == RunState::kRunning) {
    std::string firing = FiringFor(run, run.plan->pause_alerts);
    if (!firing.empty()) {
      if (!Record({.type = RecordType::kPaused,
                   .run = st.id,
                   .by = "alert " + firing.substr(0, firing.find(' ')),
                   .detail = "paused by alert " + firing +
                             ": nothing more is performed until it resolves and an operator "
                             "has looked (cutoverctl resume " +
                             st.id + ")"},
                  &error, &lock))
        WaitTick(lock);
      return true;
    }
  }
  return false;
}

std::vector<std::string> Engine::PlanNames() const {
  std::vector<std::string> names;
  for (const Plan& p : plans_) names.push_back(p.name);
  return names;
}

bool Engine::Record(JournalRecord record, std::string* error,
                    std::unique_lock<std::mutex>* release) {
  record.at_ms = NowMs();
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
  Reduce(state_, r, [this](const JournalRecord& started) {
    const Plan* plan = FindPlan(started.plan);
    if (plan == nullptr)
      return ResolvedPlan{nullptr,
                          "plan '" + started.plan + "' is no longer loaded; abort this run"};
    if (plan->digest != started.plan_digest)
      return ResolvedPlan{nullptr, "plan '" + started.plan +
                                       "' changed since this run began; abort it and start anew"};
    PlanLoadResult instance = Instantiate(*plan, started.params);
    if (!instance.ok())
      return ResolvedPlan{nullptr,
                          "plan '" + started.plan + "' no longer accepts this run's parameters (" +
                              std::string(Trim(instance.ErrorText())) + "); abort this run"};
    return ResolvedPlan{std::make_unique<const Plan>(std::move(instance.plan)), {}};
  });
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
  PrepareForRestart(state_);
  return {};
}

void Engine::Start() {
  std::lock_guard lock(mutex_);
  for (auto& record : state_.runs) {
    Run* run = static_cast<Run*>(record.get());
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
  for (auto& record : state_.runs) {
    Run* run = static_cast<Run*>(record.get());
    if (run->worker.joinable()) run->worker.join();
  }
}

void Engine::StartWorker(Run& run) {
  run.worker = std::thread([this, &run] { Work(run); });
}

std::chrono::system_clock::time_point Engine::Now() const {
  return options_.clock ? options_.clock() : std::chrono::system_clock::now();
}

std::int64_t Engine::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Now().time_since_epoch()).count();
}

void Engine::WaitTick(std::unique_lock<std::mutex>& lock) {
  ++idle_passes_[std::this_thread::get_id()];
  settled_.notify_all();
  wake_.wait_for(lock, options_.tick);
}

void Engine::Settle() {
  std::unique_lock lock(mutex_);
  // Every worker of an unfinished run must wait twice from now: once to finish what it was
  // doing, once more after a whole pass over the state as it is now.
  std::map<std::thread::id, std::uint64_t> start;
  for (const auto& record : state_.runs) {
    const Run* run = static_cast<const Run*>(record.get());
    if (run->worker.joinable()) start[run->worker.get_id()] = idle_passes_[run->worker.get_id()];
  }
  wake_.notify_all();
  settled_.wait_for(lock, std::chrono::seconds(10), [&] {
    for (const auto& [worker, passes] : start) {
      if (exited_.count(worker)) continue;
      // A finished run's worker has nothing more to do once it has returned.
      const Run* run = nullptr;
      for (const auto& record : state_.runs)
        if (static_cast<const Run*>(record.get())->worker.get_id() == worker)
          run = static_cast<const Run*>(record.get());
      if (run == nullptr || IsFinished(run->status.state)) return false;
      if (idle_passes_[worker] < passes + 2) return false;
    }
    return true;
  });
}

void Engine::Work(Run& run) {
  QueryFunction query = queries_();
  std::unique_lock lock(mutex_);
  struct Exit {  // a worker that returns is settled for good
    Engine& engine;
    ~Exit() {
      engine.exited_.insert(std::this_thread::get_id());
      engine.settled_.notify_all();
    }
  } exit{*this};
  run.query = std::move(query);
  GatesOf(run).clear();
  while (!stopping_) {
    RunStatus& st = run.status;
    if (IsFinished(st.state)) break;
    if (ActOnFiringAlerts(run, lock)) continue;
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
  auto timed_out = [&] { return TimedOut(spec, step, Now()); };

  switch (step.state) {
    case StepState::kPending:
    case StepState::kWaitingTrigger: {
      TriggerDecision decision = DecideTrigger(spec, st.id, state_.alerts);
      if (decision.triggered) {
        if (!Record({.type = RecordType::kTriggered,
                     .run = st.id,
                     .step = spec.name,
                     .by = decision.by},
                    &error, &lock))
          WaitTick(lock);
        return;
      }
      step.waiting_for = decision.waiting_for;
      if (ApplyDeadline(run, lock, &step.waiting_for)) return;
      WaitTick(lock);
      return;
    }

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
      MeasureGates(run, i, GatesAt(spec.gates, GateStage::kBefore), spec.action, lock, &passed,
                   &failed, &why);
      if (st.state != RunState::kRunning || st.current_step != i) return;
      if (failed) {
        FailStep(run, why, false);
      } else if (passed) {
        if (!Record({.type = RecordType::kGatesPassed, .run = st.id, .step = spec.name}, &error,
                    &lock))
          WaitTick(lock);
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
      MeasureGates(run, i, GatesAt(spec.gates, GateStage::kAfter), spec.action, lock, &passed,
                   &failed, &why);
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
  std::optional<std::string> deadline = DeadlinePassed(spec, st, i, Now());
  if (!deadline) return false;
  const std::string& passed = *deadline;
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
      MeasureGates(run, i, GatesAt(spec.gates, GateStage::kBefore), spec.action, lock,
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
                          const ActionSpec& step_action, std::unique_lock<std::mutex>& lock,
                          bool* passed, bool* failed, std::string* why) {
  RunStatus& st = run.status;
  const std::vector<std::string>& members = step_action.members;
  const std::string& cluster = step_action.cluster;
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
      GateProgress& progress = GatesOf(run)[key];
      if (Clock::now() >= progress.next_due) {
        std::string resolved = ResolveQuery(gate, cluster, member);
        lock.unlock();
        QueryResult result = run.query(resolved);
        lock.lock();
        if (stopping_) return;
        GateProgress& p = GatesOf(run)[key];  // the map may have been cleared meanwhile
        Measurement m = Measure(gate, member, resolved, result, Now());
        p.tally = Count(p.tally, m.phase);
        p.verdict = Assess(gate, p.tally);
        p.next_due = Clock::now() + gate.interval;
        p.last = m;
        gate_evaluations_[cluster + "|" + st.plan + "|" + step_name + "|" + gate.name + "|" +
                          std::string(PhaseName(m.phase))] += 1;
        std::string error;
        Record({.type = RecordType::kGateMeasured,
                .run = st.id,
                .step = step_name,
                .measurement = m,
                .verdict = std::string(VerdictName(p.verdict))},
               &error, &lock);
      }
      GateProgress& p = GatesOf(run)[key];
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
  const MemberSet::Member* found = members_.Find(spec.action.cluster, member);
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
      std::string resolved = ResolveQuery(gate, spec.action.cluster, member);
      lock.unlock();
      QueryResult result = run.query(resolved);
      lock.lock();
      Measurement m = Measure(gate, member, resolved, result, Now());
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
    const MemberSet::Member* found = members_.Find(spec.action.cluster, member);
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
    actions_total_[spec.action.cluster + "|" + std::string(ActionName(spec.action.action)) + "|" +
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
  if (!GatesAt(spec.gates, GateStage::kAfter).empty()) {
    if (!Record({.type = RecordType::kActionsDone, .run = st.id, .step = spec.name}, &error, &lock))
      WaitTick(lock);
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
    MeasureGates(run, *k, spec.rollback_gates, spec.action, lock, &passed, &failed, &why);
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
      const MemberSet::Member* found = members_.Find(compensation.cluster, member);
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
      actions_total_[compensation.cluster + "|" + std::string(ActionName(compensation.action)) +
                     "|" + (result.ok ? "ok" : "failed")] += 1;
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
    std::string firing = FiringFor(*run, run->plan->pause_alerts);
    if (!firing.empty())
      return {409,
              "run " + run_id + " stays paused: alert " + firing +
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

AlertIntake Engine::OnAlerts(const AlertmanagerNotification& notification) {
  AlertIntake intake;
  std::unique_lock lock(mutex_);
  // Decide under the lock, journal without it (concurrent deliveries share fsyncs), then
  // apply. A key being journaled by another request counts as a duplicate here.
  std::vector<JournalRecord> decided;
  for (const AlertmanagerAlert& alert : notification.alerts) {
    std::string key = DeliveryKey(alert);
    if (state_.deliveries.count(key) || pending_deliveries_.count(key)) {
      ++intake.duplicates;
      continue;
    }
    std::string cluster = ClusterOf(alert);
    std::string alertname = alert.Label("alertname");
    std::string member = alert.Label("member");
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
          if (spec.trigger.kind != TriggerKind::kAlert || spec.trigger.alertname != alertname ||
              spec.action.cluster != cluster)
            continue;
          const auto& members = spec.action.members;
          decision = member.empty() || std::count(members.begin(), members.end(), member)
                         ? "trigger: step " + spec.name + " of run " + run->status.id
                         : "remembered: step " + spec.name + " of run " + run->status.id +
                               " waits for this alert for its own members, not " + member;
          break;
        }
      }
    }
    pending_deliveries_.insert(key);
    decided.push_back({.type = RecordType::kAlertReceived,
                       .at_ms = NowMs(),
                       .member = member,
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
                        {"member", decided[n].member},
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
  for (const auto& run : state_.runs) out.push_back(run->status);
  return out;
}

}  // namespace cutover
