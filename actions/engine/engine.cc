#include "actions/engine/engine.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <future>

#include "actions/engine/engine_run.h"
#include "actions/engine/step_decision.h"
#include "common/log.h"
#include "common/strings.h"

namespace cutover {

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

AlertStates::Firing Engine::FiringFor(const Run& run,
                                      const std::vector<std::string>& alertnames) const {
  return state_.alerts.FirstFiring(run.status.clusters, alertnames);
}

bool Engine::ActOnFiringAlerts(Run& run, std::unique_lock<std::mutex>& lock) {
  if (run.plan == nullptr) return false;
  RunStatus& st = run.status;
  std::string error;
  // A rollback alert fires, whether it began before the run, while it was paused or was
  // delivered again: the run rolls back as the plan says (a paused run once resumed).
  if (st.state == RunState::kRunning || st.state == RunState::kPaused) {
    AlertStates::Firing firing = FiringFor(run, run.plan->rollback.alerts);
    if (!firing.empty() && st.state == RunState::kRunning) {
      if (!Record({.type = RecordType::kRollbackStarted,
                   .run = st.id,
                   .by = "alert " + firing.alertname,
                   .detail = "rolling back: alert " + firing.description + " fires"},
                  &error, &lock))
        WaitTick(lock);
      return true;
    }
    if (!firing.empty() && !run.rollback_requested) {
      if (!Record({.type = RecordType::kRollbackRequested,
                   .run = st.id,
                   .by = "alert " + firing.alertname,
                   .detail = "alert " + firing.description + " fires"},
                  &error, &lock))
        WaitTick(lock);
      return true;
    }
  }
  if (st.state == RunState::kRunning) {
    AlertStates::Firing firing = FiringFor(run, run.plan->pause_alerts);
    if (!firing.empty()) {
      if (!Record({.type = RecordType::kPaused,
                   .run = st.id,
                   .by = "alert " + firing.alertname,
                   .detail = "paused by alert " + firing.description +
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
  std::vector<GateStanding> standings;
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
      standings.push_back({gate.name, p.verdict, p.tally.consecutive_successes, gate.samples,
                           p.last ? Explain(*p.last) : "gate " + gate.name + ": not measured yet"});
      if (p.verdict == GateVerdict::kFailed) break;  // the round has failed: measure no more
    }
    if (!standings.empty() && standings.back().verdict == GateVerdict::kFailed) break;
  }
  GateRoundJudgment judgment = JudgeGateRound(standings);
  *passed = judgment.passed;
  *failed = judgment.failed;
  *why = judgment.why;
  st.blocked = judgment.blocked;
  if (judgment.blocked)
    st.reason = "blocked: " + judgment.why;
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

// The step's action on each member not done yet: one after another, or with at_once
// all together (each journaled as started before any begins, then one thread each), so a
// change that must land on several systems together (both routers' policy) does. A
// member in flight after a restart is re-checked first.
void Engine::PerformMembers(Run& run, std::unique_lock<std::mutex>& lock) {
  RunStatus& st = run.status;
  const std::size_t i = st.current_step;
  const StepSpec& spec = run.plan->steps[i];
  std::string error;
  std::vector<std::pair<std::string, std::size_t>> todo;  // member, index in members_
  for (const std::string& member : spec.action.members) {
    if (st.steps[i].members_done.count(member)) continue;
    if (st.steps[i].members_in_flight.count(member)) {
      if (!RecheckInFlight(run, member, lock)) return;
      if (st.steps[i].members_done.count(member)) continue;  // it had taken effect
    }
    if (st.state != RunState::kRunning || stopping_) return;
    const MemberSet::Member* found = members_.Find(spec.action.cluster, member);
    if (found == nullptr) {
      FailStep(run, "member " + member + " is not in the configuration", false);
      return;
    }
    todo.emplace_back(member, members_.IndexOf(found));
  }
  const ActionRequest request{spec.action.action, spec.action.params};
  const std::size_t batch = spec.action.at_once ? std::max<std::size_t>(todo.size(), 1) : 1;
  for (std::size_t first = 0; first < todo.size(); first += batch) {
    const std::size_t end = std::min(todo.size(), first + batch);
    std::vector<std::size_t> indexes;
    for (std::size_t m = first; m < end; ++m) {
      if (!Record({.type = RecordType::kActionStarted,
                   .run = st.id,
                   .step = spec.name,
                   .member = todo[m].first,
                   .detail = std::string(ActionName(spec.action.action))},
                  &error, &lock)) {
        WaitTick(lock);
        return;
      }
      if (st.state != RunState::kRunning || stopping_) return;  // re-checked on resume
      log::Info("performing", {{"run", st.id},
                               {"step", spec.name},
                               {"member", todo[m].first},
                               {"action", ActionName(spec.action.action)}});
      indexes.push_back(todo[m].second);
    }
    std::vector<ActionResult> results = PerformTogether(indexes, request, lock);
    std::string first_failure;
    for (std::size_t m = first; m < end; ++m) {
      const ActionResult& result = results[m - first];
      actions_total_[spec.action.cluster + "|" + std::string(ActionName(spec.action.action)) + "|" +
                     (result.ok ? "ok" : "failed")] += 1;
      std::string detail = result.ok ? result.output : result.error;
      if (detail.size() > 4096) detail.resize(4096);
      if (!Record({.type = RecordType::kActionFinished,
                   .run = st.id,
                   .step = spec.name,
                   .member = todo[m].first,
                   .detail = detail,
                   .ok = result.ok},
                  &error, &lock)) {
        WaitTick(lock);
        return;
      }
      if (!result.ok && first_failure.empty())
        first_failure = std::string(ActionName(spec.action.action)) + " on " + todo[m].first +
                        " failed: " + result.error;
    }
    if (!first_failure.empty()) {
      FailStep(run, first_failure, false);
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

// The members' actions with the engine's lock released; one alone runs on this thread,
// several on one thread each. Results in the order given.
std::vector<ActionResult> Engine::PerformTogether(const std::vector<std::size_t>& indexes,
                                                  const ActionRequest& request,
                                                  std::unique_lock<std::mutex>& lock) {
  std::vector<ActionResult> results;
  lock.unlock();
  if (indexes.size() == 1) {
    results.push_back(members_.Perform(indexes[0], request, options_.member_lock_timeout));
  } else {
    std::vector<std::future<ActionResult>> running;
    for (std::size_t index : indexes)
      running.push_back(std::async(std::launch::async, [this, index, &request] {
        return members_.Perform(index, request, options_.member_lock_timeout);
      }));
    for (auto& r : running) results.push_back(r.get());
  }
  lock.lock();
  return results;
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
  auto finish = [&](const std::string& stopped_at) {
    std::string reason = st.reason.empty() ? "rolled back" : st.reason;
    reason += stopped_at;
    if (!run.plan->rollback.note.empty()) reason += "; " + run.plan->rollback.note;
    Finish(run, RunState::kRolledBack, reason);
  };
  if (!k) {
    finish("");
    return;
  }
  const StepSpec& spec = run.plan->steps[*k];
  if (spec.rollback_boundary) {
    finish("; the rollback stops at step " + spec.name +
           " (its rollback boundary): it and the steps before it stay as they are");
    return;
  }
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
  for (std::size_t c = 0; c < spec.rollback.size(); ++c)
    if (!Compensate(run, *k, c, lock)) return;
  if (st.state != RunState::kRollingBack) return;  // aborted while compensating
  Record({.type = RecordType::kStepCompensated, .run = st.id, .step = spec.name}, &error, &lock);
}

// One compensation of step k on each of its members not compensated yet: one after
// another, or with at_once all together, like a step's action. False when the rollback
// cannot go on now (the next pass resumes it) or at all (the run is finished as failed).
bool Engine::Compensate(Run& run, std::size_t k, std::size_t c,
                        std::unique_lock<std::mutex>& lock) {
  RunStatus& st = run.status;
  const StepSpec& spec = run.plan->steps[k];
  const ActionSpec& compensation = spec.rollback[c];
  std::string error;
  std::vector<std::pair<std::string, std::size_t>> todo;  // key "c/member", index in members_
  for (const std::string& member : compensation.members) {
    std::string key = std::to_string(c) + "/" + member;
    if (st.steps[k].members_compensated.count(key)) continue;
    const MemberSet::Member* found = members_.Find(compensation.cluster, member);
    if (found == nullptr) {
      Finish(run, RunState::kFailed,
             "compensation of step " + spec.name + ": member " + member +
                 " is not in the configuration");
      return false;
    }
    todo.emplace_back(key, members_.IndexOf(found));
  }
  const ActionRequest request{compensation.action, compensation.params};
  const std::size_t batch = compensation.at_once ? std::max<std::size_t>(todo.size(), 1) : 1;
  for (std::size_t first = 0; first < todo.size(); first += batch) {
    const std::size_t end = std::min(todo.size(), first + batch);
    std::vector<std::size_t> indexes;
    for (std::size_t m = first; m < end; ++m) {
      if (st.state != RunState::kRollingBack || stopping_) return false;
      if (!Record({.type = RecordType::kCompensationStarted,
                   .run = st.id,
                   .step = spec.name,
                   .member = todo[m].first,
                   .detail = std::string(ActionName(compensation.action))},
                  &error, &lock)) {
        WaitTick(lock);
        return false;
      }
      log::Info("compensating", {{"run", st.id},
                                 {"step", spec.name},
                                 {"member", todo[m].first.substr(todo[m].first.find('/') + 1)},
                                 {"action", ActionName(compensation.action)}});
      indexes.push_back(todo[m].second);
    }
    std::vector<ActionResult> results = PerformTogether(indexes, request, lock);
    std::string first_failure;
    for (std::size_t m = first; m < end; ++m) {
      const ActionResult& result = results[m - first];
      actions_total_[compensation.cluster + "|" + std::string(ActionName(compensation.action)) +
                     "|" + (result.ok ? "ok" : "failed")] += 1;
      Record({.type = RecordType::kCompensationFinished,
              .run = st.id,
              .step = spec.name,
              .member = todo[m].first,
              .detail = result.ok ? result.output : result.error,
              .ok = result.ok},
             &error, &lock);
      if (!result.ok && first_failure.empty())
        first_failure = "compensation " + std::string(ActionName(compensation.action)) +
                        " of step " + spec.name + " on " +
                        todo[m].first.substr(todo[m].first.find('/') + 1) +
                        " failed: " + result.error + "; the cluster needs an operator";
    }
    if (!first_failure.empty()) {
      Finish(run, RunState::kFailed, first_failure);
      return false;
    }
  }
  return st.state == RunState::kRollingBack && !stopping_;
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
