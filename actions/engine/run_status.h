// What a run is doing and why: plain data the engine keeps, rebuilds from the journal,
// serves as JSON (`cutoverctl status`) and publishes as metrics.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "actions/gates/gate_evaluation.h"

namespace cutover {

enum class RunState {
  kRunning,      // working through its steps
  kPaused,       // by an operator; nothing runs until resumed
  kRollingBack,  // compensating completed steps in reverse
  kCompleted,
  kRolledBack,
  kAborted,  // stopped by an operator; nothing compensated
  kFailed,   // a step failed and the plan says not to roll back, or a compensation failed
};
std::string_view RunStateName(RunState state);
std::optional<RunState> ParseRunState(std::string_view name);
bool IsFinished(RunState state);

enum class StepState {
  kPending,         // an earlier step is not done yet
  kWaitingTrigger,  // waiting for its alert or an operator's approval
  kGating,          // measuring its before-gates
  kPerforming,      // the driver action is running
  kVerifying,       // measuring its after-gates
  kDone,
  kFailed,
  kCompensating,
  kCompensated,
};
std::string_view StepStateName(StepState state);
std::optional<StepState> ParseStepState(std::string_view name);

struct StepStatus {
  std::string name;
  StepState state = StepState::kPending;
  std::string waiting_for;  // the sentence an operator reads: which gate, which value
  std::string note;         // what the operator should know afterwards, e.g. why it proceeded
  std::set<std::string> members_done;          // action finished ok, keyed (run, step, member)
  std::set<std::string> members_in_flight;     // action started, not known finished
  std::set<std::string> members_compensated;   // compensations finished ok
  std::vector<Measurement> last_measurements;  // latest per gate and member
  std::optional<std::chrono::system_clock::time_point> triggered_at;
  std::string triggered_by;  // "auto", "alert CutoverDrainComplete", "approval by ...", "deadline"
  std::optional<std::chrono::system_clock::time_point> finished_at;
  std::string error;
};

struct RunStatus {
  std::string id;
  std::string plan;
  std::string plan_digest;
  std::string cluster;                        // the plan's first cluster
  std::vector<std::string> clusters;          // every cluster the run holds
  std::map<std::string, std::string> params;  // the values the run started with
  RunState state = RunState::kRunning;
  std::size_t current_step = 0;  // index into steps; == steps.size() when all are done
  std::vector<StepStatus> steps;
  std::string reason;    // why the run is paused, blocked, rolling back or finished
  std::string warning;   // the plan's warning, shown while the run is on
  bool blocked = false;  // a gate cannot be measured: nothing runs until it can
  std::string started_by;
  std::chrono::system_clock::time_point started_at;
  std::optional<std::chrono::system_clock::time_point> finished_at;
};

std::string RunStatusJson(const std::vector<RunStatus>& runs);

}  // namespace cutover
