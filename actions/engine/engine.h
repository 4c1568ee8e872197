// The engine of cutover-actions: runs plans step by step through the drivers, each step
// only when its trigger has come and its gates pass, journaling every decision before it
// acts on it. One run per cluster at a time, one step at a time within a run; each active
// run has a worker thread. Thread-safe: the API calls it from civetweb's threads.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "actions/engine/journal_record.h"
#include "actions/engine/run_reducer.h"
#include "actions/engine/run_status.h"
#include "actions/gates/prometheus_client.h"
#include "actions/intake/alertmanager_webhook.h"
#include "actions/journal/journal.h"
#include "actions/plan/plan_loader.h"
#include "common/exposition.h"
#include "plugins/core/member_set.h"

namespace cutover {

// Answers one PromQL instant query. Each run worker gets its own from the factory, since
// a PrometheusClient belongs to one thread.
using QueryFunction = std::function<QueryResult(const std::string& promql)>;
using QueryFunctionFactory = std::function<QueryFunction()>;

struct EngineOptions {
  // How often a waiting worker looks again at triggers, deadlines and due gates.
  Duration tick{std::chrono::milliseconds(200)};
  // How long an action waits for a member that a probe is holding.
  Duration member_lock_timeout{std::chrono::seconds(30)};
  // Reads a loaded plan again with a start's parameters (InstantiatePlan against the
  // daemon's configuration). Without it, only plans without parameters can run.
  std::function<PlanLoadResult(const Plan&, const ParamValues&)> instantiate;
  // How long the readiness check before a run waits for each member's probe.
  Duration readiness_probe_timeout{std::chrono::seconds(10)};
  // The wall clock of journal times, timeouts and deadlines; tests move it by hand.
  std::function<std::chrono::system_clock::time_point()> clock;
};

// An operator command's outcome, shaped for HTTP: status 2xx when done.
struct EngineReply {
  int status = 200;
  std::string message;
  std::string run;
};

struct AlertIntake {
  int status = 200;  // 503 when the decisions could not be made durable: Alertmanager retries
  std::string message;
  int accepted = 0;
  int duplicates = 0;
};

class Engine {
 public:
  Engine(std::vector<Plan> plans, MemberSet& members, Journal& journal,
         QueryFunctionFactory queries, EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Rebuilds runs, delivery keys and alert states from the journal's records. Call once,
  // before Start. Returns "" or why the journal cannot be used (the daemon refuses to
  // start rather than act on a history it cannot read).
  std::string Replay(const std::vector<std::string>& records);
  // Starts workers for unfinished runs. A step found in flight is re-checked first.
  void Start();
  void Stop();

  // Refused, with nothing journaled, when a parameter is missing, unknown or ill-typed
  // (400), when another run holds one of the plan's clusters (409, naming it) or when the
  // run could not roll back (409: a member a compensation acts on does not answer its
  // probe).
  EngineReply StartRun(const std::string& plan, const ParamValues& params, const std::string& by);
  EngineReply StartRun(const std::string& plan, const std::string& by) {
    return StartRun(plan, ParamValues{}, by);
  }
  // A rehearsal: resolves the parameters and members, measures every gate once and says
  // per step what would run on which member (the drivers describe their commands) and
  // what each gate reads now, and whether the run could roll back. Nothing is performed
  // or journaled. 200 with the report as the message, or 400/404 like StartRun.
  EngineReply DryRun(const std::string& plan, const ParamValues& params);
  EngineReply Approve(const std::string& run, const std::string& step, const std::string& by);
  EngineReply Pause(const std::string& run, const std::string& by);
  EngineReply Resume(const std::string& run, const std::string& by);
  EngineReply Abort(const std::string& run, const std::string& by);
  EngineReply Rollback(const std::string& run, const std::string& by);

  // Durably records every new delivery's decision, then acts on it.
  AlertIntake OnAlerts(const AlertmanagerNotification& notification);

  std::vector<RunStatus> Runs() const;
  // Returns once every worker has made a whole pass over the current state and waits:
  // what a test calls to show that nothing happens, instead of sleeping. At most 10 s.
  void Settle();
  // Why no decision can be made durable any more ("" while the journal works): the
  // daemon then answers 503 everywhere until it is restarted.
  std::string JournalFailure() const { return journal_.failure(); }
  std::vector<std::string> PlanNames() const;
  // Run, step and gate state of the latest run per cluster, and engine counters.
  void WriteMetrics(ExpositionWriter& out) const;

 private:
  struct Run;
  struct GateProgress;

  const Plan* FindPlan(const std::string& name) const;
  Run* FindRun(const std::string& id);
  Run* ActiveRunOf(const std::string& cluster);  // the unfinished run holding the cluster
  // The run's gate progress of its current phase (emptied when the phase changed).
  std::map<std::string, GateProgress>& GatesOf(Run& run);
  // The plan of a run with these parameter values, or why there is none.
  PlanLoadResult Instantiate(const Plan& plan, const ParamValues& params) const;
  // The first of `alertnames` firing for one of the run's clusters (empty if none).
  AlertStates::Firing FiringFor(const Run& run, const std::vector<std::string>& alertnames) const;
  // Journals what the alerts firing now mean for the run (pause, rollback); true if it did.
  bool ActOnFiringAlerts(Run& run, std::unique_lock<std::mutex>& lock);
  // Why the run could not be rolled back if it started now ("" when it could). Probes
  // without the engine's lock.
  std::string RollbackReadiness(const Plan& plan);
  // Journals the record, then applies it. The caller holds mutex_; with `release` it is
  // let go during the fsync (and the caller must re-check state afterwards).
  bool Record(JournalRecord record, std::string* error,
              std::unique_lock<std::mutex>* release = nullptr);
  void Apply(const JournalRecord& record);  // Reduce into state_; caller holds mutex_
  void StartWorker(Run& run);
  void Work(Run& run);
  // Each returns with mutex_ held; they release it while querying or acting.
  void AdvanceStep(Run& run, std::unique_lock<std::mutex>& lock);
  void MeasureGates(Run& run, std::size_t step, const std::vector<GateSpec>& gates,
                    const ActionSpec& step_action, std::unique_lock<std::mutex>& lock, bool* passed,
                    bool* failed, std::string* why);
  void PerformMembers(Run& run, std::unique_lock<std::mutex>& lock);
  std::vector<ActionResult> PerformTogether(const std::vector<std::size_t>& indexes,
                                            const ActionRequest& request,
                                            std::unique_lock<std::mutex>& lock);
  bool Compensate(Run& run, std::size_t k, std::size_t c, std::unique_lock<std::mutex>& lock);
  bool RecheckInFlight(Run& run, const std::string& member, std::unique_lock<std::mutex>& lock);
  void RollBackOneStep(Run& run, std::unique_lock<std::mutex>& lock);
  // Rolls back when the plan's policy says so for this kind of failure, or always with
  // force_rollback (a deadline whose policy is rollback).
  void FailStep(Run& run, const std::string& why, bool timed_out, bool force_rollback = false);
  // A step still waiting at its deadline: applies the deadline's policy. False when the
  // deadline has not passed (or there is none) and the step should go on waiting.
  bool ApplyDeadline(Run& run, std::unique_lock<std::mutex>& lock, std::string* waiting_for);
  void Finish(Run& run, RunState state, const std::string& why);
  void WaitTick(std::unique_lock<std::mutex>& lock);
  std::chrono::system_clock::time_point Now() const;
  std::int64_t NowMs() const;
  std::string NewRunId(const Plan& plan);

  std::vector<Plan> plans_;
  MemberSet& members_;
  Journal& journal_;
  QueryFunctionFactory queries_;
  EngineOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  JournalState state_;                        // what the journal says; changed by Apply only
  std::set<std::string> pending_deliveries_;  // being journaled right now
  std::condition_variable settled_;           // a worker waits for its next tick
  std::map<std::thread::id, std::uint64_t> idle_passes_;
  std::set<std::thread::id> exited_;
  std::map<std::string, double> gate_evaluations_;  // "cluster|plan|step|gate|phase" -> count
  std::map<std::string, double> actions_total_;     // "cluster|action|result" -> count
};

}  // namespace cutover
