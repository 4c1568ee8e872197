// The journal's meaning: the state of every run, the deliveries already decided and the
// alerts firing now, as a pure function of the records (state + record -> state). The
// engine applies each record after it is durable, and replays them at start; nothing
// else changes this state. Not thread-safe on its own (the engine holds its lock).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "actions/engine/alert_router.h"
#include "actions/engine/journal_record.h"
#include "actions/engine/run_status.h"
#include "actions/plan/plan.h"

namespace cutover {

// Who triggered a step that proceeds at its deadline (journal field "by").
inline constexpr char kDeadlineTrigger[] = "deadline";

// One run as the journal tells it.
struct RunRecord {
  virtual ~RunRecord() = default;

  RunStatus status;
  std::unique_ptr<const Plan> plan_instance;  // the plan read with the run's parameters
  const Plan* plan = nullptr;  // null when the plan is gone or changed since the run began
  RunState paused_from = RunState::kRunning;
  bool rollback_requested = false;  // a rollback alert fired while the run was paused
  std::string rollback_by, rollback_why;
  // Bumped whenever the gate progress of the current phase must start over (a step
  // triggered, done or compensated, a rollback begun): samples must be fresh.
  std::uint64_t gate_epoch = 0;
};

// The plan of a run_started record (its plan read with its parameters), or why none.
struct ResolvedPlan {
  std::unique_ptr<const Plan> plan;
  std::string why_not;
};
using PlanResolver = std::function<ResolvedPlan(const JournalRecord& run_started)>;

struct JournalState {
  std::vector<std::unique_ptr<RunRecord>> runs;  // in start order
  std::set<std::string> deliveries;              // DeliveryKey of every alert decided
  AlertStates alerts;
  // Makes the object a run_started record becomes (the engine keeps its worker's
  // state beside the record).
  std::function<std::unique_ptr<RunRecord>()> new_run = [] {
    return std::make_unique<RunRecord>();
  };

  RunRecord* Find(const std::string& run);
  // The unfinished run holding `cluster`, or null.
  RunRecord* Holding(const std::string& cluster);
};

// Applies one record. A record of an unknown run or step changes nothing.
void Reduce(JournalState& state, const JournalRecord& record, const PlanResolver& resolve);

// After a replay: a compensation found under way is measured and done again (its step is
// taken as done, its rollback gates measured afresh).
void PrepareForRestart(JournalState& state);

}  // namespace cutover
